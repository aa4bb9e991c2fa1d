import { CfnElement, Duration, RemovalPolicy, Stack, aws_config as config, aws_kms as kms, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance/environment-config';
import { ComplianceRule, ComplianceRules, ComplianceRulesProps } from '../../src/security/compliance-rules';
import { expectNagClean, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const ALL_RULES = Object.values(ComplianceRule);
const PREFIX = 'Test-Compliance-FF917DE4';
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/** The AWS-owned runbook, resource parameter and fixed parameters of each remediable rule. */
const REMEDIATIONS: Record<string, { document: string; resource: string; fixed?: Record<string, string> }> = {
  S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED: { document: 'AWS-EnableS3BucketEncryption', resource: 'BucketName', fixed: { SSEAlgorithm: 'AES256' } },
  S3_BUCKET_PUBLIC_READ_PROHIBITED: { document: 'AWS-DisableS3BucketPublicReadWrite', resource: 'S3BucketName' },
  S3_BUCKET_PUBLIC_WRITE_PROHIBITED: { document: 'AWS-DisableS3BucketPublicReadWrite', resource: 'S3BucketName' },
  S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED: { document: 'AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock', resource: 'BucketName' },
  S3_BUCKET_SSL_REQUESTS_ONLY: { document: 'AWSConfigRemediation-RestrictBucketSSLRequestsOnly', resource: 'BucketName' },
  S3_BUCKET_VERSIONING_ENABLED: { document: 'AWS-ConfigureS3BucketVersioning', resource: 'BucketName', fixed: { VersioningState: 'Enabled' } },
  DYNAMODB_PITR_ENABLED: { document: 'AWSConfigRemediation-EnablePITRForDynamoDbTable', resource: 'TableName' },
  CMK_BACKING_KEY_ROTATION_ENABLED: { document: 'AWSConfigRemediation-EnableKeyRotation', resource: 'KeyId' },
  CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED: { document: 'AWSConfigRemediation-EnableCloudTrailLogFileValidation', resource: 'TrailName' },
  INCOMING_SSH_DISABLED: { document: 'AWS-DisableIncomingSSHOnPort22', resource: 'SecurityGroupIds' },
  VPC_DEFAULT_SECURITY_GROUP_CLOSED: { document: 'AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules', resource: 'GroupId' },
};

function logicalId(stack: Stack, c: { node: { defaultChild?: unknown } } | CfnElement): string {
  return stack.getLogicalId((c instanceof CfnElement ? c : c.node.defaultChild) as CfnElement);
}

function bucketStatements(stack: Stack, template: Template, rules: ComplianceRules): any[] {
  const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))
    .find((p: any) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(stack.resolve(rules.bucket!.bucketName))) as any;
  return policy.Properties.PolicyDocument.Statement;
}

describe('ComplianceRules with default props (prod profile)', () => {
  let stack: Stack;
  let rules: ComplianceRules;
  let template: Template;
  let resources: Record<string, any>;
  beforeAll(() => {
    stack = testStack();
    rules = new ComplianceRules(stack, 'Compliance');
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('records every supported resource type, global ones included, with the AWS Config service-linked role', () => {
    template.resourceCountIs('AWS::Config::ConfigurationRecorder', 1);
    expect(resources[logicalId(stack, rules.recorder!)].Properties).toEqual({
      RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
      RoleARN: arn(':iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig'),
    });
    template.resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
  });

  test('delivers daily snapshots to the SecureBucket, encrypted with the stack\'s customer-managed key', () => {
    const channel = resources[logicalId(stack, rules.deliveryChannel!)];
    expect(channel.Properties).toEqual({
      S3BucketName: stack.resolve(rules.bucket!.bucketName),
      S3KmsKeyArn: stack.resolve(rules.encryptionKey!.keyArn),
      ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'TwentyFour_Hours' },
    });
    expect(channel.DependsOn).toEqual(expect.arrayContaining([logicalId(stack, rules.recorder!), logicalId(stack, rules.bucket!.bucket.policy!)]));
    expect(rules.encryptionKey).toBe(stack.node.findChild('CloudVaultDefaultKey'));
  });

  test('the bucket policy admits AWS Config deliveries of this account only', () => {
    const statements = bucketStatements(stack, template, rules).filter((s) => s.Principal?.Service === 'config.amazonaws.com');
    expect(statements).toEqual([
      {
        Sid: 'AWSConfigBucketPermissionsCheck',
        Effect: 'Allow',
        Principal: { Service: 'config.amazonaws.com' },
        Action: ['s3:GetBucketAcl', 's3:ListBucket'],
        Resource: stack.resolve(rules.bucket!.bucketArn),
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
      {
        Sid: 'AWSConfigBucketDelivery',
        Effect: 'Allow',
        Principal: { Service: 'config.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: stack.resolve(rules.bucket!.bucket.arnForObjects('AWSLogs/123456789012/Config/*')),
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
    ]);
  });

  test('the key policy lets AWS Config encrypt deliveries for this account', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'AllowConfigDelivery',
          Effect: 'Allow',
          Principal: { Service: 'config.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }]),
      },
    });
  });

  test('deploys one managed rule per ComplianceRule, named after it, created after recorder and delivery channel', () => {
    expect(rules.selectedRules).toEqual(ALL_RULES);
    expect(rules.configRules).toHaveLength(22);
    template.resourceCountIs('AWS::Config::ConfigRule', 22);
    const names: Record<string, string> = {
      S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED: 's3-bucket-server-side-encryption-enabled',
      INCOMING_SSH_DISABLED: 'restricted-ssh',
      CLOUD_TRAIL_ENABLED: 'cloudtrail-enabled',
      LAMBDA_INSIDE_VPC: 'lambda-inside-vpc',
    };
    for (const rule of ALL_RULES) {
      const resource = resources[logicalId(stack, rules.ruleFor(rule)!)];
      expect(resource.Properties.Source).toEqual({ Owner: 'AWS', SourceIdentifier: rule });
      expect(resource.Properties.ConfigRuleName).toMatch(new RegExp(`^${PREFIX}-[a-z0-9-]+$`));
      if (names[rule]) expect(resource.Properties.ConfigRuleName).toBe(`${PREFIX}-${names[rule]}`);
      expect(resource.DependsOn).toEqual(expect.arrayContaining([logicalId(stack, rules.recorder!), logicalId(stack, rules.deliveryChannel!)]));
    }
    // The enum values are the managed rule identifiers CDK knows.
    expect(ALL_RULES.every((r) => (Object.values(config.ManagedRuleIdentifiers) as string[]).includes(r))).toBe(true);
  });

  test('adds a manual remediation with the AWS-owned runbook to each rule that has one', () => {
    template.resourceCountIs('AWS::Config::RemediationConfiguration', Object.keys(REMEDIATIONS).length);
    const roleArn = stack.resolve(rules.remediationRole!.roleArn);
    for (const [rule, expected] of Object.entries(REMEDIATIONS)) {
      const remediation = Object.values(template.findResources('AWS::Config::RemediationConfiguration'))
        .find((r: any) => r.Properties.ConfigRuleName.Ref === logicalId(stack, rules.ruleFor(rule as ComplianceRule)!)) as any;
      const fixed = Object.fromEntries(Object.entries(expected.fixed ?? {}).map(([k, v]) => [k, { StaticValue: { Values: [v] } }]));
      expect(remediation.Properties).toEqual({
        ConfigRuleName: { Ref: logicalId(stack, rules.ruleFor(rule as ComplianceRule)!) },
        TargetType: 'SSM_DOCUMENT',
        TargetId: expected.document,
        Parameters: {
          AutomationAssumeRole: { StaticValue: { Values: [roleArn] } },
          [expected.resource]: { ResourceValue: { Value: 'RESOURCE_ID' } },
          ...fixed,
        },
        Automatic: false,
        MaximumAutomaticAttempts: 5,
        RetryAttemptSeconds: 60,
      });
      expect(remediation.DependsOn).toEqual([logicalId(stack, rules.remediationPolicy!)]);
    }
  });

  test('the remediation role is assumable by SSM Automation of this account only', () => {
    expect(resources[logicalId(stack, rules.remediationRole!)].Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'ssm.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': arn(':ssm:eu-west-1:123456789012:automation-execution/*') },
      },
    }]);
  });

  test('the remediation policy holds exactly the actions the runbooks call, per resource type of this account', () => {
    expect(resources[logicalId(stack, rules.remediationPolicy!)].Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'RemediateS3',
        Effect: 'Allow',
        Action: [
          's3:DeleteBucketPolicy', 's3:GetBucketPolicy', 's3:GetBucketPublicAccessBlock', 's3:PutBucketPolicy',
          's3:PutBucketPublicAccessBlock', 's3:PutBucketVersioning', 's3:PutEncryptionConfiguration',
        ],
        Resource: arn(':s3:::*'),
        Condition: { StringEquals: { 'aws:ResourceAccount': '123456789012' } },
      },
      {
        Sid: 'RemediateDynamodb',
        Effect: 'Allow',
        Action: ['dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups'],
        Resource: arn(':dynamodb:eu-west-1:123456789012:table/*'),
      },
      {
        Sid: 'RemediateKms',
        Effect: 'Allow',
        Action: ['kms:EnableKeyRotation', 'kms:GetKeyRotationStatus'],
        Resource: arn(':kms:eu-west-1:123456789012:key/*'),
      },
      {
        Sid: 'RemediateCloudtrail',
        Effect: 'Allow',
        Action: ['cloudtrail:GetTrail', 'cloudtrail:UpdateTrail'],
        Resource: arn(':cloudtrail:eu-west-1:123456789012:trail/*'),
      },
      {
        Sid: 'RemediateEc2',
        Effect: 'Allow',
        Action: ['ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress'],
        Resource: arn(':ec2:eu-west-1:123456789012:security-group/*'),
      },
      { Sid: 'DescribeEc2', Effect: 'Allow', Action: 'ec2:DescribeSecurityGroups', Resource: '*' },
    ]);
    // Every permission sits in the customer-managed policy: no inline policy, no AWS managed policy.
    template.resourceCountIs('AWS::IAM::Policy', 0);
    expect(resources[logicalId(stack, rules.remediationRole!)].Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('ComplianceRules with a rich configuration (dev profile, own recorder)', () => {
  let stack: Stack;
  let rules: ComplianceRules;
  let key: kms.Key;
  let topic: sns.Topic;
  let template: Template;
  let resources: Record<string, any>;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'ConfigKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    topic = new sns.Topic(stack, 'ConfigTopic', { masterKey: key, enforceSSL: true });
    rules = new ComplianceRules(stack, 'Compliance', {
      createServiceLinkedRole: true,
      includeGlobalResourceTypes: false,
      encryptionKey: key,
      snapshotDeliveryFrequency: config.MaximumExecutionFrequency.SIX_HOURS,
      deliveryTopic: topic,
      excludeRules: [ComplianceRule.LAMBDA_INSIDE_VPC, ComplianceRule.LAMBDA_CONCURRENCY_CHECK],
      ruleNamePrefix: 'cloudvault',
      remediationEnabled: false,
    });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates the service-linked role before the recorder and leaves out global resource types', () => {
    const recorder = resources[logicalId(stack, rules.recorder!)];
    expect(recorder.Properties.RecordingGroup).toEqual({ AllSupported: true, IncludeGlobalResourceTypes: false });
    template.hasResourceProperties('AWS::IAM::ServiceLinkedRole', { AWSServiceName: 'config.amazonaws.com' });
    expect(recorder.DependsOn).toEqual([stack.getLogicalId(rules.node.findChild('ServiceLinkedRole') as CfnElement)]);
  });

  test('delivers every six hours with the given key and notifies the topic, which admits AWS Config', () => {
    expect(resources[logicalId(stack, rules.deliveryChannel!)].Properties).toEqual({
      S3BucketName: stack.resolve(rules.bucket!.bucketName),
      S3KmsKeyArn: stack.resolve(key.keyArn),
      SnsTopicARN: stack.resolve(topic.topicArn),
      ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'Six_Hours' },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'AWSConfigSNSPolicy',
          Effect: 'Allow',
          Principal: { Service: 'config.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: stack.resolve(topic.topicArn),
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowConfigDelivery' })]) },
    });
    expect(stack.node.tryFindChild('CloudVaultDefaultKey')).toBeDefined(); // the delivery bucket's alarm topic
    expect(rules.bucket!.encryptionKey).toBe(key);
  });

  test('deploys all but the excluded rules under the given prefix, without remediations', () => {
    expect(rules.selectedRules).toHaveLength(20);
    expect(rules.ruleFor(ComplianceRule.LAMBDA_INSIDE_VPC)).toBeUndefined();
    template.resourceCountIs('AWS::Config::ConfigRule', 20);
    template.hasResourceProperties('AWS::Config::ConfigRule', { ConfigRuleName: 'cloudvault-restricted-ssh' });
    template.resourceCountIs('AWS::Config::RemediationConfiguration', 0);
    expect(rules.remediationRole).toBeUndefined();
    expect(rules.node.tryFindChild('RemediationRole')).toBeUndefined();
  });
});

describe('ComplianceRules next to an existing recorder, with automatic remediation', () => {
  let stack: Stack;
  let rules: ComplianceRules;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    rules = new ComplianceRules(stack, 'Compliance', {
      createRecorder: false,
      rules: [ComplianceRule.CMK_BACKING_KEY_ROTATION_ENABLED, ComplianceRule.S3_BUCKET_VERSIONING_ENABLED, ComplianceRule.SNS_ENCRYPTED_KMS],
      automaticRemediation: true,
      maximumAutomaticAttempts: 3,
      retryInterval: Duration.minutes(5),
      remediationBucketNamePattern: 'myapp-prod-*',
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates no recorder, delivery channel, bucket or key, and the rules wait for nothing', () => {
    for (const type of ['AWS::Config::ConfigurationRecorder', 'AWS::Config::DeliveryChannel', 'AWS::S3::Bucket', 'AWS::KMS::Key']) {
      template.resourceCountIs(type, 0);
    }
    expect(rules.recorder).toBeUndefined();
    expect(rules.bucket).toBeUndefined();
    for (const rule of Object.values(template.findResources('AWS::Config::ConfigRule'))) {
      expect((rule as any).DependsOn).toBeUndefined();
    }
  });

  test('deploys only the chosen rules, and remediates automatically with the retry settings', () => {
    // In ComplianceRule order, whatever the order given.
    expect(rules.selectedRules).toEqual([
      ComplianceRule.S3_BUCKET_VERSIONING_ENABLED, ComplianceRule.CMK_BACKING_KEY_ROTATION_ENABLED, ComplianceRule.SNS_ENCRYPTED_KMS,
    ]);
    template.resourceCountIs('AWS::Config::ConfigRule', 3);
    template.resourceCountIs('AWS::Config::RemediationConfiguration', 2);
    for (const document of ['AWS-ConfigureS3BucketVersioning', 'AWSConfigRemediation-EnableKeyRotation']) {
      template.hasResourceProperties('AWS::Config::RemediationConfiguration', {
        TargetId: document, Automatic: true, MaximumAutomaticAttempts: 3, RetryAttemptSeconds: 300,
      });
    }
  });

  test('the remediation policy grants only what these two runbooks call', () => {
    const statements = template.toJSON().Resources[logicalId(stack, rules.remediationPolicy!)].Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => [s.Sid, s.Action])).toEqual([
      ['RemediateS3', 's3:PutBucketVersioning'],
      ['RemediateKms', ['kms:EnableKeyRotation', 'kms:GetKeyRotationStatus']],
    ]);
  });

  test('the S3 remediation may change only the buckets named by remediationBucketNamePattern', () => {
    const statements = template.toJSON().Resources[logicalId(stack, rules.remediationPolicy!)].Properties.PolicyDocument.Statement;
    expect(statements[0].Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::myapp-prod-*']] });
    expect(statements[0].Condition).toEqual({ StringEquals: { 'aws:ResourceAccount': '123456789012' } });
  });
});

describe('ComplianceRules validation', () => {
  const make = (props: ComplianceRulesProps) => () => new ComplianceRules(testStack(), 'Compliance', props);
  const prefix = 'ComplianceRules "Compliance" (Test/Compliance): ';

  test('unknown rules', () => {
    expect(make({ rules: ['S3_BUCKET_MAGIC' as ComplianceRule] })).toThrow(
      `${prefix}rules must be ComplianceRule values (22 rules, e.g. S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED), got ["S3_BUCKET_MAGIC"]`);
  });

  test('unknown rule exclusions', () => {
    expect(make({ excludeRules: ['LAMBDA_EVERYWHERE' as ComplianceRule] })).toThrow(
      `${prefix}excludeRules must be ComplianceRule values (22 rules, e.g. S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED), got ["LAMBDA_EVERYWHERE"]`);
  });

  test('exclusions of rules that are not selected', () => {
    expect(make({ rules: [ComplianceRule.SNS_ENCRYPTED_KMS], excludeRules: [ComplianceRule.LAMBDA_INSIDE_VPC] })).toThrow(
      `${prefix}excludeRules must be rules that are selected (in rules, or any ComplianceRule by default), got ["LAMBDA_INSIDE_VPC"]`);
  });

  test('duplicate rules', () => {
    expect(make({ rules: [ComplianceRule.SNS_ENCRYPTED_KMS, ComplianceRule.SNS_ENCRYPTED_KMS] })).toThrow(
      `${prefix}rules must be free of duplicates, got ["SNS_ENCRYPTED_KMS"]`);
  });

  test('excluding every rule', () => {
    expect(make({ rules: [ComplianceRule.SNS_ENCRYPTED_KMS], excludeRules: [ComplianceRule.SNS_ENCRYPTED_KMS] })).toThrow(
      `${prefix}excludeRules must be leaving at least one rule, got ["SNS_ENCRYPTED_KMS"]`);
  });

  test.each([0, 26, 2.5])('maximumAutomaticAttempts %p', (attempts) => {
    expect(make({ maximumAutomaticAttempts: attempts })).toThrow(`${prefix}maximumAutomaticAttempts must be an integer 1-25, got ${attempts}`);
  });

  test.each([
    [Duration.seconds(0), '0 seconds'],
    [Duration.days(31), '2678400 seconds'],
  ])('retryInterval %s', (retryInterval, got) => {
    expect(make({ retryInterval })).toThrow(`${prefix}retryInterval must be 1-2592000 seconds, got "${got}"`);
  });

  test('retryInterval with a fraction of a second', () => {
    expect(make({ retryInterval: Duration.millis(1500) })).toThrow(`${prefix}retryInterval must be a whole number of seconds, got "Duration.millis(1500)"`);
  });

  test('unknown delivery frequency', () => {
    expect(make({ snapshotDeliveryFrequency: 'Hourly' as config.MaximumExecutionFrequency })).toThrow(
      `${prefix}snapshotDeliveryFrequency must be one of One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours, got "Hourly"`);
  });

  test('ruleNamePrefix', () => {
    expect(make({ ruleNamePrefix: 'my rules' })).toThrow(`${prefix}ruleNamePrefix must be 1-64 letters, digits, "_", "." or "-", got "my rules"`);
  });

  test('remediationBucketNamePattern', () => {
    expect(make({ remediationBucketNamePattern: 'MyApp/*' })).toThrow(`${prefix}remediationBucketNamePattern must be 1-63 lower-case letters, digits, ".", "-" or "*", got "MyApp/*"`);
  });

  test('automatic remediation without remediations', () => {
    expect(make({ remediationEnabled: false, automaticRemediation: true })).toThrow(
      `${prefix}automaticRemediation must be false when remediationEnabled is false, got true`);
  });

  test('recorder settings without a recorder', () => {
    const stack = testStack();
    const key = testKey(stack, 'Key', { enableKeyRotation: true });
    const tail = 'unset when createRecorder is false (it configures the recorder and delivery channel this construct would create)';
    expect(() => new ComplianceRules(stack, 'Compliance', { createRecorder: false, encryptionKey: key })).toThrow(`${prefix}encryptionKey must be ${tail}, got "Test/Key"`);
    expect(make({ createRecorder: false, createServiceLinkedRole: true })).toThrow(`${prefix}createServiceLinkedRole must be ${tail}, got true`);
    expect(make({ createRecorder: false, includeGlobalResourceTypes: false })).toThrow(`${prefix}includeGlobalResourceTypes must be ${tail}, got false`);
    expect(make({ createRecorder: false, snapshotDeliveryFrequency: config.MaximumExecutionFrequency.ONE_HOUR }))
      .toThrow(`${prefix}snapshotDeliveryFrequency must be ${tail}, got "One_Hour"`);
  });
});
