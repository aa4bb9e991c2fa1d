import {
  ArnFormat,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_rds as rds,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { acknowledge, complianceRuleIds, controlTowerRule } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { EnvironmentConfig, EnvironmentName } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';
import { IBackupPlan } from '../recovery/i-backup-plan';

/** Properties of a Database. */
export interface DatabaseProps {
  /** The VPC the cluster and its proxy live in (e.g. `Network.vpc`). */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the cluster and the proxy.
   * @default - the VPC's isolated subnets, else its private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Aurora PostgreSQL engine version.
   * @default - Aurora PostgreSQL 17.4
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * Cluster identifier (1-63 lowercase letters, digits and single hyphens, starting with a letter);
   * it also names the log group `/aws/rds/cluster/<identifier>/postgresql`.
   * @default - derived from the construct path
   */
  readonly clusterIdentifier?: string;
  /**
   * Name of the database created in the cluster (1-63 letters, digits or "_", starting with a letter).
   * @default - no database besides `postgres`
   */
  readonly databaseName?: string;
  /**
   * Name of the administrative (master) user; RDS manages its password in Secrets Manager.
   * `postgres`, `admin`, `rdsadmin` and other well-known names are refused (CT.RDS.PR.21).
   * @default 'dbadmin'
   */
  readonly adminUsername?: string;
  /**
   * Port the cluster listens on (the proxy listens on 5432). A non-default port avoids the
   * well-known one (AwsSolutions-RDS11).
   * @default 5433
   */
  readonly port?: number;
  /**
   * Lowest Aurora capacity units (0-256 in steps of 0.5). 0 lets the cluster pause when idle,
   * which only a dev or staging profile allows (resuming takes seconds).
   * @default 0.5
   */
  readonly minCapacity?: number;
  /**
   * Highest Aurora capacity units (1-256 in steps of 0.5, at least minCapacity).
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * Serverless v2 reader instances besides the writer (0-15); the first scales with the writer
   * (a failover target ready for the writer's load).
   * @default 0
   */
  readonly readers?: number;
  /**
   * Customer-managed key that encrypts storage, the managed master-user secret, Performance
   * Insights and the log group. It must let CloudWatch Logs use it (the library adds that
   * statement to keys it can modify).
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Days Aurora keeps automated backups (1-35).
   * @default 35
   */
  readonly backupRetentionDays?: number;
  /**
   * A BackupPlan that also backs up the cluster (with its own schedule, vault and copies).
   * @default - automated Aurora backups only
   */
  readonly backupPlan?: IBackupPlan;
  /**
   * Enhanced monitoring interval: 1, 5, 10, 15, 30 or 60 seconds.
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;
  /**
   * Whether the RDS Data API (HTTPS SQL with IAM and the managed secret) is on; see `grantDataApiAccess`.
   * @default false
   */
  readonly dataApi?: boolean;
  /**
   * Client connections (to the writer) at which the connections alarm fires.
   * @default 500
   */
  readonly connectionsAlarmThreshold?: number;
  /**
   * Alarm set that receives the database's alarms.
   * @default - a new AlarmSet
   */
  readonly alarms?: AlarmSet;
}

/** The port RDS Proxy listens on for PostgreSQL. */
export const DATABASE_PROXY_PORT = 5432;

const MONITORING_INTERVALS = [1, 5, 10, 15, 30, 60];
const CLUSTER_IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}$/;
const PG_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
// Names RDS or CT.RDS.PR.21 refuse for the master user, or that PostgreSQL reserves.
const RESERVED_USERS = ['postgres', 'admin', 'administrator', 'root', 'rdsadmin', 'rds_superuser', 'rdsrepladmin', 'master', 'user', 'public'];
const DATA_API_ACTIONS = [
  'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement', 'rds-data:RollbackTransaction',
];

/**
 * Aurora PostgreSQL Serverless v2 behind an RDS Proxy, with secure defaults: storage, backups,
 * Performance Insights and the RDS-managed master password encrypted with a customer-managed key
 * (no secret in the template), TLS required (`rds.force_ssl` and on the proxy), IAM database
 * authentication end to end through the proxy, the `postgresql` log exported to a pre-created
 * encrypted log group, enhanced monitoring with its own role, 35 days of backups, deletion
 * protection and RETAIN in production, optional readers, Data API and BackupPlan selection, and
 * alarms on CPU, capacity, connections, memory and (with readers) replica lag.
 *
 * Clients connect to `proxyEndpoint` on port 5432 with an IAM token (`grantConnect`) after
 * `allowFrom(peer)` lets their security group in.
 */
export class Database extends Construct {
  /** The Aurora cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** The RDS Proxy in front of the cluster. */
  public readonly proxy: rds.DatabaseProxy;
  /** The role the proxy connects to the cluster with (IAM authentication). */
  public readonly proxyRole: iam.Role;
  /** Security group of the cluster (reachable only from the proxy). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Security group of the proxy (open to the peers given to `allowFrom`). */
  public readonly proxySecurityGroup: ec2.SecurityGroup;
  /** The key that encrypts storage, secret, Performance Insights and logs. */
  public readonly encryptionKey: kms.IKey;
  /** The log group the `postgresql` log is exported to. */
  public readonly logGroup: logs.LogGroup;
  /** The role enhanced monitoring publishes OS metrics with. */
  public readonly monitoringRole: iam.Role;
  /** The parameter group (`rds.force_ssl` on). */
  public readonly parameterGroup: rds.ParameterGroup;
  /** The alarm set that holds the database's alarms. */
  public readonly alarms: AlarmSet;
  /** The administrative user's name. */
  public readonly adminUsername: string;
  /** The cluster's identifier. */
  public readonly clusterIdentifier: string;
  /** The port the cluster listens on. */
  public readonly port: number;

  private readonly dataApi: boolean;
  private readonly proxyUsers = new Set<string>();
  private readonly proxyPolicyRole: ManagedPolicyRole;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const args = new PropsValidator('Database', this);
    args.required('props', props, 'object', 'DatabaseProps (an object with vpc)');
    args.required('vpc', props.vpc, 'object', 'an ec2.IVpc (e.g. Network.vpc)');
    const profile = EnvironmentConfig.of(this);
    validate(this, props, profile);

    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    this.adminUsername = props.adminUsername ?? 'dbadmin';
    this.port = props.port ?? 5433;
    this.dataApi = props.dataApi ?? false;
    this.clusterIdentifier = props.clusterIdentifier ?? defaultIdentifier(this);
    const vpcSubnets = props.vpcSubnets ?? {
      subnetType: props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_4 });

    // Created before the cluster so that RDS writes into our encrypted, retained group rather
    // than creating an unencrypted one that never expires (and no log-retention Lambda is needed).
    this.logGroup = encryptedLogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${this.clusterIdentifier}/postgresql`,
      encryptionKey: this.encryptionKey,
    });

    this.monitoringRole = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      description: `Enhanced monitoring of ${this.node.path}: publishes OS metrics to the RDSOSMetrics log group`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    acknowledge(this.monitoringRole, ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]'],
      'The documented service-role policy of RDS enhanced monitoring, maintained by AWS for its agent; it only writes the RDSOSMetrics log group, and only monitoring.rds.amazonaws.com can assume the role.');

    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `Cluster parameters of ${this.node.path}: TLS required`,
      parameters: { 'rds.force_ssl': '1' },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Aurora cluster ${this.node.path}: reachable only from its proxy`,
      allowAllOutbound: false,
    });
    this.proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: props.vpc,
      description: `RDS Proxy of ${this.node.path}: clients in, the cluster out`,
      allowAllOutbound: false,
    });

    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
    const readerCount = props.readers ?? 0;
    const instanceProps: rds.ServerlessV2ClusterInstanceProps = {
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      performanceInsightEncryptionKey: this.encryptionKey,
    };
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: this.clusterIdentifier,
      defaultDatabaseName: props.databaseName,
      credentials: rds.Credentials.fromUsername(this.adminUsername),
      manageMasterUserPassword: true,
      port: this.port,
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [this.securityGroup],
      writer: rds.ClusterInstance.serverlessV2('Writer', instanceProps),
      readers: Array.from({ length: readerCount }, (_, i) => rds.ClusterInstance.serverlessV2(`Reader${i + 1}`, { ...instanceProps, scaleWithWriter: i === 0 })),
      serverlessV2MinCapacity: props.minCapacity ?? 0.5,
      serverlessV2MaxCapacity: props.maxCapacity ?? 4,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval,
      monitoringRole: this.monitoringRole,
      backup: { retention: Duration.days(props.backupRetentionDays ?? 35), preferredWindow: '02:00-03:00' },
      copyTagsToSnapshot: true,
      deletionProtection: profile.deletionProtection,
      removalPolicy: profile.removalPolicy,
      enableDataApi: this.dataApi,
    });
    const cfnCluster = this.cluster.node.defaultChild as rds.CfnDBCluster;
    // The RDS-managed master password secret is encrypted with our key, not aws/secretsmanager.
    cfnCluster.masterUserSecret = { kmsKeyId: this.encryptionKey.keyArn };
    cfnCluster.node.addDependency(this.logGroup);
    if (!profile.deletionProtection) {
      acknowledge(cfnCluster, ['AwsSolutions-RDS10', ...complianceRuleIds('RDSInstanceDeletionProtectionEnabled').filter((r) => !r.startsWith('PCI')),
        controlTowerRule('rds_cluster_deletion_protection_enabled_check')],
      `Deletion protection is off because the ${profile.environment} profile destroys data stores with the stack (EnvironmentConfig deletionProtection: false); staging and prod keep it on and retain the cluster.`);
    }

    // The proxy authenticates clients by IAM and connects to the cluster with IAM tokens of its
    // own role (end-to-end IAM auth): no secret is attached to it.
    this.proxyRole = this.proxyPolicyRole = new ManagedPolicyRole(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
      description: `RDS Proxy of ${this.node.path}: connects to the cluster as the database users granted through grantConnect`,
    });
    this.allowProxyToConnectAs(this.adminUsername);
    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromCluster(this.cluster),
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [this.proxySecurityGroup],
      role: this.proxyRole,
      requireTLS: true,
      iamAuth: true,
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      debugLogging: false,
      dbProxyName: `${this.clusterIdentifier.slice(0, 54).replace(/-$/, '')}-proxy`,
    });
    // The proxy opens the cluster's port between the two groups as a token (Endpoint.Port); nag
    // rules cannot read a token, so the rules get the literal port.
    for (const rule of [...this.securityGroup.node.findAll(), ...this.proxySecurityGroup.node.findAll()]) {
      if (rule instanceof ec2.CfnSecurityGroupIngress || rule instanceof ec2.CfnSecurityGroupEgress) {
        rule.fromPort = this.port;
        rule.toPort = this.port;
      }
    }
    this.proxy.node.addDependency(this.proxyPolicyRole.policy);

    // Aurora keeps automated backups of the cluster volume either way; AWS Backup is added on request.
    props.backupPlan?.addEncryptedResource(`Database${stackRelativeName(this, 40, '')}`, this.cluster.clusterArn, this.encryptionKey);
    // cdk-nag looks for a backup selection of each member instance, but Aurora is backed up (by
    // Aurora and by AWS Backup) at the cluster level only (cdk-nag issue 1627).
    for (const instance of this.cluster.node.findAll().filter((c) => c instanceof rds.CfnDBInstance)) {
      acknowledge(instance, ['HIPAA.Security-RDSInBackupPlan', 'NIST.800.53.R5-RDSInBackupPlan'],
        'An Aurora instance is backed up through its cluster: automated backups (and AWS Backup when backupPlan is given) protect the shared cluster volume, and AWS Backup does not accept Aurora member instances (cdk-nag issue 1627).');
    }

    this.alarms = alarmSetFor(this, props.alarms);
    this.addAlarms(props.alarms ? stackRelativeName(this, 64, '') : 'Database', readerCount, props.connectionsAlarmThreshold ?? 500);
  }

  /** Host name clients connect to (port 5432, TLS, IAM token). */
  public get proxyEndpoint(): string {
    return this.proxy.endpoint;
  }

  /** The cluster's ARN. */
  public get clusterArn(): string {
    return this.cluster.clusterArn;
  }

  /** ARN of the Secrets Manager secret RDS manages for the admin user (encrypted with `encryptionKey`). */
  public get masterUserSecretArn(): string {
    return (this.cluster.node.defaultChild as rds.CfnDBCluster).attrMasterUserSecretSecretArn;
  }

  /** Lets `peer` (a function, a security group) reach the proxy on port 5432. */
  public allowFrom(peer: ec2.IConnectable, description?: string): void {
    new PropsValidator('Database', this).required('allowFrom(peer)', peer, 'object', 'an ec2.IConnectable (a function, a security group)');
    this.proxySecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(DATABASE_PROXY_PORT), description ?? 'PostgreSQL clients to the RDS Proxy');
  }

  /**
   * Lets `grantee` connect through the proxy as database user `dbUser` with an IAM token
   * (`rds-db:connect` on the proxy), and lets the proxy connect to the cluster as that user.
   * The user must exist and have the `rds_iam` role (`GRANT rds_iam TO <user>`).
   */
  public grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    const v = new PropsValidator('Database', this);
    v.required('grantConnect(grantee)', grantee, 'object', 'an iam.IGrantable');
    v.required('grantConnect(dbUser)', dbUser, 'string', 'a PostgreSQL user name');
    v.matches('grantConnect(dbUser)', dbUser, PG_IDENTIFIER, '1-63 letters, digits or "_", starting with a letter');
    this.allowProxyToConnectAs(dbUser);
    return this.proxy.grantConnect(grantee, dbUser);
  }

  /**
   * Lets `grantee` run SQL through the Data API with the managed master-user secret (read the
   * secret, decrypt it). Requires `dataApi: true`.
   */
  public grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    const v = new PropsValidator('Database', this);
    v.required('grantDataApiAccess(grantee)', grantee, 'object', 'an iam.IGrantable');
    v.check(this.dataApi, 'dataApi', this.dataApi, 'true before grantDataApiAccess()');
    const secretArn = this.masterUserSecretArn;
    return iam.Grant.addToPrincipal({ grantee, actions: DATA_API_ACTIONS, resourceArns: [this.cluster.clusterArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resourceArns: [secretArn] }))
      .combine(this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey'));
  }

  /** A metric of the cluster (namespace AWS/RDS, dimension DBClusterIdentifier). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.cluster.metric(metricName, { period: Duration.minutes(5), ...props });
  }

  private allowProxyToConnectAs(dbUser: string): void {
    if (this.proxyUsers.has(dbUser)) return;
    this.proxyUsers.add(dbUser);
    this.proxyRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: `ConnectAs${dbUser.replace(/[^A-Za-z0-9]/g, '')}`,
      actions: ['rds-db:connect'],
      resources: [Stack.of(this).formatArn({
        service: 'rds-db',
        resource: 'dbuser',
        resourceName: `${this.cluster.clusterResourceIdentifier}/${dbUser}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));
  }

  private addAlarms(prefix: string, readers: number, connections: number): void {
    const path = this.node.path;
    this.alarms.addMetricAlarm(`${prefix}Cpu`, {
      metric: this.metric('CPUUtilization', { statistic: 'Average' }),
      threshold: 80,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${path}: CPU above 80% for 15 minutes`,
    });
    this.alarms.addMetricAlarm(`${prefix}AcuUtilization`, {
      metric: this.metric('ACUUtilization', { statistic: 'Average' }),
      threshold: 90,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${path}: capacity above 90% of maxCapacity for 15 minutes (raise maxCapacity)`,
    });
    this.alarms.addMetricAlarm(`${prefix}Connections`, {
      metric: this.metric('DatabaseConnections', { statistic: 'Maximum' }),
      threshold: connections,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${path}: ${connections} or more client connections`,
    });
    this.alarms.addMetricAlarm(`${prefix}FreeableMemory`, {
      metric: this.metric('FreeableMemory', { statistic: 'Minimum' }),
      threshold: 256 * 1024 * 1024,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${path}: less than 256 MiB of freeable memory`,
    });
    if (readers > 0) {
      this.alarms.addMetricAlarm(`${prefix}ReplicaLag`, {
        metric: this.metric('AuroraReplicaLagMaximum', { statistic: 'Maximum' }),
        threshold: 1000,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${path}: a reader lags the writer by a second or more`,
      });
    }
  }
}

/** `<stack>-<path>` in lowercase letters, digits and single hyphens, starting with a letter. */
function defaultIdentifier(scope: Construct): string {
  const name = uniqueName(scope, 56).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/-$/, '');
  return /^[a-z]/.test(name) ? name : `db-${name}`;
}

function validate(construct: IConstruct, props: DatabaseProps, profile: EnvironmentConfig): void {
  const v = new PropsValidator('Database', construct);
  v.matches('clusterIdentifier', props.clusterIdentifier, CLUSTER_IDENTIFIER,
    '1-63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen');
  if (props.clusterIdentifier !== undefined && !Token.isUnresolved(props.clusterIdentifier)) {
    v.check(!props.clusterIdentifier.endsWith('-'), 'clusterIdentifier', props.clusterIdentifier, 'not ending with a hyphen');
  }
  v.matches('databaseName', props.databaseName, PG_IDENTIFIER, '1-63 letters, digits or "_", starting with a letter');
  v.matches('adminUsername', props.adminUsername, PG_IDENTIFIER, '1-63 letters, digits or "_", starting with a letter');
  if (props.adminUsername !== undefined && !Token.isUnresolved(props.adminUsername)) {
    v.check(!RESERVED_USERS.includes(props.adminUsername.toLowerCase()), 'adminUsername', props.adminUsername,
      `none of ${RESERVED_USERS.join(', ')} (well-known names are the first an attacker tries; CT.RDS.PR.21)`);
  }
  v.range('port', props.port, 1150, 65535);
  v.range('readers', props.readers, 0, 15);
  v.range('backupRetentionDays', props.backupRetentionDays, 1, 35);
  v.atLeast('connectionsAlarmThreshold', props.connectionsAlarmThreshold, 1);
  const halfSteps = (n: number | undefined) => n === undefined || Token.isUnresolved(n) || Number.isInteger(n * 2);
  v.range('minCapacity', props.minCapacity, 0, 256, false);
  v.check(halfSteps(props.minCapacity), 'minCapacity', props.minCapacity, 'a multiple of 0.5');
  v.range('maxCapacity', props.maxCapacity, 1, 256, false);
  v.check(halfSteps(props.maxCapacity), 'maxCapacity', props.maxCapacity, 'a multiple of 0.5');
  const min = props.minCapacity ?? 0.5;
  const max = props.maxCapacity ?? 4;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max)) {
    v.check(min <= max, 'minCapacity', min, `<= maxCapacity (${max})`);
  }
  v.check(min !== 0 || profile.environment !== EnvironmentName.PROD, 'minCapacity', min,
    'at least 0.5 in prod (0 pauses the cluster when idle and the first connection waits for it to resume)');
  if (props.monitoringInterval && !props.monitoringInterval.isUnresolved()) {
    const s = props.monitoringInterval.toSeconds();
    v.check(MONITORING_INTERVALS.includes(s), 'monitoringInterval', `${s} seconds`, `one of ${MONITORING_INTERVALS.join(', ')} seconds`);
  }
}
