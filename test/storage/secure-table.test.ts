import { CfnElement, RemovalPolicy, Stack, aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { SecureTable, SecureTableProps } from '../../src/storage';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const pk = { name: 'pk', type: dynamodb.AttributeType.STRING };
const sk = { name: 'sk', type: dynamodb.AttributeType.STRING };
const REPLICA_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function globalTable(template: Template): any {
  const tables = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
  expect(tables).toHaveLength(1);
  return tables[0];
}

function alarmMetricNames(template: Template): string[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) =>
    a.Properties.MetricName ?? a.Properties.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName).filter(Boolean).join(','));
}

describe('SecureTable with default props (prod profile)', () => {
  let stack: Stack;
  let table: SecureTable;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    table = new SecureTable(stack, 'Files', { partitionKey: pk });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('encrypts with the stack\'s customer-managed key (rotation on)', () => {
    const key = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(key);
    expect(key[keyId].Properties.EnableKeyRotation).toBe(true);
    const gt = globalTable(template);
    expect(gt.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(gt.Properties.Replicas[0].SSESpecification).toEqual({ KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(stack.resolve(table.encryptionKey.keyArn)).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('has 35 days of point-in-time recovery, deletion protection, contributor insights and RETAIN', () => {
    const gt = globalTable(template);
    expect(gt.DeletionPolicy).toBe('Retain');
    expect(gt.UpdateReplacePolicy).toBe('Retain');
    expect(gt.Properties.Replicas[0]).toMatchObject({
      Region: 'eu-west-1',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
      DeletionProtectionEnabled: true,
      ContributorInsightsSpecification: { Enabled: true },
    });
  });

  test('bills on demand and has no stream, TTL or indexes', () => {
    const gt = globalTable(template);
    expect(gt.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(gt.Properties.StreamSpecification).toBeUndefined();
    expect(gt.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(gt.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  test('alarms on throttled requests and system errors, notifying an encrypted topic', () => {
    expect(table.alarms.alarms).toHaveLength(2);
    const metrics = alarmMetricNames(template);
    expect(metrics).toHaveLength(2);
    expect(metrics[0]).toBe('ReadThrottleEvents,WriteThrottleEvents');
    expect(metrics[1]).toMatch(/^(SystemErrors,?)+$/);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });
});

describe('SecureTable with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let table: SecureTable;
  let shared: AlarmSet;
  let key: kms.Key;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    key = testKey(stack, 'TableKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    table = new SecureTable(stack, 'Files', {
      partitionKey: pk,
      sortKey: sk,
      tableName: 'cv-files',
      encryptionKey: key,
      pointInTimeRecoveryPeriodDays: 7,
      stream: true,
      timeToLiveAttribute: 'expiresAt',
      contributorInsights: false,
      globalSecondaryIndexes: [
        { indexName: 'byOwner', partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER } },
        { indexName: 'byHash', partitionKey: { name: 'hash', type: dynamodb.AttributeType.BINARY }, projectionType: dynamodb.ProjectionType.KEYS_ONLY },
      ],
      localSecondaryIndexes: [{
        indexName: 'bySize',
        sortKey: { name: 'size', type: dynamodb.AttributeType.NUMBER },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: ['name', 'contentType'],
      }],
      capacity: { read: { minCapacity: 5, maxCapacity: 100, targetUtilizationPercent: 60 }, write: { maxCapacity: 20 } },
      replicaRegions: ['eu-central-1'],
      replicaKeyArns: { 'eu-central-1': REPLICA_KEY },
      alarms: shared,
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('dev drops deletion protection and destroys the table with the stack', () => {
    const gt = globalTable(template);
    expect(gt.DeletionPolicy).toBe('Delete');
    for (const replica of gt.Properties.Replicas) {
      expect(replica.DeletionProtectionEnabled).toBe(false);
    }
  });

  test('uses the given key here and the given key ARN in the replica region', () => {
    const gt = globalTable(template);
    const byRegion = Object.fromEntries(gt.Properties.Replicas.map((r: any) => [r.Region, r]));
    expect(Object.keys(byRegion).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    expect(byRegion['eu-west-1'].SSESpecification.KMSMasterKeyId).toEqual(stack.resolve(key.keyArn));
    expect(byRegion['eu-central-1'].SSESpecification.KMSMasterKeyId).toBe(REPLICA_KEY);
  });

  test('every replica gets the configured PITR window and no contributor insights', () => {
    for (const replica of globalTable(template).Properties.Replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 });
      expect(replica.ContributorInsightsSpecification).toEqual({ Enabled: false });
    }
  });

  test('has a NEW_AND_OLD_IMAGES stream, TTL and the typed indexes with their projections', () => {
    const p = globalTable(template).Properties;
    expect(p.TableName).toBe('cv-files');
    expect(p.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(p.GlobalSecondaryIndexes.map((g: any) => [g.IndexName, g.Projection.ProjectionType])).toEqual([['byOwner', 'ALL'], ['byHash', 'KEYS_ONLY']]);
    expect(p.GlobalSecondaryIndexes[0].KeySchema).toEqual([{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }]);
    expect(p.LocalSecondaryIndexes).toEqual([{
      IndexName: 'bySize',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'size', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name', 'contentType'] },
    }]);
  });

  test('provisioned capacity auto scales within the given ranges', () => {
    const p = globalTable(template).Properties;
    expect(p.BillingMode).toBe('PROVISIONED');
    expect(p.WriteProvisionedThroughputSettings).toEqual({
      WriteCapacityAutoScalingSettings: { MinCapacity: 1, MaxCapacity: 20, TargetTrackingScalingPolicyConfiguration: { TargetValue: 70 } },
    });
    for (const replica of p.Replicas) {
      expect(replica.ReadProvisionedThroughputSettings).toEqual({
        ReadCapacityAutoScalingSettings: { MinCapacity: 5, MaxCapacity: 100, TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 } },
      });
    }
  });

  test('puts throttle, error and capacity alarms into the shared set', () => {
    expect(table.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(4);
    // 80% of the ceiling over the 5-minute period: 100 RCU * 300 s * 0.8, 20 WCU * 300 s * 0.8.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConsumedReadCapacityUnits', Threshold: 24000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConsumedWriteCapacityUnits', Threshold: 4800 });
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toHaveLength(1);
  });
});

describe('SecureTable grants', () => {
  let stack: Stack;
  let template: Template;
  let table: SecureTable;
  const roles: Record<string, iam.Role> = {};
  beforeAll(() => {
    stack = testStack();
    table = new SecureTable(stack, 'Files', { partitionKey: pk, stream: true });
    for (const name of ['Reader', 'Writer', 'ReaderWriter', 'StreamReader']) {
      roles[name] = new iam.Role(stack, name, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    }
    table.grantReadData(roles.Reader);
    table.grantWriteData(roles.Writer);
    table.grantReadWriteData(roles.ReaderWriter);
    table.grantStreamRead(roles.StreamReader);
    template = Template.fromStack(stack);
  });

  function actionsOf(roleName: string): string[] {
    const roleId = stack.getLogicalId(roles[roleName].node.defaultChild as CfnElement);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const policy = policies.find((p) => p.Properties.Roles[0].Ref === roleId);
    return policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
  }

  test('grantReadData reads items and decrypts, nothing more', () => {
    const actions = actionsOf('Reader');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'kms:Decrypt']));
    expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });

  test('grantWriteData writes items and encrypts, without reads', () => {
    const actions = actionsOf('Writer');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'kms:Encrypt']));
    expect(actions).not.toContain('dynamodb:GetItem');
    expect(actions).not.toContain('dynamodb:Query');
  });

  test('grantReadWriteData does both', () => {
    expect(actionsOf('ReaderWriter')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'kms:Decrypt', 'kms:Encrypt']));
  });

  test('grantStreamRead reads the stream and decrypts', () => {
    expect(actionsOf('StreamReader')).toEqual(expect.arrayContaining([
      'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'kms:Decrypt',
    ]));
    expect(table.tableStreamArn).toBeDefined();
  });
});

describe('SecureTable rejects invalid props', () => {
  function make(props: Partial<SecureTableProps>, stack: Stack = testStack(testApp())): SecureTable {
    return new SecureTable(stack, 'Files', { partitionKey: pk, ...props });
  }
  const gsi = (i: number) => ({ indexName: `gsi${i}x`, partitionKey: { name: `a${i}`, type: dynamodb.AttributeType.STRING } });

  test.each([
    [{ pointInTimeRecoveryPeriodDays: 90 }, 'SecureTable "Files" (Test/Files): pointInTimeRecoveryPeriodDays must be an integer 1-35, got 90'],
    [{ pointInTimeRecoveryPeriodDays: 0 }, 'SecureTable "Files" (Test/Files): pointInTimeRecoveryPeriodDays must be an integer 1-35, got 0'],
    [{ globalSecondaryIndexes: Array.from({ length: 21 }, (_, i) => gsi(i)) },
      'SecureTable "Files" (Test/Files): globalSecondaryIndexes.length must be at most 20, got 21'],
    [{ sortKey: sk, localSecondaryIndexes: Array.from({ length: 6 }, (_, i) => ({ indexName: `lsi${i}`, sortKey: { name: `s${i}`, type: dynamodb.AttributeType.STRING } })) },
      'SecureTable "Files" (Test/Files): localSecondaryIndexes.length must be at most 5, got 6'],
    [{ localSecondaryIndexes: [{ indexName: 'bySize', sortKey: { name: 'size', type: dynamodb.AttributeType.NUMBER } }] },
      'SecureTable "Files" (Test/Files): localSecondaryIndexes must be empty when the table has no sortKey (a local index shares the table partition key and needs a table sort key), got ["bySize"]'],
    [{ globalSecondaryIndexes: [gsi(1), { ...gsi(2), indexName: 'gsi1x' }] },
      'SecureTable "Files" (Test/Files): globalSecondaryIndexes[1].indexName must be unique among the table\'s indexes, got "gsi1x"'],
    [{ globalSecondaryIndexes: [{ ...gsi(1), indexName: 'by owner' }] },
      'SecureTable "Files" (Test/Files): globalSecondaryIndexes[0].indexName must be 3-255 letters, digits, "_", "-" or ".", got "by owner"'],
    [{ globalSecondaryIndexes: [{ ...gsi(1), projectionType: dynamodb.ProjectionType.INCLUDE }] },
      'SecureTable "Files" (Test/Files): globalSecondaryIndexes[0].nonKeyAttributes must be non-empty with projectionType INCLUDE and absent otherwise, got []'],
    [{ globalSecondaryIndexes: [{ ...gsi(1), nonKeyAttributes: ['name'] }] },
      'SecureTable "Files" (Test/Files): globalSecondaryIndexes[0].nonKeyAttributes must be non-empty with projectionType INCLUDE and absent otherwise, got ["name"]'],
    [{ capacity: { read: { maxCapacity: 10, targetUtilizationPercent: 95 }, write: { maxCapacity: 10 } } },
      'SecureTable "Files" (Test/Files): capacity.read.targetUtilizationPercent must be an integer 20-90, got 95'],
    [{ capacity: { read: { maxCapacity: 10 }, write: { maxCapacity: 10, targetUtilizationPercent: 10 } } },
      'SecureTable "Files" (Test/Files): capacity.write.targetUtilizationPercent must be an integer 20-90, got 10'],
    [{ capacity: { read: { minCapacity: 50, maxCapacity: 10 }, write: { maxCapacity: 10 } } },
      'SecureTable "Files" (Test/Files): capacity.read.minCapacity must be <= maxCapacity (10), got 50'],
    [{ capacity: { read: { maxCapacity: 10 }, write: { maxCapacity: 0 } } },
      'SecureTable "Files" (Test/Files): capacity.write.maxCapacity must be a number >= 1, got 0'],
    [{ replicaRegions: ['eu-west-1'], replicaKeyArns: { 'eu-west-1': REPLICA_KEY } },
      'SecureTable "Files" (Test/Files): replicaRegions[0] must be another region than the stack\'s own (eu-west-1), got "eu-west-1"'],
    [{ replicaRegions: ['eu-central-1', 'eu-central-1'], replicaKeyArns: { 'eu-central-1': REPLICA_KEY } },
      'SecureTable "Files" (Test/Files): replicaRegions[1] must be unique (it is listed twice), got "eu-central-1"'],
    [{ replicaRegions: ['Frankfurt'] },
      'SecureTable "Files" (Test/Files): replicaRegions[0] must be an AWS region name such as "eu-central-1", got "Frankfurt"'],
    [{ replicaRegions: ['us-east-1'] },
      'SecureTable "Files" (Test/Files): replicaKeyArns["us-east-1"] must be the ARN of a customer-managed key in that region (KMS keys are regional), got undefined'],
  ] as Array<[Partial<SecureTableProps>, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('the stack needs a concrete region', () => {
    const agnostic = new Stack(testApp(), 'Agnostic');
    expect(() => make({}, agnostic)).toThrow(
      'SecureTable "Files" (Agnostic/Files): the stack\'s env.region must be set: a TableV2 with a customer-managed key renders the key per region, got "none (region-agnostic stack)"');
  });

  test('a valid provisioned configuration at the edges is accepted', () => {
    expect(() => make({
      pointInTimeRecoveryPeriodDays: 1,
      capacity: { read: { minCapacity: 10, maxCapacity: 10, targetUtilizationPercent: 20 }, write: { maxCapacity: 1, targetUtilizationPercent: 90 } },
      globalSecondaryIndexes: Array.from({ length: 20 }, (_, i) => gsi(i)),
    })).not.toThrow();
  });
});
