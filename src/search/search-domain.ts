import {
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_opensearchservice as opensearch,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, controlTowerRule } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { EnvironmentConfig, EnvironmentName } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** Properties of a SearchDomain. */
export interface SearchDomainProps {
  /** The VPC the domain lives in (e.g. `Network.vpc`); it needs a subnet in each of `availabilityZones` AZs. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnet type the domain's nodes go to (one subnet per AZ).
   * @default - isolated subnets, else private ones
   */
  readonly subnetType?: ec2.SubnetType;
  /**
   * OpenSearch version.
   * @default EngineVersion.OPENSEARCH_2_19
   */
  readonly version?: opensearch.EngineVersion;
  /**
   * Availability zones the nodes spread over: 3 in prod, 1-3 in dev and staging.
   * @default 3
   */
  readonly availabilityZones?: number;
  /**
   * Data nodes: a multiple of `availabilityZones` (so at least 3 in prod).
   * @default 3
   */
  readonly dataNodes?: number;
  /**
   * Data node instance type.
   * @default 'r7g.large.search'
   */
  readonly dataNodeInstanceType?: string;
  /**
   * Dedicated master nodes: 3 in prod, 0 or 3 elsewhere.
   * @default 3
   */
  readonly masterNodes?: number;
  /**
   * Dedicated master instance type.
   * @default 'm7g.large.search'
   */
  readonly masterNodeInstanceType?: string;
  /**
   * gp3 volume per data node in GiB (10-3072).
   * @default 100
   */
  readonly volumeSizeGiB?: number;
  /**
   * Customer-managed key for data at rest and the log groups.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * IAM role mapped to the fine-grained access control master user (manages roles and mappings).
   * @default - a new role that principals of this account may assume when their policies allow it
   */
  readonly masterRole?: iam.IRole;
  /**
   * Peers (functions, security groups) allowed to reach the domain on HTTPS; more with `allowFrom`.
   * @default - none
   */
  readonly allowFrom?: ec2.IConnectable[];
  /**
   * Alarm set that receives the domain's alarms.
   * @default - a new AlarmSet
   */
  readonly alarms?: AlarmSet;
}

const READ_ACTIONS = ['es:ESHttpGet', 'es:ESHttpHead'];
const WRITE_ACTIONS = ['es:ESHttpDelete', 'es:ESHttpPatch', 'es:ESHttpPost', 'es:ESHttpPut'];
const INSTANCE_TYPE = /^[a-z0-9]+\.[a-z0-9]+\.search$/;
// OpenSearch index names: lowercase, not starting with _ - +, not . or .., none of \ / * ? " < > | space , # :
const INDEX_NAME = /^(?![_+-])(?!\.\.?$)[^A-Z\\/*?"<>| ,#:]{1,255}$/;

/**
 * An OpenSearch Service domain in the VPC with secure defaults: 3 data nodes and 3 dedicated
 * masters across 3 AZs, a customer-managed key at rest, node-to-node encryption, HTTPS only with
 * TLS 1.2, fine-grained access control with an IAM master role, slow search / slow index /
 * application / audit logs in encrypted log groups of its own (plain log resource policy, no
 * custom-resource Lambda), an account-only access policy on the L1, a security group open only to
 * the peers given, and alarms on cluster status, storage, JVM pressure, CPU and snapshot failures.
 */
export class SearchDomain extends Construct {
  /** The OpenSearch domain. */
  public readonly domain: opensearch.Domain;
  /** The IAM role mapped to the fine-grained access control master user. */
  public readonly masterRole: iam.IRole;
  /** Security group of the domain. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The key that encrypts data at rest and the logs. */
  public readonly encryptionKey: kms.IKey;
  /** Log groups: slow search, slow index, application and audit, in that order. */
  public readonly logGroups: logs.LogGroup[];
  /** The resource policy that lets OpenSearch write to the log groups. */
  public readonly logResourcePolicy: logs.CfnResourcePolicy;
  /** The alarm set that holds the domain's alarms. */
  public readonly alarms: AlarmSet;

  /** The domain's name, a plain string at synthesis (the ARN attribute is a token). */
  private readonly domainName: string;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    const args = new PropsValidator('SearchDomain', this);
    args.required('props', props, 'object', 'SearchDomainProps (an object with vpc)');
    args.required('vpc', props.vpc, 'object', 'an ec2.IVpc (e.g. Network.vpc)');
    const profile = EnvironmentConfig.of(this);
    validate(this, props, profile);
    const stack = Stack.of(this);
    const azs = props.availabilityZones ?? 3;
    const dataNodes = props.dataNodes ?? 3;
    const masterNodes = props.masterNodes ?? 3;
    const volumeSize = props.volumeSizeGiB ?? 100;
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);

    const subnetType = props.subnetType
      ?? (props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS);
    const subnets = props.vpc.selectSubnets({ subnetType, onePerAz: true }).subnets;
    args.check(subnets.length >= azs, 'vpc', `${subnets.length} ${subnetType} subnet(s) in distinct AZs`,
      `a VPC with a ${subnetType} subnet in each of ${azs} AZs`);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `OpenSearch domain ${this.node.path}: HTTPS from the peers given`,
      allowAllOutbound: false,
    });
    for (const peer of props.allowFrom ?? []) this.allowFrom(peer);

    this.logGroups = ['SlowSearchLogs', 'SlowIndexLogs', 'AppLogs', 'AuditLogs'].map((logId) =>
      encryptedLogGroup(this, logId, { encryptionKey: this.encryptionKey }));
    // Written as a plain resource: the L2's log policy is a custom-resource Lambda.
    this.logResourcePolicy = new logs.CfnResourcePolicy(this, 'LogResourcePolicy', {
      policyName: uniqueName(this, 255),
      policyDocument: stack.toJsonString({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow',
          Principal: { Service: 'es.amazonaws.com' },
          Action: ['logs:PutLogEvents', 'logs:CreateLogStream'],
          Resource: this.logGroups.map((g) => g.logGroupArn),
          Condition: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }],
      }),
    });

    this.masterRole = props.masterRole ?? new iam.Role(this, 'MasterRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `Fine-grained access control master user of ${this.node.path}`,
    });

    const domainName = domainNameFor(this);
    this.domainName = domainName;
    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName,
      version: props.version ?? opensearch.EngineVersion.OPENSEARCH_2_19,
      vpc: props.vpc,
      vpcSubnets: [{ subnets: subnets.slice(0, azs) }],
      securityGroups: [this.securityGroup],
      capacity: {
        dataNodes,
        dataNodeInstanceType: props.dataNodeInstanceType ?? 'r7g.large.search',
        masterNodes: masterNodes > 0 ? masterNodes : undefined,
        masterNodeInstanceType: masterNodes > 0 ? props.masterNodeInstanceType ?? 'm7g.large.search' : undefined,
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: azs > 1 ? { enabled: true, availabilityZoneCount: azs } : { enabled: false },
      ebs: { volumeSize, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true, kmsKey: this.encryptionKey },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: { masterUserArn: this.masterRole.roleArn },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: this.logGroups[0],
        slowIndexLogEnabled: true,
        slowIndexLogGroup: this.logGroups[1],
        appLogEnabled: true,
        appLogGroup: this.logGroups[2],
        auditLogEnabled: true,
        auditLogGroup: this.logGroups[3],
      },
      suppressLogsResourcePolicy: true,
      enableAutoSoftwareUpdate: true,
      removalPolicy: profile.removalPolicy,
    });
    const cfn = this.domain.node.defaultChild as opensearch.CfnDomain;
    cfn.node.addDependency(this.logResourcePolicy);
    // Set on the L1: the L2's accessPolicies prop is a custom-resource Lambda. Principals of this
    // account only, and only with an IAM policy of their own (grantRead / grantReadWrite).
    cfn.accessPolicies = {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { AWS: `arn:${stack.partition}:iam::${stack.account}:root` },
        Action: [...READ_ACTIONS, ...WRITE_ACTIONS],
        // Built from the name: the domain's own ARN attribute would make it depend on itself.
        Resource: `arn:${stack.partition}:es:${stack.region}:${stack.account}:domain/${domainName}/*`,
      }],
    };
    // Only outside prod (validated): a small dev domain is the caller's documented choice.
    const smaller = [
      ...(azs < 2 ? ['AwsSolutions-OS7'] : []),
      ...(masterNodes === 0 ? ['AwsSolutions-OS4'] : []),
      ...(azs < 2 || dataNodes < 3 ? [controlTowerRule('opensearch_data_node_fault_tolerance_check')] : []),
    ];
    if (smaller.length > 0) {
      acknowledge(cfn, [...smaller],
        `A smaller ${profile.environment} domain (${dataNodes} data node(s) in ${azs} AZ(s), ${masterNodes} dedicated masters) chosen through availabilityZones / dataNodes / masterNodes; prod requires 3 AZs and 3 dedicated masters.`);
    }
    acknowledge(cfn, ['AwsSolutions-OS3'],
      'A VPC domain cannot have an IP-based access policy (OpenSearch refuses aws:SourceIp on VPC endpoints); access is limited by the security group (only the peers given), IAM (this account, and only principals granted through grantRead / grantReadWrite) and fine-grained access control.');

    this.alarms = alarmSetFor(this, props.alarms);
    this.addAlarms(props.alarms ? stackRelativeName(this, 64, '') : 'Search', volumeSize);
  }

  /** The domain's HTTPS endpoint (host name). */
  public get domainEndpoint(): string {
    return this.domain.domainEndpoint;
  }

  /** The domain's ARN. */
  public get domainArn(): string {
    return this.domain.domainArn;
  }

  /** Lets `peer` (a function, a security group) reach the domain on HTTPS (443). */
  public allowFrom(peer: ec2.IConnectable): void {
    new PropsValidator('SearchDomain', this).required('allowFrom(peer)', peer, 'object', 'an ec2.IConnectable (a function, a security group)');
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(443), 'HTTPS to OpenSearch');
  }

  /**
   * Lets `grantee` send GET and HEAD requests to every path of the domain (`domain/<name>/*`: all
   * indexes and the cluster APIs). Acknowledges the wildcard's AwsSolutions-IAM5 on the grantee.
   * Prefer `grantReadIndex` for one index.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantHttp(grantee, READ_ACTIONS, undefined);
  }

  /**
   * Lets `grantee` read, write and delete documents and indexes on every path of the domain (GET,
   * HEAD, POST, PUT, PATCH, DELETE on `domain/<name>/*`). Acknowledges the wildcard's
   * AwsSolutions-IAM5 on the grantee. Prefer `grantReadWriteIndex` for one index.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantHttp(grantee, [...READ_ACTIONS, ...WRITE_ACTIONS], undefined);
  }

  /**
   * Lets `grantee` search and read one index (`domain/<name>/<index>` and `<index>/*`): GET, HEAD,
   * and POST, which `_search`, `_msearch` and `_count` with a request body need (OpenSearch clients
   * send searches as POST). IAM cannot tell a search POST from a document POST: map the role to a
   * read-only role in fine-grained access control where that matters. Acknowledges the
   * `<index>/*` wildcard's AwsSolutions-IAM5 (document ids are not known in advance) on the grantee.
   */
  public grantReadIndex(grantee: iam.IGrantable, indexName: string): iam.Grant {
    return this.grantHttp(grantee, [...READ_ACTIONS, 'es:ESHttpPost'], this.requiredIndex(indexName));
  }

  /**
   * Lets `grantee` read, write and delete the documents of one index and the index itself (GET, HEAD,
   * POST, PUT, PATCH, DELETE on `domain/<name>/<index>` and `<index>/*`; bulk requests go to
   * `<index>/_bulk`). Acknowledges the `<index>/*` wildcard's AwsSolutions-IAM5 on the grantee.
   */
  public grantReadWriteIndex(grantee: iam.IGrantable, indexName: string): iam.Grant {
    return this.grantHttp(grantee, [...READ_ACTIONS, ...WRITE_ACTIONS], this.requiredIndex(indexName));
  }

  private requiredIndex(indexName: string): string {
    new PropsValidator('SearchDomain', this).required('indexName', indexName, 'string', 'an OpenSearch index name');
    return indexName;
  }

  private grantHttp(grantee: iam.IGrantable, actions: string[], indexName: string | undefined): iam.Grant {
    const v = new PropsValidator('SearchDomain', this);
    v.required('grantee', grantee, 'object', 'an iam.IGrantable');
    v.matches('indexName', indexName, INDEX_NAME,
      '1-255 lowercase characters, not starting with "_", "-" or "+", without \\ / * ? " < > | , # : or spaces');
    // Built from the name (a string), not the ARN attribute (a token): cdk-nag then shows the
    // resource as written here, and the acknowledgement names exactly that resource.
    const stack = Stack.of(this);
    const path = indexName === undefined ? this.domainName : `${this.domainName}/${indexName}`;
    const arn = `arn:${stack.partition}:es:${stack.region}:${stack.account}:domain/${path}`;
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [arn, `${arn}/*`] });
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      acknowledge(principal, [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:es:${region}:${account}:domain/${path}/*]`],
        indexName === undefined
          ? `domain/${this.domainName}/* are the indexes, documents and APIs of the OpenSearch domain ${this.node.path}, granted as a whole by grantRead / grantReadWrite; document ids are generated at run time.`
          : `${indexName}/* are the documents and APIs (_doc, _search, _bulk) of the one index ${indexName} of ${this.node.path}; document ids are generated at run time, so no list can name them.`);
    }
    return grant;
  }

  private addAlarms(prefix: string, volumeSizeGiB: number): void {
    const path = this.node.path;
    const period = Duration.minutes(1);
    this.alarms.addMetricAlarm(`${prefix}ClusterRed`, {
      metric: this.domain.metricClusterStatusRed({ period, statistic: 'Maximum' }),
      threshold: 1,
      description: `${path}: cluster status red (a primary shard is unassigned)`,
    });
    this.alarms.addMetricAlarm(`${prefix}ClusterYellow`, {
      metric: this.domain.metricClusterStatusYellow({ period, statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      description: `${path}: cluster status yellow for 5 minutes (a replica shard is unassigned)`,
    });
    const freeMiB = Math.round(volumeSizeGiB * 1024 * 0.25);
    this.alarms.addMetricAlarm(`${prefix}FreeStorage`, {
      metric: this.domain.metricFreeStorageSpace({ period, statistic: 'Minimum' }),
      threshold: freeMiB,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `${path}: a node has 25% or less of its ${volumeSizeGiB} GiB free`,
    });
    this.alarms.addMetricAlarm(`${prefix}JvmMemoryPressure`, {
      metric: this.domain.metricJVMMemoryPressure({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 85,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${path}: JVM memory pressure at or above 85% for 15 minutes`,
    });
    this.alarms.addMetricAlarm(`${prefix}Cpu`, {
      metric: this.domain.metricCPUUtilization({ period: Duration.minutes(5), statistic: 'Average' }),
      threshold: 80,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      description: `${path}: CPU at or above 80% for 15 minutes`,
    });
    this.alarms.addMetricAlarm(`${prefix}SnapshotFailure`, {
      metric: this.domain.metricAutomatedSnapshotFailure({ period, statistic: 'Maximum' }),
      threshold: 1,
      description: `${path}: the automated snapshot failed`,
    });
  }
}

/** 3-28 lowercase letters, digits and hyphens, starting with a letter. */
function domainNameFor(scope: Construct): string {
  const name = uniqueName(scope, 28).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/-$/, '');
  return /^[a-z]/.test(name) ? name : `s-${name}`.slice(0, 28);
}

function validate(construct: IConstruct, props: SearchDomainProps, profile: EnvironmentConfig): void {
  const v = new PropsValidator('SearchDomain', construct);
  const prod = profile.environment === EnvironmentName.PROD;
  v.range('availabilityZones', props.availabilityZones, 1, 3);
  v.range('dataNodes', props.dataNodes, 1, 80);
  v.range('volumeSizeGiB', props.volumeSizeGiB, 10, 3072);
  v.check(props.masterNodes === undefined || Token.isUnresolved(props.masterNodes) || [0, 3, 5].includes(props.masterNodes),
    'masterNodes', props.masterNodes, '0, 3 or 5 (an odd quorum; 0 = no dedicated masters)');
  v.matches('dataNodeInstanceType', props.dataNodeInstanceType, INSTANCE_TYPE, 'an OpenSearch instance type such as "r7g.large.search"');
  v.matches('masterNodeInstanceType', props.masterNodeInstanceType, INSTANCE_TYPE, 'an OpenSearch instance type such as "m7g.large.search"');
  const azs = props.availabilityZones ?? 3;
  const data = props.dataNodes ?? 3;
  const masters = props.masterNodes ?? 3;
  if (!Token.isUnresolved(azs) && !Token.isUnresolved(data)) {
    v.check(data % azs === 0, 'dataNodes', data, `a multiple of availabilityZones (${azs})`);
  }
  if (prod) {
    v.check(azs === 3, 'availabilityZones', azs, '3 in prod');
    v.check(masters >= 3, 'masterNodes', masters, '3 or 5 in prod (dedicated masters keep the cluster stable)');
  }
}
