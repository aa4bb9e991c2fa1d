import { Stack, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet } from '../../src/monitoring';
import {
  CisBenchmarkVersion,
  FindingPublishingFrequency,
  ThreatDetection,
  ThreatDetectionProps,
} from '../../src/security/threat-detection';
import { CONTROL_TOWER, NagFinding, formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

function only(template: Template, type: string): { id: string; resource: any } {
  const entries = Object.entries(template.findResources(type));
  expect(entries).toHaveLength(1);
  return { id: entries[0][0], resource: entries[0][1] };
}

function rule(template: Template, idPrefix: string): any {
  const entries = Object.entries(template.findResources('AWS::Events::Rule')).filter(([id]) => id.startsWith(idPrefix));
  expect(entries).toHaveLength(1);
  return entries[0][1].Properties;
}

function keyStatement(template: Template, sid: string, keyIdPrefix = 'CloudVaultDefaultKey'): any {
  const [key] = Object.entries(template.findResources('AWS::KMS::Key')).filter(([id]) => id.startsWith(keyIdPrefix));
  return key[1].Properties.KeyPolicy.Statement.find((s: any) => s.Sid === sid);
}

describe('ThreatDetection with default props', () => {
  let stack: Stack;
  let threats: ThreatDetection;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    stack = testStack(testApp());
    threats = new ThreatDetection(stack, 'Threats');
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('enables GuardDuty through DataSources: all protections on, Runtime Monitoring off', () => {
    const { resource } = only(template, 'AWS::GuardDuty::Detector');
    expect(resource.Properties).toEqual({
      Enable: true,
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
      // DataSources (where AWS Control Tower CT.GUARDDUTY.PR.1 reads S3 protection); GuardDuty turns
      // Lambda and RDS protection on by itself and leaves Runtime Monitoring off.
      DataSources: {
        S3Logs: { Enable: true },
        Kubernetes: { AuditLogs: { Enable: true } },
        MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: true } },
      },
    });
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(stack.resolve(threats.detectorId)).toEqual({ Ref: only(template, 'AWS::GuardDuty::Detector').id });
  });

  test('enables Security Hub with consolidated control findings and only the chosen standards', () => {
    const hub = only(template, 'AWS::SecurityHub::Hub');
    expect(hub.resource.Properties).toEqual({ EnableDefaultStandards: false, ControlFindingGenerator: 'SECURITY_CONTROL', AutoEnableControls: true });
    const standards = Object.values(template.findResources('AWS::SecurityHub::Standard'));
    expect(standards.map((s) => s.Properties.StandardsArn)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0']] },
    ]);
    for (const s of standards) expect(s.DependsOn).toEqual([hub.id]);
    expect(threats.standards).toHaveLength(2);
  });

  test('forwards GuardDuty findings of severity 7 or more, numerically', () => {
    expect(rule(template, 'ThreatsGuardDutyFindings').EventPattern).toEqual({
      'source': ['aws.guardduty'],
      'detail-type': ['GuardDuty Finding'],
      'detail': { severity: [{ numeric: ['>=', 7] }] },
    });
  });

  test('forwards new, active HIGH and CRITICAL Security Hub findings except GuardDuty\'s', () => {
    expect(rule(template, 'ThreatsSecurityHubFindings').EventPattern).toEqual({
      'source': ['aws.securityhub'],
      'detail-type': ['Security Hub Findings - Imported'],
      'detail': {
        findings: {
          Severity: { Label: ['HIGH', 'CRITICAL'] },
          Workflow: { Status: ['NEW'] },
          RecordState: ['ACTIVE'],
          ProductName: [{ 'anything-but': ['GuardDuty'] }],
        },
      },
    });
  });

  test('both rules target the topic with the dead-letter queue', () => {
    for (const prefix of ['ThreatsGuardDutyFindings', 'ThreatsSecurityHubFindings']) {
      expect(rule(template, prefix).Targets).toEqual([{
        Id: 'Target0',
        Arn: { Ref: expect.stringMatching(/^ThreatsTopic/) },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ThreatsDeadLetterQueue/), 'Arn'] } },
      }]);
    }
  });

  test('the findings topic is encrypted with the customer-managed key and TLS-only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Security findings',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^ThreatsTopic') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 'sns:Publish',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('only the two findings rules may publish to the topic', () => {
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))
      .find((p) => p.Properties.Topics[0].Ref.startsWith('ThreatsTopic'))!;
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allows).toEqual([{
      Sid: 'AllowFindingRulesToPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: expect.stringMatching(/^ThreatsTopic/) },
      Condition: {
        ArnEquals: {
          'aws:SourceArn': [
            { 'Fn::GetAtt': [expect.stringMatching(/^ThreatsGuardDutyFindings/), 'Arn'] },
            { 'Fn::GetAtt': [expect.stringMatching(/^ThreatsSecurityHubFindings/), 'Arn'] },
          ],
        },
      },
    }]);
  });

  test('the key lets EventBridge of this account encrypt, and nothing unconditional is granted to it', () => {
    expect(keyStatement(template, 'AllowEventBridgeToDeliver')).toEqual({
      Sid: 'AllowEventBridgeToDeliver',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    const { resource } = only(template, 'AWS::KMS::Key');
    const eventsStatements = resource.Properties.KeyPolicy.Statement.filter((s: any) => s.Principal.Service === 'events.amazonaws.com');
    expect(eventsStatements).toHaveLength(1);
    // no e-mail subscriptions: SNS needs no key access
    expect(keyStatement(template, 'AllowSnsToDeadLetter')).toBeUndefined();
  });

  test('undeliverable findings go to an encrypted, TLS-only queue kept 14 days, alarmed on', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] },
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-Threats-UndeliveredDepth',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ThreatsDeadLetterQueue'), 'QueueName'] } }],
      Threshold: 1,
    });
    expect(threats.alarms.alarms).toHaveLength(1);
  });

  test('has no subscriptions', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('ThreatDetection with a rich configuration', () => {
  let stack: Stack;
  let threats: ThreatDetection;
  let shared: AlarmSet;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    stack = testStack(testApp());
    shared = new AlarmSet(stack, 'Platform');
    const key = testKey(stack, 'SecurityKey', { enableKeyRotation: true });
    threats = new ThreatDetection(stack, 'Threats', {
      s3Protection: false,
      lambdaProtection: true,
      runtimeMonitoring: true,
      eksProtection: false,
      malwareProtection: false,
      rdsProtection: false,
      findingPublishingFrequency: FindingPublishingFrequency.ONE_HOUR,
      foundationalBestPractices: false,
      cisBenchmarkVersion: CisBenchmarkVersion.V5_0_0,
      minimumSeverity: 4.5,
      notificationEmails: ['security@example.com', 'oncall@example.com'],
      encryptionKey: key,
      alarms: shared,
    });
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs; Control Tower flags only the S3 protection this configuration turns off', () => {
    expect(formatFindings(findings)).toBe(formatFindings([{
      pack: CONTROL_TOWER,
      rule: 'guardduty_s3_protection_enabled_check',
      severity: 'Error',
      path: 'Test/Threats/Detector',
      description: findings[0]?.description,
    }]));
  });

  test('applies the feature toggles, with automated agents for Runtime Monitoring', () => {
    template.hasResourceProperties('AWS::GuardDuty::Detector', {
      FindingPublishingFrequency: 'ONE_HOUR',
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'DISABLED' },
        { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
        { Name: 'EKS_AUDIT_LOGS', Status: 'DISABLED' },
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'DISABLED' },
        { Name: 'RDS_LOGIN_EVENTS', Status: 'DISABLED' },
        {
          Name: 'RUNTIME_MONITORING',
          Status: 'ENABLED',
          AdditionalConfiguration: [
            { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' },
          ],
        },
      ],
    });
  });

  test('enables only CIS v5.0.0', () => {
    const standards = Object.values(template.findResources('AWS::SecurityHub::Standard'));
    expect(standards.map((s) => s.Properties.StandardsArn)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/5.0.0']] },
    ]);
  });

  test('severity 4.5: GuardDuty from 4.5, Security Hub from the MEDIUM band', () => {
    expect(rule(template, 'ThreatsGuardDutyFindings').EventPattern.detail).toEqual({ severity: [{ numeric: ['>=', 4.5] }] });
    expect(rule(template, 'ThreatsSecurityHubFindings').EventPattern.detail.findings.Severity).toEqual({ Label: ['MEDIUM', 'HIGH', 'CRITICAL'] });
    expect(threats.minimumSeverity).toBe(4.5);
  });

  test('subscribes the e-mail addresses, each with the dead-letter queue as redrive target', () => {
    for (const email of ['security@example.com', 'oncall@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: Match.stringLikeRegexp('^ThreatsTopic') },
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ThreatsDeadLetterQueue'), 'Arn'] } },
      });
    }
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: Match.stringLikeRegexp('^ThreatsTopic') } } },
        })]),
      },
    });
  });

  test('the given key encrypts topic and queue, and lets SNS of this account dead-letter with it', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityKey'), 'Arn'] } });
    expect(keyStatement(template, 'AllowSnsToDeadLetter', 'SecurityKey')).toEqual({
      Sid: 'AllowSnsToDeadLetter',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(keyStatement(template, 'AllowEventBridgeToDeliver', 'SecurityKey')).toBeDefined();
    expect(keyStatement(template, 'AllowEventBridgeToDeliver')).toBeUndefined();
  });

  test('puts the dead-letter alarm in the shared AlarmSet', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Test-Platform-ThreatsUndeliveredDepth' });
    expect(shared.alarms).toHaveLength(1);
    expect(threats.alarms).toBe(shared);
  });
});

describe('ThreatDetection where GuardDuty and Security Hub exist already', () => {
  let template: Template;
  let threats: ThreatDetection;

  beforeAll(() => {
    const stack = testStack(testApp());
    const topic = new sns.Topic(stack, 'Existing', { masterKey: testKey(stack, 'TopicKey', { enableKeyRotation: true }), enforceSSL: true });
    threats = new ThreatDetection(stack, 'Threats', { createDetector: false, createSecurityHub: false, topic, minimumSeverity: 9 });
    template = Template.fromStack(stack);
  });

  test('creates neither detector nor hub nor standards', () => {
    template.resourceCountIs('AWS::GuardDuty::Detector', 0);
    template.resourceCountIs('AWS::SecurityHub::Hub', 0);
    template.resourceCountIs('AWS::SecurityHub::Standard', 0);
    expect(threats.detector).toBeUndefined();
    expect(threats.detectorId).toBeUndefined();
    expect(threats.hub).toBeUndefined();
  });

  test('still routes CRITICAL findings to the given topic, which only the rules may publish to', () => {
    expect(rule(template, 'ThreatsGuardDutyFindings').EventPattern.detail).toEqual({ severity: [{ numeric: ['>=', 9] }] });
    expect(rule(template, 'ThreatsSecurityHubFindings').EventPattern.detail.findings.Severity).toEqual({ Label: ['CRITICAL'] });
    expect(rule(template, 'ThreatsGuardDutyFindings').Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^Existing/) });
    template.resourceCountIs('AWS::SNS::Topic', 2); // the given one and the AlarmSet's
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^Existing') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowFindingRulesToPublish' })]) },
    });
  });
});

describe('ThreatDetection severity bands', () => {
  test.each([
    [1, ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']],
    [3.9, ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']],
    [4, ['MEDIUM', 'HIGH', 'CRITICAL']],
    [7, ['HIGH', 'CRITICAL']],
    [8.9, ['HIGH', 'CRITICAL']],
    [10, ['CRITICAL']],
  ])('minimumSeverity %p sends Security Hub labels %p', (minimumSeverity, labels) => {
    const stack = testStack(testApp());
    const threats = new ThreatDetection(stack, 'Threats', { minimumSeverity, createDetector: false, createSecurityHub: false });
    const pattern = stack.resolve((threats.securityHubRule.node.defaultChild as any).eventPattern);
    expect(pattern.detail.findings.Severity.Label).toEqual(labels);
  });
});

describe('ThreatDetection prop validation', () => {
  const make = (props: ThreatDetectionProps) => () => new ThreatDetection(testStack(testApp()), 'Threats', props);

  test('severity range', () => {
    expect(make({ minimumSeverity: 0.5 })).toThrow('ThreatDetection "Threats" (Test/Threats): minimumSeverity must be 1-10, got 0.5');
    expect(make({ minimumSeverity: 11 })).toThrow('ThreatDetection "Threats" (Test/Threats): minimumSeverity must be 1-10, got 11');
    expect(make({ minimumSeverity: 8.5 })).not.toThrow();
  });

  test('e-mail addresses', () => {
    expect(make({ notificationEmails: ['security.example.com'] })).toThrow(
      'ThreatDetection "Threats" (Test/Threats): notificationEmails must be e-mail addresses, got "security.example.com"');
  });

  test('detector settings without a detector', () => {
    expect(make({ createDetector: false, runtimeMonitoring: true, findingPublishingFrequency: FindingPublishingFrequency.SIX_HOURS })).toThrow(
      'ThreatDetection "Threats" (Test/Threats): runtimeMonitoring, findingPublishingFrequency must be unset when createDetector is false (the existing detector\'s owner configures it), got "set"');
  });

  test('standards without a hub', () => {
    expect(make({ createSecurityHub: false, cisBenchmarkVersion: CisBenchmarkVersion.V1_4_0 })).toThrow(
      'ThreatDetection "Threats" (Test/Threats): cisBenchmarkVersion must be unset when createSecurityHub is false (the existing hub\'s owner manages standards), got "set"');
  });
});
