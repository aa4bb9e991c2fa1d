import { CfnElement, RemovalPolicy, Stack, aws_cloudtrail as cloudtrail, aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_logs as logs, aws_s3 as s3 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance/environment-config';
import { AlarmSet } from '../../src/monitoring/alarm-set';
import { AuditTrail, AuditTrailProps } from '../../src/security/audit-trail';
import { expectNagClean, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const TRAIL_ARN = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:eu-west-1:123456789012:trail/${name}`]] });

function resourceOf(stack: Stack, template: Template, construct: { node: { defaultChild?: unknown } }): any {
  return template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
}

function statementsOf(template: Template, type: string, match: (r: any) => boolean, path: (r: any) => any[]): any[] {
  return Object.values(template.findResources(type)).filter(match).flatMap(path);
}

describe('AuditTrail with default props (prod profile)', () => {
  let stack: Stack;
  let audit: AuditTrail;
  let template: Template;
  let trail: any;
  let bucket: any;
  beforeAll(() => {
    stack = testStack();
    audit = new AuditTrail(stack, 'Audit');
    template = Template.fromStack(stack);
    trail = resourceOf(stack, template, audit.trail);
    bucket = resourceOf(stack, template, audit.bucket.bucket);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('is a logging multi-region trail with global service events, file validation and KMS encryption', () => {
    expect(trail.Properties).toMatchObject({
      TrailName: 'Test-Audit-AEBFCB0B',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: stack.resolve(audit.encryptionKey.keyArn),
      S3BucketName: stack.resolve(audit.bucket.bucketName),
    });
    expect(audit.encryptionKey).toBe(stack.node.findChild('CloudVaultDefaultKey'));
    expect(stack.resolve(audit.trailArn)).toEqual(TRAIL_ARN('Test-Audit-AEBFCB0B'));
  });

  test('logs all management events and no data events by default', () => {
    expect(trail.Properties.EventSelectors).toEqual([{ IncludeManagementEvents: true, ReadWriteType: 'All' }]);
    expect(trail.Properties.AdvancedEventSelectors).toBeUndefined();
  });

  test('delivers to the KMS-encrypted log group through a role whose only permission is writing to it', () => {
    expect(trail.Properties.CloudWatchLogsLogGroupArn).toEqual(stack.resolve(audit.logGroup.logGroupArn));
    expect(trail.Properties.CloudWatchLogsRoleArn).toEqual(stack.resolve(audit.logsRole.roleArn));
    expect(resourceOf(stack, template, audit.logGroup).Properties).toEqual({
      KmsKeyId: stack.resolve(audit.encryptionKey.keyArn),
      RetentionInDays: 365,
    });
    expect(resourceOf(stack, template, audit.logGroup).DeletionPolicy).toBe('Retain');
    expect(resourceOf(stack, template, audit.logsRole).Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' } },
    ]);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [stack.resolve((audit.logsRole.node.defaultChild as CfnElement).logicalId)].map((id) => ({ Ref: id })),
      PolicyDocument: {
        Statement: [{
          Sid: 'DeliverTrailEvents',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: stack.resolve(audit.logGroup.logGroupArn),
        }],
      },
    });
    // The L2's sendToCloudWatchLogs role would carry an inline policy (IAMNoInlinePolicy).
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('is created after the bucket policy and the delivery role\'s policy, which CloudTrail checks on create', () => {
    expect(trail.DependsOn).toEqual(expect.arrayContaining([
      stack.getLogicalId(audit.bucket.bucket.policy!.node.defaultChild as CfnElement),
      stack.getLogicalId((audit.logsRole as any).policy.node.defaultChild as CfnElement),
    ]));
  });

  test('writes to a SecureBucket with GOVERNANCE Object Lock for 365 days, retained', () => {
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
      .toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(audit.encryptionKey.keyArn) });
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(365);
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('the bucket policy admits CloudTrail for this trail only (aws:SourceArn)', () => {
    const statements = statementsOf(template, 'AWS::S3::BucketPolicy',
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(stack.resolve(audit.bucket.bucketName)),
      (p) => p.Properties.PolicyDocument.Statement).filter((s) => s.Principal?.Service === 'cloudtrail.amazonaws.com');
    expect(statements).toEqual([
      {
        Sid: 'AWSCloudTrailAclCheck',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: stack.resolve(audit.bucket.bucketArn),
        Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN('Test-Audit-AEBFCB0B') } },
      },
      {
        Sid: 'AWSCloudTrailWrite',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: stack.resolve(audit.bucket.bucket.arnForObjects('AWSLogs/123456789012/*')),
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN('Test-Audit-AEBFCB0B') } },
      },
    ]);
  });

  test('the key policy lets CloudTrail encrypt for this trail and use the bucket key, nothing else', () => {
    const statements = statementsOf(template, 'AWS::KMS::Key', () => true, (k) => k.Properties.KeyPolicy.Statement)
      .filter((s) => s.Principal?.Service === 'cloudtrail.amazonaws.com');
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'kms:GenerateDataKey',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceArn': TRAIL_ARN('Test-Audit-AEBFCB0B') },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:*:123456789012:trail/*']] } },
        },
      }),
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN('Test-Audit-AEBFCB0B') } },
      }),
    ]);
    // CloudWatch Logs may use the key for this account's log groups.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logs.eu-west-1.amazonaws.com' } })]) },
    });
  });

  test('alarms on unauthorized API calls, root account usage and trail changes from metric filters on the log group', () => {
    const filters = template.findResources('AWS::Logs::MetricFilter');
    const byMetric: Record<string, any> = Object.fromEntries(
      Object.values(filters).map((f: any) => [f.Properties.MetricTransformations[0].MetricName, f.Properties]));
    expect(Object.keys(byMetric).sort()).toEqual([
      'Test-Audit-AEBFCB0B-RootAccountUsage', 'Test-Audit-AEBFCB0B-TrailConfigurationChanges', 'Test-Audit-AEBFCB0B-UnauthorizedApiCalls',
    ]);
    for (const f of Object.values(byMetric)) {
      expect(f.LogGroupName).toEqual(stack.resolve(audit.logGroup.logGroupName));
      expect(f.MetricTransformations[0]).toMatchObject({ MetricNamespace: 'CloudVault/AuditTrail', MetricValue: '1' });
    }
    expect(byMetric['Test-Audit-AEBFCB0B-RootAccountUsage'].FilterPattern).toContain('$.userIdentity.type = "Root"');
    expect(byMetric['Test-Audit-AEBFCB0B-UnauthorizedApiCalls'].FilterPattern).toContain('$.errorCode = "AccessDenied*"');
    expect(byMetric['Test-Audit-AEBFCB0B-TrailConfigurationChanges'].FilterPattern).toContain('($.eventName = StopLogging)');
    for (const name of Object.keys(byMetric)) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CloudVault/AuditTrail',
        MetricName: name,
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        ActionsEnabled: true,
      });
    }
    // The three security alarms and the log bucket's 5xx alarm share the trail's set.
    expect(audit.alarms.alarms).toHaveLength(4);
    expect(audit.bucket.alarms).toBe(audit.alarms);
  });

  test('grantRead lets a principal list the bucket and read and decrypt the log files under AWSLogs/', () => {
    const s = testStack();
    const a = new AuditTrail(s, 'Audit');
    const reader = new iam.Role(s, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    a.grantRead(reader);
    const statements = Template.fromStack(s).findResources('AWS::IAM::Policy')[s.getLogicalId(reader.node.findChild('DefaultPolicy').node.defaultChild as CfnElement)]
      .Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: s.resolve(a.bucket.bucket.arnForObjects('AWSLogs/*')) }),
      expect.objectContaining({ Action: 's3:ListBucket', Resource: s.resolve(a.bucket.bucketArn) }),
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: s.resolve(a.encryptionKey.keyArn) }),
    ]));
  });
});

describe('AuditTrail with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let audit: AuditTrail;
  let key: kms.Key;
  let shared: AlarmSet;
  let data: s3.Bucket;
  let fn: lambda.Function;
  let template: Template;
  let trail: any;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'AuditKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Security');
    data = new s3.Bucket(stack, 'Data', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsPrefix: 'logs/',
    });
    fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    });
    audit = new AuditTrail(stack, 'Audit', {
      trailName: 'org.audit-trail_1',
      encryptionKey: key,
      objectLockMode: s3.ObjectLockMode.COMPLIANCE,
      objectLockRetentionDays: 400,
      s3DataEventBuckets: [data],
      lambdaDataEventFunctions: [fn],
      dataEventsReadWriteType: cloudtrail.ReadWriteType.WRITE_ONLY,
      logRetention: logs.RetentionDays.EIGHTEEN_MONTHS,
      alarms: shared,
    });
    template = Template.fromStack(stack);
    trail = resourceOf(stack, template, audit.trail);
  });

  test('the trail is nag-clean under all five packs', () => {
    // The data-event bucket and function are test fixtures; only the trail's constructs are checked.
    expectNagClean(audit);
  });

  test('uses the given name and key for trail, bucket and log group', () => {
    expect(trail.Properties.TrailName).toBe('org.audit-trail_1');
    expect(trail.Properties.KMSKeyId).toEqual(stack.resolve(key.keyArn));
    expect(resourceOf(stack, template, audit.logGroup).Properties.KmsKeyId).toEqual(stack.resolve(key.keyArn));
    expect(resourceOf(stack, template, audit.bucket.bucket).Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]
      .ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual(stack.resolve(key.keyArn));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:GenerateDataKey', Principal: { Service: 'cloudtrail.amazonaws.com' } })]) },
    });
  });

  test('logs write data events of the buckets and functions in selectors of their own, management events stay complete', () => {
    expect(trail.Properties.EventSelectors).toEqual([
      { IncludeManagementEvents: true, ReadWriteType: 'All' },
      {
        DataResources: [{ Type: 'AWS::S3::Object', Values: [{ 'Fn::Join': ['', [stack.resolve(data.bucketArn), '/']] }] }],
        IncludeManagementEvents: false,
        ReadWriteType: 'WriteOnly',
      },
      {
        DataResources: [{ Type: 'AWS::Lambda::Function', Values: [stack.resolve(fn.functionArn)] }],
        IncludeManagementEvents: false,
        ReadWriteType: 'WriteOnly',
      },
    ]);
  });

  test('COMPLIANCE Object Lock for 400 days, files kept at least that long', () => {
    const bucket = resourceOf(stack, template, audit.bucket.bucket);
    expect(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 400 });
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(400);
    // Locked versions cannot be deleted, so even dev retains the bucket.
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('follows the dev profile for the log group unless logRetention is given', () => {
    const logGroup = resourceOf(stack, template, audit.logGroup);
    expect(logGroup.Properties.RetentionInDays).toBe(545);
    expect(logGroup.DeletionPolicy).toBe('Delete');
  });

  test('adds its alarms to the shared set with ids prefixed by its path, actions off in dev', () => {
    expect(audit.alarms).toBe(shared);
    expect(shared.alarms.map((a) => a.node.id)).toEqual(['AuditBucket5xx', 'AuditUnauthorizedApiCalls', 'AuditRootAccountUsage', 'AuditTrailConfigurationChanges']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'org.audit-trail_1-RootAccountUsage', ActionsEnabled: false });
  });

  test('a destroying profile locks files for 1 day by default', () => {
    const s = testStack();
    EnvironmentConfig.dev().applyTo(s);
    const a = new AuditTrail(s, 'Audit');
    expect(resourceOf(s, Template.fromStack(s), a.bucket.bucket).Properties.ObjectLockConfiguration.Rule.DefaultRetention)
      .toEqual({ Mode: 'GOVERNANCE', Days: 1 });
  });
});

describe('AuditTrail validation', () => {
  const make = (props: AuditTrailProps) => () => new AuditTrail(testStack(), 'Audit', props);

  test.each([
    ['ab', 'must be 3-128 characters long, got "ab"'],
    ['a'.repeat(129), `must be 3-128 characters long, got "${'a'.repeat(129)}"`],
    ['my trail', 'must be made of letters, digits, ".", "_" and "-" only, got "my trail"'],
    ['-trail', 'must be starting and ending with a letter or digit, got "-trail"'],
    ['trail.', 'must be starting and ending with a letter or digit, got "trail."'],
    ['my-_trail', 'must be free of adjacent ".", "_" or "-" (such as "my-_trail"), got "my-_trail"'],
    ['my--trail', 'must be free of adjacent ".", "_" or "-" (such as "my-_trail"), got "my--trail"'],
    ['192.168.5.4', 'must be not formatted as an IP address, got "192.168.5.4"'],
  ])('trailName %j', (trailName, message) => {
    expect(make({ trailName })).toThrow(`AuditTrail "Audit" (Test/Audit): trailName ${message}`);
  });

  test.each([0, 36501, 1.5])('objectLockRetentionDays %p', (days) => {
    expect(make({ objectLockRetentionDays: days })).toThrow(`AuditTrail "Audit" (Test/Audit): objectLockRetentionDays must be an integer 1-36500, got ${days}`);
  });

  test('dataEventsReadWriteType NONE', () => {
    expect(make({ dataEventsReadWriteType: cloudtrail.ReadWriteType.NONE })).toThrow(
      'AuditTrail "Audit" (Test/Audit): dataEventsReadWriteType must be READ_ONLY, WRITE_ONLY or ALL (leave out the buckets and functions to log no data events), got "None"');
  });

  test('more than 250 data resources', () => {
    const stack = testStack();
    const buckets = Array.from({ length: 200 }, (_, i) => s3.Bucket.fromBucketName(stack, `B${i}`, `bucket-${i}`));
    const functions = Array.from({ length: 51 }, (_, i) => lambda.Function.fromFunctionName(stack, `F${i}`, `fn-${i}`));
    expect(() => new AuditTrail(stack, 'Audit', { s3DataEventBuckets: buckets, lambdaDataEventFunctions: functions })).toThrow(
      'AuditTrail "Audit" (Test/Audit): s3DataEventBuckets + lambdaDataEventFunctions must be at most 250 resources in total (the limit of a trail\'s event selectors), got 251');
  });

  test('accepts a valid name and the limits', () => {
    expect(make({ trailName: 'Org.Audit-1_x', objectLockRetentionDays: 36500 })).not.toThrow();
  });
});
