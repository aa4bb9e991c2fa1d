import {
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_elasticache as elasticache,
  aws_iam as iam,
  aws_kms as kms,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { EnvironmentConfig } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** How a Cache is deployed. */
export enum CacheMode {
  /** ElastiCache Serverless (Valkey): no nodes to size, scales by itself. */
  SERVERLESS = 'SERVERLESS',
  /** A Multi-AZ Valkey replication group of fixed-size nodes. */
  REPLICATION_GROUP = 'REPLICATION_GROUP',
}

/** Properties of a Cache. */
export interface CacheProps {
  /** The VPC the cache lives in (e.g. `Network.vpc`). */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the cache (2-3 for serverless, in different AZs).
   * @default - the VPC's isolated subnets, else its private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Serverless or a replication group.
   * @default CacheMode.SERVERLESS
   */
  readonly mode?: CacheMode;
  /**
   * Customer-managed key that encrypts the data at rest and the snapshots.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Peers (functions, security groups) allowed to connect; more with `allowFrom`.
   * @default - none
   */
  readonly allowFrom?: ec2.IConnectable[];
  /**
   * Days each daily snapshot is kept (15-35; at least 15 for the compliance packs).
   * @default 15
   */
  readonly snapshotRetentionDays?: number;
  /**
   * Node type of a replication group (ignored, and refused, in serverless mode).
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string;
  /**
   * Replicas of the primary in a replication group (1-5; Multi-AZ needs at least one).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Name of the IAM-authenticated cache user that `grantConnect` allows (1-40 lowercase letters,
   * digits and hyphens, starting with a letter; not "default").
   * @default - derived from the construct path
   */
  readonly userName?: string;
  /**
   * Client connections at which the connections alarm fires.
   * @default 5000
   */
  readonly connectionsAlarmThreshold?: number;
  /**
   * Alarm set that receives the cache's alarms.
   * @default - a new AlarmSet
   */
  readonly alarms?: AlarmSet;
}

/** The port Valkey listens on (serverless also serves reads on 6380). */
export const CACHE_PORT = 6379;
const ENGINE = 'valkey';
const MAJOR_VERSION = '8';
const NAME = /^[a-z](?!.*--)[a-z0-9-]{0,39}$/;

/**
 * A Valkey cache in the VPC with secure defaults: ElastiCache Serverless by default, or a Multi-AZ
 * replication group (`mode`); encryption at rest with a customer-managed key and in transit
 * (TLS required); IAM authentication through an RBAC user group (no auth token, no password);
 * a security group that lets in only the peers given; daily snapshots kept 15 days; automatic
 * minor version upgrades; alarms on throttling, connections and (replication group) CPU and memory,
 * each one alarm over every node.
 */
export class Cache extends Construct {
  /** The serverless cache (serverless mode). */
  public readonly serverlessCache?: elasticache.CfnServerlessCache;
  /** The replication group (replication-group mode). */
  public readonly replicationGroup?: elasticache.CfnReplicationGroup;
  /** The IAM-authenticated user that `grantConnect` allows. */
  public readonly user: elasticache.CfnUser;
  /** The disabled `default` user every user group must contain. */
  public readonly defaultUser: elasticache.CfnUser;
  /** The RBAC user group of the cache. */
  public readonly userGroup: elasticache.CfnUserGroup;
  /** Security group of the cache. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The key that encrypts data at rest and snapshots. */
  public readonly encryptionKey: kms.IKey;
  /** The alarm set that holds the cache's alarms. */
  public readonly alarms: AlarmSet;
  /** How the cache is deployed. */
  public readonly mode: CacheMode;
  /** The cache's name (serverless) or replication group id. */
  public readonly cacheName: string;
  /** The ARN of the serverless cache or replication group. */
  public readonly cacheArn: string;
  /** Node ids of the replication group (`<id>-001` onwards; empty in serverless mode). */
  public readonly nodeIds: string[];
  /** Host name of the primary (write) endpoint. */
  public readonly endpointAddress: string;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const args = new PropsValidator('Cache', this);
    args.required('props', props, 'object', 'CacheProps (an object with vpc)');
    args.required('vpc', props.vpc, 'object', 'an ec2.IVpc (e.g. Network.vpc)');
    this.mode = props.mode ?? CacheMode.SERVERLESS;
    validate(this, props, this.mode);
    const profile = EnvironmentConfig.of(this);
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    this.cacheName = cacheNameFor(this);
    // One shard with cluster mode off: the primary at creation and its replicas are <id>-001, -002, ...
    const replicas = props.replicas ?? 1;
    const nodeCount = this.mode === CacheMode.REPLICATION_GROUP ? replicas + 1 : 0;
    this.nodeIds = Array.from({ length: nodeCount }, (_, i) => `${this.cacheName}-${String(i + 1).padStart(3, '0')}`);
    const subnetType = props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    const subnetIds = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType }).subnetIds;
    const retention = props.snapshotRetentionDays ?? 15;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Valkey cache ${this.node.path}: reachable only from the peers given`,
      allowAllOutbound: false,
    });
    for (const peer of props.allowFrom ?? []) this.allowFrom(peer);

    // IAM authentication: the user name must equal its id; the group needs a "default" user,
    // which is switched off.
    const userName = props.userName ?? `${this.cacheName.slice(0, 35).replace(/-$/, '')}-app`;
    this.user = new elasticache.CfnUser(this, 'User', {
      engine: ENGINE,
      userId: userName,
      userName,
      authenticationMode: { Type: 'iam' },
      accessString: 'on ~* +@all -@dangerous',
    });
    this.defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: ENGINE,
      userId: `${this.cacheName.slice(0, 31).replace(/-$/, '')}-default`,
      userName: 'default',
      authenticationMode: { Type: 'no-password-required' },
      accessString: 'off -@all',
    });
    this.userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: ENGINE,
      userGroupId: this.cacheName,
      userIds: [this.defaultUser.ref, this.user.ref],
    });

    if (this.mode === CacheMode.SERVERLESS) {
      this.serverlessCache = new elasticache.CfnServerlessCache(this, 'Resource', {
        serverlessCacheName: this.cacheName,
        description: `Valkey cache ${this.node.path}`,
        engine: ENGINE,
        majorEngineVersion: MAJOR_VERSION,
        kmsKeyId: this.encryptionKey.keyArn,
        securityGroupIds: [this.securityGroup.securityGroupId],
        subnetIds,
        userGroupId: this.userGroup.ref,
        snapshotRetentionLimit: retention,
        dailySnapshotTime: '03:00',
      });
      this.cacheArn = this.serverlessCache.attrArn;
      this.endpointAddress = this.serverlessCache.attrEndpointAddress;
    } else {
      const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
        description: `Subnets of ${this.node.path}`,
        subnetIds,
      });
      this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
        replicationGroupId: this.cacheName,
        replicationGroupDescription: `Valkey cache ${this.node.path}`,
        engine: ENGINE,
        engineVersion: '8.0',
        cacheNodeType: props.nodeType ?? 'cache.t4g.small',
        numNodeGroups: 1,
        replicasPerNodeGroup: replicas,
        multiAzEnabled: true,
        automaticFailoverEnabled: true,
        atRestEncryptionEnabled: true,
        kmsKeyId: this.encryptionKey.keyArn,
        transitEncryptionEnabled: true,
        transitEncryptionMode: 'required',
        userGroupIds: [this.userGroup.ref],
        port: CACHE_PORT,
        cacheSubnetGroupName: subnetGroup.ref,
        securityGroupIds: [this.securityGroup.securityGroupId],
        snapshotRetentionLimit: retention,
        snapshotWindow: '03:00-04:00',
        autoMinorVersionUpgrade: true,
      });
      acknowledge(this.replicationGroup, ['AwsSolutions-AEC6'],
        'Clients authenticate by IAM through the RBAC user group (required by CT.ELASTICACHE.PR.8 for Redis OSS 6+ and Valkey); ElastiCache refuses an AUTH token beside a user group, and IAM auth needs no shared secret.');
      this.cacheArn = `arn:${Stack.of(this).partition}:elasticache:${Stack.of(this).region}:${Stack.of(this).account}:replicationgroup:${this.cacheName}`;
      this.endpointAddress = this.replicationGroup.attrPrimaryEndPointAddress;
    }
    const cfn = (this.serverlessCache ?? this.replicationGroup)!;
    cfn.applyRemovalPolicy(profile.removalPolicy);

    this.alarms = alarmSetFor(this, props.alarms);
    this.addAlarms(props.alarms ? stackRelativeName(this, 64, '') : 'Cache', props.connectionsAlarmThreshold ?? 5000);
  }

  /** Lets `peer` (a function, a security group) reach the cache on 6379 (and 6380 for serverless reads). */
  public allowFrom(peer: ec2.IConnectable): void {
    new PropsValidator('Cache', this).required('allowFrom(peer)', peer, 'object', 'an ec2.IConnectable (a function, a security group)');
    const ports = this.mode === CacheMode.SERVERLESS ? ec2.Port.tcpRange(CACHE_PORT, CACHE_PORT + 1) : ec2.Port.tcp(CACHE_PORT);
    this.securityGroup.connections.allowFrom(peer, ports, 'Valkey clients');
  }

  /** Lets `grantee` connect to the cache as the IAM-authenticated user (`elasticache:Connect`). */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    new PropsValidator('Cache', this).required('grantConnect(grantee)', grantee, 'object', 'an iam.IGrantable');
    return iam.Grant.addToPrincipal({ grantee, actions: ['elasticache:Connect'], resourceArns: [this.cacheArn, this.user.attrArn] });
  }

  /** A metric of the cache (namespace AWS/ElastiCache): the serverless cache's, or one node's (default: the first). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}, nodeId?: string): cloudwatch.Metric {
    const dimensionsMap: cloudwatch.DimensionsMap = this.mode === CacheMode.SERVERLESS
      ? { clusterId: this.cacheName }
      : { CacheClusterId: nodeId ?? this.nodeIds[0] };
    return new cloudwatch.Metric({ namespace: 'AWS/ElastiCache', metricName, dimensionsMap, period: Duration.minutes(5), statistic: 'Average', ...props });
  }

  /**
   * A metric over every node: the serverless cache's own, or the nodes' `MAX` or `SUM` in one
   * metric-math expression (at most 6 nodes, within an alarm's 10 metrics), so the alarm keeps
   * watching whichever node is primary after a failover without an alarm per node.
   */
  private everyNode(metricName: string, statistic: string, combine: 'MAX' | 'SUM'): cloudwatch.IMetric {
    if (this.mode === CacheMode.SERVERLESS) return this.metric(metricName, { statistic });
    const usingMetrics = Object.fromEntries(this.nodeIds.map((id, i) => [`node${i + 1}`, this.metric(metricName, { statistic }, id)]));
    return new cloudwatch.MathExpression({
      expression: `${combine}([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      period: Duration.minutes(5),
      label: `${metricName} (${combine === 'MAX' ? 'highest node' : 'all nodes'})`,
    });
  }

  private addAlarms(prefix: string, connections: number): void {
    const path = this.node.path;
    this.alarms.addMetricAlarm(`${prefix}ThrottledCommands`, {
      metric: this.everyNode('ThrottledCmds', 'Sum', 'SUM'),
      threshold: 1,
      description: `${path}: commands were throttled`,
    });
    this.alarms.addMetricAlarm(`${prefix}Connections`, {
      metric: this.everyNode('CurrConnections', 'Maximum', 'MAX'),
      threshold: connections,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${path}: ${connections} or more client connections`,
    });
    if (this.mode === CacheMode.REPLICATION_GROUP) {
      this.alarms.addMetricAlarm(`${prefix}EngineCpu`, {
        metric: this.everyNode('EngineCPUUtilization', 'Average', 'MAX'),
        threshold: 80,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        description: `${path}: engine CPU of a node above 80% for 15 minutes`,
      });
      this.alarms.addMetricAlarm(`${prefix}Memory`, {
        metric: this.everyNode('DatabaseMemoryUsagePercentage', 'Maximum', 'MAX'),
        threshold: 85,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${path}: memory of a node above 85% (evictions follow)`,
      });
    }
  }
}

/** `<stack>-<path>` in lowercase letters, digits and single hyphens, at most 40 characters. */
function cacheNameFor(scope: Construct): string {
  const name = uniqueName(scope, 40).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/-$/, '');
  return /^[a-z]/.test(name) ? name : `c-${name}`.slice(0, 40);
}

function validate(construct: IConstruct, props: CacheProps, mode: CacheMode): void {
  const v = new PropsValidator('Cache', construct);
  v.check(Object.values(CacheMode).includes(mode), 'mode', mode, `one of ${Object.values(CacheMode).join(', ')}`);
  v.range('snapshotRetentionDays', props.snapshotRetentionDays, 15, 35);
  v.range('replicas', props.replicas, 1, 5);
  v.atLeast('connectionsAlarmThreshold', props.connectionsAlarmThreshold, 1);
  v.matches('userName', props.userName, NAME, '1-40 lowercase letters, digits and single hyphens, starting with a letter');
  v.check(props.userName === undefined || Token.isUnresolved(props.userName) || props.userName !== 'default', 'userName', props.userName,
    'another name than "default" (that user is switched off)');
  v.matches('nodeType', props.nodeType, /^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'a node type such as "cache.t4g.small"');
  if (mode === CacheMode.SERVERLESS) {
    v.check(props.nodeType === undefined, 'nodeType', props.nodeType, 'unset in SERVERLESS mode (serverless has no nodes)');
    v.check(props.replicas === undefined, 'replicas', props.replicas, 'unset in SERVERLESS mode (serverless has no nodes)');
  }
}
