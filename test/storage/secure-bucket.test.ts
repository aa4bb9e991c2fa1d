import { CfnElement, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_s3_notifications as s3n, aws_sns as sns } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { SecureBucket, SecureBucketProps } from '../../src/storage';
import { expectNagClean, formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

function resourceOf(stack: Stack, template: Template, construct: { node: { defaultChild?: unknown } }): any {
  return template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as CfnElement)];
}

function policyOf(stack: Stack, template: Template, bucket: s3.IBucket): any[] {
  const ref = stack.resolve(bucket.bucketName);
  const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p: any) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref)) as any;
  return policy.Properties.PolicyDocument.Statement;
}

const TLS_DENIES = [
  Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
  Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
];
const BLOCK_ALL = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

describe('SecureBucket with default props (prod profile)', () => {
  let stack: Stack;
  let secure: SecureBucket;
  let template: Template;
  let bucket: any;
  let logs: any;
  beforeAll(() => {
    stack = testStack();
    secure = new SecureBucket(stack, 'Blobs');
    template = Template.fromStack(stack);
    bucket = resourceOf(stack, template, secure.bucket);
    logs = resourceOf(stack, template, secure.accessLogsBucket);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('encrypts with SSE-KMS under the stack\'s customer-managed key, with a bucket key', () => {
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(secure.encryptionKey.keyArn) },
    }]);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('blocks public access, disables ACLs and keeps versions', () => {
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual(BLOCK_ALL);
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  test('denies requests without TLS and below TLS 1.2', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: stack.resolve(secure.bucket.bucketName),
      PolicyDocument: { Statement: Match.arrayWith(TLS_DENIES) },
    });
  });

  test('logs server access to the separate log bucket, partitioned by source bucket and date', () => {
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: stack.resolve(secure.accessLogsBucket.bucketName),
      LogFilePrefix: 'access-logs/',
      TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
    });
    const grant = policyOf(stack, template, secure.accessLogsBucket).find((s) => s.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(grant).toMatchObject({
      Effect: 'Allow',
      Action: 's3:PutObject',
      Condition: { ArnLike: { 'aws:SourceArn': stack.resolve(secure.bucket.bucketArn) }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(JSON.stringify(grant.Resource)).toContain('/access-logs/*');
  });

  test('the log bucket is SSE-S3 (the only encryption log delivery supports), TLS-only, private, versioned, not logging itself', () => {
    expect(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(logs.Properties.PublicAccessBlockConfiguration).toEqual(BLOCK_ALL);
    expect(logs.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(logs.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(logs.Properties.LoggingConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: stack.resolve(secure.accessLogsBucket.bucketName),
      PolicyDocument: { Statement: Match.arrayWith(TLS_DENIES) },
    });
  });

  test('the log bucket keeps logs for the profile\'s log retention (one year in prod)', () => {
    expect(logs.Properties.LifecycleConfiguration.Rules).toEqual([{
      Id: 'AccessLogs',
      Status: 'Enabled',
      ExpirationInDays: 365,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    }]);
  });

  test('the default lifecycle tiers, archives and expires objects and cleans up', () => {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([{
      Id: 'Default',
      Status: 'Enabled',
      Transitions: [
        { StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 },
        { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
      ],
      ExpirationInDays: 365,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    }]);
  });

  test('prod retains both buckets and never auto-deletes objects', () => {
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(logs.DeletionPolicy).toBe('Retain');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('turns on request metrics for the whole bucket and alarms on its 5xx errors', () => {
    expect(bucket.Properties.MetricsConfigurations).toEqual([{ Id: 'EntireBucket' }]);
    expect(secure.alarms.alarms).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/S3',
      MetricName: '5xxErrors',
      Dimensions: Match.arrayWith([{ Name: 'BucketName', Value: stack.resolve(secure.bucket.bucketName) }, { Name: 'FilterId', Value: 'EntireBucket' }]),
    });
  });

  test('has Object Lock on with no default retention, and EventBridge notifications set on the bucket itself (AWS Control Tower CT.S3.PR.9, CT.S3.PR.4)', () => {
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the access-log bucket has Object Lock and EventBridge too, and acknowledges only what S3 log delivery forbids', () => {
    const logBucket = template.toJSON().Resources[stack.getLogicalId(secure.accessLogsBucket.node.defaultChild as s3.CfnBucket)];
    expect(logBucket.Properties.ObjectLockEnabled).toBe(true);
    expect(logBucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(logBucket.Metadata.guard.SuppressedRules.sort()).toEqual(['S3_BUCKET_REPLICATION_ENABLED', 'S3_DEFAULT_ENCRYPTION_KMS', 's3_bucket_default_encryption_kms_check', 's3_bucket_logging_enabled_check']);
  });
});

describe('SecureBucket with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let secure: SecureBucket;
  let shared: AlarmSet;
  let sharedLogs: s3.Bucket;
  let key: kms.Key;
  let template: Template;
  let bucket: any;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'BlobKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    // One SecureBucket's log bucket serves the second one too.
    const first = new SecureBucket(stack, 'Reports', { alarms: shared });
    sharedLogs = first.accessLogsBucket as s3.Bucket;
    secure = new SecureBucket(stack, 'Blobs', {
      bucketName: 'cloudvault-blobs-dev',
      encryptionKey: key,
      accessLogsBucket: sharedLogs,
      accessLogsPrefix: 'blobs/',
      lifecycle: {
        intelligentTieringAfterDays: 1,
        glacierAfterDays: 180,
        expirationEnabled: false,
        noncurrentVersionExpirationDays: 90,
        abortIncompleteMultipartUploadDays: 2,
      },
      objectLock: { mode: s3.ObjectLockMode.COMPLIANCE, retentionDays: 30 },
      eventBridgeEnabled: true,
      alarms: shared,
    });
    const topic = new sns.Topic(stack, 'Uploads', { masterKey: key, enforceSSL: true });
    secure.addObjectCreatedNotification(new s3n.SnsDestination(topic), { prefix: 'incoming/' });
    secure.addObjectRemovedNotification(new s3n.SnsDestination(topic));
    template = Template.fromStack(stack);
    bucket = resourceOf(stack, template, secure.bucket);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('uses the given name and key', () => {
    expect(bucket.Properties.BucketName).toBe('cloudvault-blobs-dev');
    const [sse] = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration;
    expect(sse.ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(key.keyArn) });
  });

  test('logs to the given bucket under its prefix, and lets S3 deliver there', () => {
    expect(secure.accessLogsBucket).toBe(sharedLogs);
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual(stack.resolve(sharedLogs.bucketName));
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('blobs/');
    const grants = policyOf(stack, template, sharedLogs).filter((s) => s.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(grants.map((g) => g.Condition.ArnLike['aws:SourceArn'])).toContainEqual(stack.resolve(secure.bucket.bucketArn));
    template.resourceCountIs('AWS::S3::Bucket', 3);
  });

  test('applies the custom lifecycle without expiry', () => {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([{
      Id: 'Default',
      Status: 'Enabled',
      Transitions: [
        { StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 1 },
        { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
      ],
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
    }]);
  });

  test('locks new versions in COMPLIANCE mode for the retention days', () => {
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } });
  });

  test('dev destroys buckets and empties them, except the Object Lock bucket, which cannot be emptied', () => {
    const reports = resourceOf(stack, template, sharedLogs);
    expect(reports.DeletionPolicy).toBe('Delete');
    expect(bucket.DeletionPolicy).toBe('Retain');
    const autoDeleted = Object.values(template.findResources('Custom::S3AutoDeleteObjects')).map((r: any) => JSON.stringify(r.Properties.BucketName));
    expect(autoDeleted).toContain(JSON.stringify(stack.resolve(sharedLogs.bucketName)));
    expect(autoDeleted).not.toContain(JSON.stringify(stack.resolve(secure.bucket.bucketName)));
  });

  test('sends events to EventBridge and object-created/removed notifications to the topic', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: stack.resolve(secure.bucket.bucketName),
      NotificationConfiguration: {
        EventBridgeConfiguration: {},
        TopicConfigurations: [
          Match.objectLike({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } } }),
          Match.objectLike({ Events: ['s3:ObjectRemoved:*'] }),
        ],
      },
    });
  });

  test('puts both buckets\' 5xx alarms into the shared set', () => {
    expect(secure.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(2);
    template.resourceCountIs('AWS::SNS::Topic', 2);
  });
});

test('an imported log bucket is used as given, with a warning that its policy must allow log delivery', () => {
  const stack = testStack();
  const secure = new SecureBucket(stack, 'Blobs', { accessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'cloudvault-access-logs') });
  const template = Template.fromStack(stack);
  expect(resourceOf(stack, template, secure.bucket).Properties.LoggingConfiguration.DestinationBucketName).toBe('cloudvault-access-logs');
  template.resourceCountIs('AWS::S3::Bucket', 1);
  Annotations.fromStack(stack).hasWarning('/Test/Blobs', Match.stringLikeRegexp('must let logging.s3.amazonaws.com s3:PutObject under "access-logs/"'));
});

describe('SecureBucket grants', () => {
  let stack: Stack;
  let secure: SecureBucket;
  let template: Template;
  const roles: Record<string, iam.Role> = {};
  beforeAll(() => {
    stack = testStack();
    secure = new SecureBucket(stack, 'Blobs');
    for (const name of ['Reader', 'Getter', 'Writer', 'ReaderWriter', 'Putter', 'Deleter', 'Aborter', 'PartLister', 'Scoped']) {
      roles[name] = new iam.Role(stack, name, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    }
    secure.grantRead(roles.Reader);
    secure.grantWrite(roles.Writer);
    secure.grantReadWrite(roles.ReaderWriter);
    secure.grantPut(roles.Putter);
    secure.grantDelete(roles.Deleter);
    secure.grantGet(roles.Getter);
    secure.grantAbortMultipartUpload(roles.Aborter);
    secure.grantListMultipartUploadParts(roles.PartLister, 'tenants/*');
    secure.grantRead(roles.Scoped, 'tenant-a/*');
    template = Template.fromStack(stack);
  });

  function statementsOf(roleName: string): any[] {
    const roleId = stack.getLogicalId(roles[roleName].node.defaultChild as CfnElement);
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles[0].Ref === roleId) as any;
    return policy.Properties.PolicyDocument.Statement;
  }
  const actionsOf = (roleName: string) => statementsOf(roleName).flatMap((s) => [s.Action].flat()).sort();

  test('grantRead lists the bucket, reads objects and versions, decrypts', () => {
    expect(actionsOf('Reader')).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
  });

  test('grantGet reads objects and versions and decrypts, without listing the bucket', () => {
    expect(actionsOf('Getter')).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectVersion']);
  });

  test('grantAbortMultipartUpload aborts uploads only: no put, read or delete, no key use', () => {
    expect(actionsOf('Aborter')).toEqual(['s3:AbortMultipartUpload']);
  });

  test('grantListMultipartUploadParts lists an upload\'s parts under the pattern only', () => {
    expect(statementsOf('PartLister')).toEqual([expect.objectContaining({
      Action: 's3:ListMultipartUploadParts',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stack.getLogicalId(secure.bucket.node.defaultChild as CfnElement), 'Arn'] }, '/tenants/*']] },
    })]);
  });

  test('grantPut uploads (single and multipart) and encrypts, nothing else', () => {
    expect(actionsOf('Putter')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 's3:AbortMultipartUpload', 's3:PutObject']);
  });

  test('grantDelete adds delete markers only: permanent version deletion is not granted', () => {
    expect(actionsOf('Deleter')).toEqual(['s3:DeleteObject']);
  });

  test('grantWrite is put plus delete, grantReadWrite is read plus write', () => {
    expect(actionsOf('Writer')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject']);
    expect(actionsOf('ReaderWriter')).toEqual([
      'kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 's3:AbortMultipartUpload', 's3:DeleteObject',
      's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject',
    ]);
  });

  test('no grant carries a wildcard action', () => {
    for (const name of Object.keys(roles)) {
      expect(actionsOf(name).filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  test('object grants are limited to the key pattern', () => {
    const objects = statementsOf('Scoped').find((s) => [s.Action].flat().includes('s3:GetObject'));
    expect(JSON.stringify(objects.Resource)).toContain('/tenant-a/*');
  });
});

describe('SecureBucket grants to a principal in another stack', () => {
  let consumer: Stack;
  let producer: Stack;
  beforeAll(() => {
    const app = testApp();
    producer = new Stack(app, 'Storage', { env: { account: '123456789012', region: 'eu-west-1' } });
    consumer = new Stack(app, 'Workers', { env: { account: '123456789012', region: 'eu-west-1' } });
    const secure = new SecureBucket(producer, 'Files');
    const worker = new iam.Role(consumer, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    secure.grantRead(worker, 'tenants/*');
    secure.grantPut(worker, 'thumbnails/*');
    // A per-session prefix (tenant sessions, session tag tenantId): cdk-nag reports it as `<aws:...>`.
    secure.grantGet(worker, 'sessions/${aws:PrincipalTag/tenantId}/*');
    app.synth();
  });

  test('reads the bucket ARN from one named export and scopes objects to the key patterns', () => {
    Template.fromStack(producer).hasOutput('*', { Export: { Name: 'Storage-Files-BucketArn' } });
    const policy = Object.values(Template.fromStack(consumer).findResources('AWS::IAM::Policy'))[0] as any;
    const resources = JSON.stringify(policy.Properties.PolicyDocument.Statement.map((st: any) => st.Resource));
    expect(resources).toContain('{"Fn::ImportValue":"Storage-Files-BucketArn"},"/tenants/*"');
    expect(resources).toContain('{"Fn::ImportValue":"Storage-Files-BucketArn"},"/thumbnails/*"');
    expect(resources).toContain('{"Fn::ImportValue":"Storage-Files-BucketArn"},"/sessions/${aws:PrincipalTag/tenantId}/*"');
    expect(consumer.dependencies).toContain(producer);
  });

  test('the object wildcards are acknowledged by exact resource: no IAM5 finding in the consumer, producer nag-clean', () => {
    expectNagClean(producer);
    // (The bare test role's inline policy has findings of its own; a function's role would not.)
    expect(formatFindings(nagFindings(consumer))).not.toContain('IAM5');
    expect(formatFindings(nagFindings(consumer))).toContain('IAMNoInlinePolicy'); // the check ran
  });
});

describe('SecureBucket rejects invalid props', () => {
  function make(props: SecureBucketProps): SecureBucket {
    return new SecureBucket(testStack(testApp()), 'Blobs', props);
  }

  test.each([
    ['ab', '3-63 characters long'],
    ['a'.repeat(64), '3-63 characters long'],
    ['CloudVault-Blobs', 'made of lowercase letters, digits, "." and "-" only'],
    ['cloudvault_blobs', 'made of lowercase letters, digits, "." and "-" only'],
    ['-cloudvault', 'starting and ending with a lowercase letter or digit'],
    ['cloudvault.', 'starting and ending with a lowercase letter or digit'],
    ['cloud..vault', 'free of adjacent dots ("..")'],
    ['192.168.5.4', 'not formatted as an IP address'],
    ['xn--cloudvault', 'free of the reserved prefix "xn--"'],
    ['sthree-cloudvault', 'free of the reserved prefix "sthree-"'],
    ['cloudvault-s3alias', 'free of the reserved suffix "-s3alias"'],
    ['cloudvault--ol-s3', 'free of the reserved suffix "--ol-s3"'],
  ])('bucketName %s', (bucketName, allowed) => {
    expect(() => make({ bucketName })).toThrow(`SecureBucket "Blobs" (Test/Blobs): bucketName must be ${allowed}, got ${JSON.stringify(bucketName)}`);
  });

  test.each([
    [{ lifecycle: { glacierAfterDays: 30, intelligentTieringAfterDays: 60 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle days must be in ascending order: intelligentTieringAfterDays < glacierAfterDays < expirationDays (transitions before expiry), got [60, 30, 365]'],
    [{ lifecycle: { glacierAfterDays: 400 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle days must be in ascending order: intelligentTieringAfterDays < glacierAfterDays < expirationDays (transitions before expiry), got [0, 400, 365]'],
    [{ lifecycle: { expirationDays: 90 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle days must be in ascending order: intelligentTieringAfterDays < glacierAfterDays < expirationDays (transitions before expiry), got [0, 90, 90]'],
    [{ lifecycle: { expirationEnabled: false, expirationDays: 400 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle.expirationDays must be unset when lifecycle.expirationEnabled is false, got 400'],
    [{ lifecycle: { intelligentTieringAfterDays: -1 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle.intelligentTieringAfterDays must be an integer 0-36500, got -1'],
    [{ lifecycle: { noncurrentVersionExpirationDays: 0 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle.noncurrentVersionExpirationDays must be an integer 1-36500, got 0'],
    [{ lifecycle: { abortIncompleteMultipartUploadDays: 1.5 } },
      'SecureBucket "Blobs" (Test/Blobs): lifecycle.abortIncompleteMultipartUploadDays must be an integer 1-36500, got 1.5'],
    [{ objectLock: { retentionDays: 0 } }, 'SecureBucket "Blobs" (Test/Blobs): objectLock.retentionDays must be an integer 1-36500, got 0'],
    [{ objectLock: { retentionDays: -7 } }, 'SecureBucket "Blobs" (Test/Blobs): objectLock.retentionDays must be an integer 1-36500, got -7'],
    [{ accessLogsPrefix: 'logs/{bucket}/' }, 'SecureBucket "Blobs" (Test/Blobs): accessLogsPrefix must be 1-512 letters, digits, "/" or !_.*\'()-, got "logs/{bucket}/"'],
  ] as Array<[SecureBucketProps, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('valid names and a lifecycle without expiry but with late archiving are accepted', () => {
    expect(() => make({ bucketName: 'cloudvault.blobs-2024' })).not.toThrow();
    expect(() => make({ lifecycle: { expirationEnabled: false, glacierAfterDays: 2000 } })).not.toThrow();
  });
});
