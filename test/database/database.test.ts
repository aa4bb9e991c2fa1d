import { Duration, RemovalPolicy, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicyRole } from '../../src/compute/managed-policy-role';
import { Database, DatabaseProps } from '../../src/database';
import { EnvironmentConfig } from '../../src/governance';
import { AlarmSet } from '../../src/monitoring';
import { Network } from '../../src/network';
import { BackupPlan } from '../../src/recovery';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown): string {
  const c: any = construct;
  return stack.getLogicalId((c.node.defaultChild ?? c) as any);
}

function alarmMetrics(template: Template): string[] {
  return Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))
    .filter((a) => a.Properties.Namespace === 'AWS/RDS').map((a) => a.Properties.MetricName).sort();
}

describe('Database with default props (prod profile)', () => {
  let stack: Stack;
  let db: Database;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    const network = new Network(stack, 'Net');
    db = new Database(stack, 'Db', { vpc: network.vpc });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('is Aurora PostgreSQL Serverless v2 with one writer, encrypted with the stack key', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    const [keyId] = only(template, 'AWS::KMS::Key');
    expect(cluster.Properties).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: '17.4',
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      BackupRetentionPeriod: 35,
      CopyTagsToSnapshot: true,
      Port: 5433,
    });
    const instances = Object.values<any>(template.findResources('AWS::RDS::DBInstance'));
    expect(instances).toHaveLength(1);
    expect(instances[0].Properties.DBInstanceClass).toBe('db.serverless');
  });

  test('the master password is managed by RDS and encrypted with our key: no Secrets Manager secret', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    const [keyId] = only(template, 'AWS::KMS::Key');
    expect(cluster.Properties.ManageMasterUserPassword).toBe(true);
    expect(cluster.Properties.MasterUserSecret).toEqual({ KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(cluster.Properties.MasterUsername).toBe('dbadmin');
    expect(cluster.Properties.MasterUserPassword).toBeUndefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('requires TLS through a parameter group with rds.force_ssl', () => {
    const [groupId, group] = only(template, 'AWS::RDS::DBClusterParameterGroup');
    expect(group.Properties.Parameters).toEqual({ 'rds.force_ssl': '1' });
    expect(only(template, 'AWS::RDS::DBCluster')[1].Properties.DBClusterParameterGroupName).toEqual({ Ref: groupId });
  });

  test('exports the postgresql log into a pre-created, encrypted, retained log group (no retention Lambda)', () => {
    const [clusterId, cluster] = only(template, 'AWS::RDS::DBCluster');
    const logGroups = template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/rds/cluster/') } });
    const [[logId, logGroup]] = Object.entries<any>(logGroups);
    expect(logGroup.Properties.LogGroupName).toBe(`/aws/rds/cluster/${db.clusterIdentifier}/postgresql`);
    expect(cluster.Properties.DBClusterIdentifier).toBe(db.clusterIdentifier);
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(logGroup.DeletionPolicy).toBe('Retain');
    expect(cluster.DependsOn).toContain(logId);
    expect(clusterId).toBeDefined();
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  test('protects the cluster from deletion and retains it in prod', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    expect(cluster.Properties.DeletionProtection).toBe(true);
    expect(cluster.DeletionPolicy).toBe('Retain');
    expect(cluster.UpdateReplacePolicy).toBe('Retain');
  });

  test('instances are private, monitored every 60 s by their own role, with encrypted Performance Insights', () => {
    const instance = Object.values<any>(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(instance.Properties).toMatchObject({
      PubliclyAccessible: false,
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': [logicalId(stack, db.monitoringRole), 'Arn'] },
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: expect.anything(),
      AutoMinorVersionUpgrade: true,
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'monitoring.rds.amazonaws.com' } })] },
    });
  });

  test('the proxy requires TLS and IAM authentication end to end, with no secret', () => {
    const [, proxy] = only(template, 'AWS::RDS::DBProxy');
    expect(proxy.Properties).toMatchObject({ RequireTLS: true, DefaultAuthScheme: 'IAM_AUTH', EngineFamily: 'POSTGRESQL', DebugLogging: false });
    expect(proxy.Properties.Auth).toBeUndefined();
    expect(proxy.Properties.DBProxyName).toBe(`${db.clusterIdentifier}-proxy`);
  });

  test('the proxy role may connect to the cluster as the admin user only', () => {
    const policy = Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p) => p.Properties.Roles[0].Ref === logicalId(stack, db.proxyRole));
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('rds-db:connect');
    expect(JSON.stringify(statements[0].Resource)).toContain('DBClusterResourceId');
    expect(JSON.stringify(statements[0].Resource)).toMatch(/\/dbadmin"\]\]\}$/);
  });

  test('the cluster is reachable only from the proxy, on the literal cluster port', () => {
    const ingress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(logicalId(stack, db.securityGroup)));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: 5433,
      ToPort: 5433,
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, db.proxySecurityGroup), 'GroupId'] },
    });
    const egress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(logicalId(stack, db.proxySecurityGroup)));
    expect(egress.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[5433, 5433]]);
  });

  test('alarms on CPU, capacity, connections and memory (no replica lag without readers)', () => {
    expect(db.alarms.alarms).toHaveLength(4);
    expect(alarmMetrics(template)).toEqual(['ACUUtilization', 'CPUUtilization', 'DatabaseConnections', 'FreeableMemory']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeableMemory', ComparisonOperator: 'LessThanThreshold' });
  });
});

describe('Database with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let db: Database;
  let key: kms.Key;
  let shared: AlarmSet;
  let plan: BackupPlan;
  let client: ManagedPolicyRole;
  let clientSg: ec2.SecurityGroup;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const network = new Network(stack, 'Net', { natGateways: 0 });
    key = testKey(stack, 'DbKey', { removalPolicy: RemovalPolicy.DESTROY });
    shared = new AlarmSet(stack, 'Ops');
    plan = new BackupPlan(stack, 'Backups');
    db = new Database(stack, 'Db', {
      vpc: network.vpc,
      clusterIdentifier: 'orders-db',
      databaseName: 'orders',
      adminUsername: 'owner_admin',
      port: 6543,
      minCapacity: 0,
      maxCapacity: 16,
      readers: 2,
      encryptionKey: key,
      backupRetentionDays: 7,
      backupPlan: plan,
      monitoringInterval: Duration.seconds(15),
      dataApi: true,
      connectionsAlarmThreshold: 200,
      alarms: shared,
    });
    clientSg = network.securityGroupForFunction('Api');
    client = new ManagedPolicyRole(stack, 'ApiRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    db.allowFrom(clientSg);
    db.grantConnect(client, 'orders_app');
    db.grantDataApiAccess(client);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('scales to zero in dev, with two readers, the first one scaling with the writer', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    expect(cluster.Properties.ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 0, MaxCapacity: 16 });
    const tiers = Object.values<any>(template.findResources('AWS::RDS::DBInstance')).map((i) => i.Properties.PromotionTier).sort();
    expect(tiers).toEqual([0, 1, 2]);
  });

  test('uses the given key, identifier, database, admin user, port and backup retention', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    expect(cluster.Properties).toMatchObject({
      DBClusterIdentifier: 'orders-db',
      DatabaseName: 'orders',
      MasterUsername: 'owner_admin',
      Port: 6543,
      BackupRetentionPeriod: 7,
      KmsKeyId: stack.resolve(key.keyArn),
      MasterUserSecret: { KmsKeyId: stack.resolve(key.keyArn) },
      EnableHttpEndpoint: true,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/cluster/orders-db/postgresql', KmsKeyId: stack.resolve(key.keyArn) });
    for (const instance of Object.values<any>(template.findResources('AWS::RDS::DBInstance'))) {
      expect(instance.Properties.MonitoringInterval).toBe(15);
    }
  });

  test('dev drops deletion protection and destroys the cluster with the stack', () => {
    const [, cluster] = only(template, 'AWS::RDS::DBCluster');
    expect(cluster.Properties.DeletionProtection).toBe(false);
    expect(cluster.DeletionPolicy).toBe('Delete');
  });

  test('is selected into the BackupPlan, whose role may use the database key', () => {
    const [clusterId] = only(template, 'AWS::RDS::DBCluster');
    const selections = Object.values<any>(template.findResources('AWS::Backup::BackupSelection'));
    expect(selections.some((s) => JSON.stringify(s.Properties.BackupSelection.Resources).includes(clusterId))).toBe(true);
    const policy = Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p) => p.Properties.Roles[0].Ref === logicalId(stack, plan.role));
    const keyArn = JSON.stringify(stack.resolve(key.keyArn));
    expect(policy.Properties.PolicyDocument.Statement.some((s: any) => JSON.stringify(s.Resource) === keyArn && [s.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });

  test('puts the alarms, with replica lag and the given connection threshold, into the shared set', () => {
    expect(db.alarms).toBe(shared);
    expect(shared.alarms).toHaveLength(5);
    expect(alarmMetrics(template)).toEqual(['ACUUtilization', 'AuroraReplicaLagMaximum', 'CPUUtilization', 'DatabaseConnections', 'FreeableMemory']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnections', Threshold: 200 });
  });

  test('allowFrom opens the proxy port 5432 to the peer only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(stack, db.proxySecurityGroup), 'GroupId'] },
      FromPort: 5432,
      ToPort: 5432,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, clientSg), 'GroupId'] },
    });
  });

  test('grantConnect allows rds-db:connect on the proxy for that user, and the proxy to connect as it', () => {
    const fnPolicy = JSON.stringify(stack.resolve(client.policy.document.toJSON()));
    expect(fnPolicy).toContain('rds-db:connect');
    expect(fnPolicy).toMatch(/dbuser:[^"]*",\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Fn::GetAtt":\["DbProxy[0-9A-F]+","DBProxyArn"\]\}\]\}\]\},"\/orders_app"/);
    const proxyPolicy = JSON.stringify(Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy'))
      .find((p) => p.Properties.Roles[0].Ref === logicalId(stack, db.proxyRole)).Properties.PolicyDocument);
    expect(proxyPolicy).toContain('/orders_app');
    expect(proxyPolicy).toContain('/owner_admin');
  });

  test('grantDataApiAccess allows the Data API on the cluster and reading the managed secret', () => {
    const doc = stack.resolve(client.policy.document.toJSON());
    const actions = doc.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['rds-data:ExecuteStatement', 'rds-data:BeginTransaction', 'secretsmanager:GetSecretValue', 'kms:Decrypt']));
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    expect(JSON.stringify(doc)).toContain('MasterUserSecret.SecretArn');
  });
});

describe('Database rejects invalid props', () => {
  let stack: Stack;
  let vpc: ec2.IVpc;
  let n = 0;
  beforeAll(() => {
    stack = testStack(testApp());
    EnvironmentConfig.dev().applyTo(stack);
    vpc = new Network(stack, 'Net').vpc;
  });
  const make = (props: Partial<DatabaseProps>, scope: Stack = stack) => new Database(scope, `Db${n++}`, { vpc, ...props });

  test.each([
    [{ clusterIdentifier: 'Orders' }, 'clusterIdentifier must be 1-63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, got "Orders"'],
    [{ clusterIdentifier: 'orders--db' }, 'clusterIdentifier must be 1-63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen, got "orders--db"'],
    [{ clusterIdentifier: 'orders-' }, 'clusterIdentifier must be not ending with a hyphen, got "orders-"'],
    [{ databaseName: '1orders' }, 'databaseName must be 1-63 letters, digits or "_", starting with a letter, got "1orders"'],
    [{ adminUsername: 'db-admin' }, 'adminUsername must be 1-63 letters, digits or "_", starting with a letter, got "db-admin"'],
    [{ adminUsername: 'Postgres' }, 'adminUsername must be none of postgres, admin, administrator, root, rdsadmin, rds_superuser, rdsrepladmin, master, user, public (well-known names are the first an attacker tries; CT.RDS.PR.21), got "Postgres"'],
    [{ port: 80 }, 'port must be an integer 1150-65535, got 80'],
    [{ readers: 16 }, 'readers must be an integer 0-15, got 16'],
    [{ backupRetentionDays: 36 }, 'backupRetentionDays must be an integer 1-35, got 36'],
    [{ connectionsAlarmThreshold: 0 }, 'connectionsAlarmThreshold must be a number >= 1, got 0'],
    [{ minCapacity: 300 }, 'minCapacity must be 0-256, got 300'],
    [{ minCapacity: 0.3 }, 'minCapacity must be a multiple of 0.5, got 0.3'],
    [{ maxCapacity: 0.5 }, 'maxCapacity must be 1-256, got 0.5'],
    [{ maxCapacity: 2.25 }, 'maxCapacity must be a multiple of 0.5, got 2.25'],
    [{ minCapacity: 8, maxCapacity: 4 }, 'minCapacity must be <= maxCapacity (4), got 8'],
    [{ monitoringInterval: Duration.seconds(20) }, 'monitoringInterval must be one of 1, 5, 10, 15, 30, 60 seconds, got "20 seconds"'],
  ])('%j', (props, message) => {
    const id = `Db${n}`;
    expect(() => make(props as Partial<DatabaseProps>)).toThrow(`Database "${id}" (Test/${id}): ${message}`);
  });

  test('scale to zero is refused in prod', () => {
    const prod = testStack(testApp());
    const prodVpc = new Network(prod, 'Net').vpc;
    expect(() => new Database(prod, 'Db', { vpc: prodVpc, minCapacity: 0 })).toThrow(
      'Database "Db" (Test/Db): minCapacity must be at least 0.5 in prod (0 pauses the cluster when idle and the first connection waits for it to resume), got 0');
  });

  test('required arguments are checked at run time for JavaScript callers', () => {
    expect(() => new Database(stack, 'NoProps', undefined as any)).toThrow('Database "NoProps" (Test/NoProps): props must be DatabaseProps (an object with vpc), got undefined');
    expect(() => new Database(stack, 'NoVpc', {} as any)).toThrow('Database "NoVpc" (Test/NoVpc): vpc must be an ec2.IVpc (e.g. Network.vpc), got undefined');
    const db = make({});
    expect(() => db.allowFrom(undefined as any)).toThrow('allowFrom(peer) must be an ec2.IConnectable (a function, a security group), got undefined');
  });

  test('grantConnect checks the user name, grantDataApiAccess needs dataApi', () => {
    const db = make({});
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => db.grantConnect(role, 'app user')).toThrow(`Database "${db.node.id}" (Test/${db.node.id}): grantConnect(dbUser) must be 1-63 letters, digits or "_", starting with a letter, got "app user"`);
    expect(() => db.grantDataApiAccess(role)).toThrow(`Database "${db.node.id}" (Test/${db.node.id}): dataApi must be true before grantDataApiAccess(), got false`);
  });

  test('BackupPlan.addEncryptedResource refuses S3 ARNs', () => {
    const plan = new BackupPlan(stack, 'Plan');
    expect(() => plan.addEncryptedResource('Bucket', 'arn:aws:s3:::my-bucket', testKey(stack, 'K')))
      .toThrow('BackupPlan "Plan/Bucket" (Test/Plan/Bucket): resourceArn must be the ARN of a resource that is not in S3 (use addBucket or addSelection), got "arn:aws:s3:::my-bucket"');
  });
});
