import { RemovalPolicy, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Cache, CacheMode, CacheProps } from '../../src/cache';
import { ManagedPolicyRole } from '../../src/compute/managed-policy-role';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { Network } from '../../src/network';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function logicalId(stack: Stack, construct: any): string {
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as any);
}

function ingressOf(template: Template, stack: Stack, sg: ec2.SecurityGroup): any[] {
  const id = logicalId(stack, sg);
  return Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((r) => JSON.stringify(r.Properties.GroupId).includes(`"${id}"`)).map((r) => r.Properties);
}

describe('Cache with default props (serverless, prod profile)', () => {
  let stack: Stack;
  let cache: Cache;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    const network = new Network(stack, 'Net');
    cache = new Cache(stack, 'Sessions', { vpc: network.vpc });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('is ElastiCache Serverless Valkey encrypted with the stack key, snapshots kept 15 days, retained', () => {
    const [, sc] = only(template, 'AWS::ElastiCache::ServerlessCache');
    const [keyId] = only(template, 'AWS::KMS::Key');
    expect(sc.Properties).toMatchObject({
      Engine: 'valkey',
      MajorEngineVersion: '8',
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      SnapshotRetentionLimit: 15,
      ServerlessCacheName: cache.cacheName,
    });
    expect(sc.Properties.SubnetIds).toHaveLength(3);
    expect(sc.DeletionPolicy).toBe('Retain');
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
  });

  test('authenticates by IAM through a user group whose default user is switched off', () => {
    const [, sc] = only(template, 'AWS::ElastiCache::ServerlessCache');
    const [groupId, group] = only(template, 'AWS::ElastiCache::UserGroup');
    expect(sc.Properties.UserGroupId).toEqual({ Ref: groupId });
    const users = Object.entries<any>(template.findResources('AWS::ElastiCache::User'));
    expect(users).toHaveLength(2);
    expect(group.Properties.UserIds).toEqual(users.map(([id]) => ({ Ref: id })).sort((a, b) => (a.Ref.includes('Default') ? -1 : b.Ref.includes('Default') ? 1 : 0)));
    const byName = Object.fromEntries(users.map(([, u]) => [u.Properties.UserName, u.Properties]));
    expect(byName.default.AccessString).toBe('off -@all');
    const app = users.map(([, u]) => u.Properties).find((u) => u.UserName !== 'default');
    expect(app.AuthenticationMode).toEqual({ Type: 'iam' });
    expect(app.UserId).toBe(app.UserName);
    expect(app.Passwords).toBeUndefined();
  });

  test('its security group has no egress and no ingress until a peer is allowed', () => {
    const sg = template.toJSON().Resources[logicalId(stack, cache.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    expect(ingressOf(template, stack, cache.securityGroup)).toEqual([]);
  });

  test('alarms on throttled commands and connections', () => {
    expect(cache.alarms.alarms).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ThrottledCmds', Namespace: 'AWS/ElastiCache', Dimensions: [{ Name: 'clusterId', Value: cache.cacheName }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CurrConnections', Threshold: 5000 });
  });
});

describe('Cache as a replication group (rich configuration, dev profile)', () => {
  let stack: Stack;
  let cache: Cache;
  let key: kms.Key;
  let shared: AlarmSet;
  let peerSg: ec2.SecurityGroup;
  let laterSg: ec2.SecurityGroup;
  let client: ManagedPolicyRole;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const network = new Network(stack, 'Net', { natGateways: 0 });
    key = testKey(stack, 'CacheKey', { removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    peerSg = network.securityGroupForFunction('Api');
    laterSg = network.securityGroupForFunction('Worker');
    cache = new Cache(stack, 'Sessions', {
      vpc: network.vpc,
      mode: CacheMode.REPLICATION_GROUP,
      encryptionKey: key,
      allowFrom: [peerSg],
      snapshotRetentionDays: 20,
      nodeType: 'cache.r7g.large',
      replicas: 2,
      userName: 'sessions-app',
      connectionsAlarmThreshold: 1000,
      alarms: shared,
    });
    cache.allowFrom(laterSg);
    client = new ManagedPolicyRole(stack, 'ApiRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    cache.grantConnect(client);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('is a Multi-AZ replication group encrypted at rest with the given key and in transit, with RBAC', () => {
    const [, rg] = only(template, 'AWS::ElastiCache::ReplicationGroup');
    const [groupId] = only(template, 'AWS::ElastiCache::UserGroup');
    expect(rg.Properties).toMatchObject({
      Engine: 'valkey',
      CacheNodeType: 'cache.r7g.large',
      ReplicasPerNodeGroup: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      AtRestEncryptionEnabled: true,
      KmsKeyId: stack.resolve(key.keyArn),
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      UserGroupIds: [{ Ref: groupId }],
      SnapshotRetentionLimit: 20,
      AutoMinorVersionUpgrade: true,
    });
    expect(rg.Properties.AuthToken).toBeUndefined();
    expect(rg.DeletionPolicy).toBe('Delete');
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
  });

  test('lets in exactly the given peers, on 6379', () => {
    const rules = ingressOf(template, stack, cache.securityGroup);
    expect(rules.map((r) => [r.SourceSecurityGroupId, r.FromPort, r.ToPort])).toEqual([
      [{ 'Fn::GetAtt': [logicalId(stack, peerSg), 'GroupId'] }, 6379, 6379],
      [{ 'Fn::GetAtt': [logicalId(stack, laterSg), 'GroupId'] }, 6379, 6379],
    ]);
  });

  test('grantConnect allows elasticache:Connect on the cache and its IAM user only', () => {
    const doc = stack.resolve(client.policy.document.toJSON());
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0].Action).toBe('elasticache:Connect');
    const resources = JSON.stringify(doc.Statement[0].Resource);
    expect(resources).toContain(`:replicationgroup:${cache.cacheName}`);
    expect(resources).toContain(logicalId(stack, cache.user));
    template.hasResourceProperties('AWS::ElastiCache::User', { UserName: 'sessions-app', UserId: 'sessions-app' });
  });

  test('puts throttling, connection, CPU and memory alarms over every node (one alarm each) into the shared set', () => {
    expect(cache.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(4);
    // The primary and two replicas: after a failover the primary is another node, still watched.
    expect(cache.nodeIds).toEqual([1, 2, 3].map((i) => `${cache.cacheName}-00${i}`));
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const expected: Array<[string, string, string, number]> = [
      ['ThrottledCmds', 'Sum', 'SUM', 1],
      ['CurrConnections', 'Maximum', 'MAX', 1000],
      ['EngineCPUUtilization', 'Average', 'MAX', 80],
      ['DatabaseMemoryUsagePercentage', 'Maximum', 'MAX', 85],
    ];
    for (const [metricName, stat, combine, threshold] of expected) {
      const alarm = alarms.find((a) => a.Metrics?.some((m: any) => m.MetricStat?.Metric.MetricName === metricName));
      expect(alarm?.Threshold).toBe(threshold);
      expect(alarm.Metrics.find((m: any) => m.Expression).Expression).toBe(`${combine}([node1, node2, node3])`);
      const nodes = alarm.Metrics.filter((m: any) => m.MetricStat);
      expect(nodes.map((m: any) => [m.MetricStat.Stat, m.MetricStat.Metric.Dimensions])).toEqual(
        cache.nodeIds.map((id) => [stat, [{ Name: 'CacheClusterId', Value: id }]]));
    }
  });
});

describe('Cache rejects invalid props', () => {
  let stack: Stack;
  let vpc: ec2.IVpc;
  let n = 0;
  beforeAll(() => {
    stack = testStack(testApp());
    vpc = new Network(stack, 'Net').vpc;
  });
  const make = (props: Partial<CacheProps>) => new Cache(stack, `C${n++}`, { vpc, ...props });
  const rg = CacheMode.REPLICATION_GROUP;

  test.each([
    [{ snapshotRetentionDays: 7 }, 'snapshotRetentionDays must be an integer 15-35, got 7'],
    [{ mode: rg, replicas: 0 }, 'replicas must be an integer 1-5, got 0'],
    [{ connectionsAlarmThreshold: 0 }, 'connectionsAlarmThreshold must be a number >= 1, got 0'],
    [{ userName: 'Sessions' }, 'userName must be 1-40 lowercase letters, digits and single hyphens, starting with a letter, got "Sessions"'],
    [{ userName: 'default' }, 'userName must be another name than "default" (that user is switched off), got "default"'],
    [{ mode: rg, nodeType: 'r7g.large' }, 'nodeType must be a node type such as "cache.t4g.small", got "r7g.large"'],
    [{ nodeType: 'cache.r7g.large' }, 'nodeType must be unset in SERVERLESS mode (serverless has no nodes), got "cache.r7g.large"'],
    [{ replicas: 2 }, 'replicas must be unset in SERVERLESS mode (serverless has no nodes), got 2'],
    [{ mode: 'CLUSTER' as CacheMode }, 'mode must be one of SERVERLESS, REPLICATION_GROUP, got "CLUSTER"'],
  ])('%j', (props, message) => {
    const id = `C${n}`;
    expect(() => make(props as Partial<CacheProps>)).toThrow(`Cache "${id}" (Test/${id}): ${message}`);
  });

  test('required arguments are checked at run time for JavaScript callers', () => {
    expect(() => new Cache(stack, 'NoProps', undefined as any)).toThrow('Cache "NoProps" (Test/NoProps): props must be CacheProps (an object with vpc), got undefined');
    expect(() => new Cache(stack, 'NoVpc', {} as any)).toThrow('Cache "NoVpc" (Test/NoVpc): vpc must be an ec2.IVpc (e.g. Network.vpc), got undefined');
    const cache = make({});
    expect(() => cache.allowFrom(undefined as any)).toThrow(`Cache "${cache.node.id}" (Test/${cache.node.id}): allowFrom(peer) must be an ec2.IConnectable (a function, a security group), got undefined`);
    expect(() => cache.grantConnect(undefined as any)).toThrow(`Cache "${cache.node.id}" (Test/${cache.node.id}): grantConnect(grantee) must be an iam.IGrantable, got undefined`);
  });
});
