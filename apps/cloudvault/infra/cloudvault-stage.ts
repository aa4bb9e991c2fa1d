import { Environment, Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CloudVaultApiDomainOptions, CloudVaultApiStack } from './api-stack';
import { CloudVaultCostStack } from './cost-stack';
import { CloudVaultDataStack, CloudVaultReplicationDestination } from './data-stack';
import { CloudVaultEventsStack } from './events-stack';
import { CloudVaultMonitoringStack } from './monitoring-stack';
import { CloudVaultNetworkStack } from './network-stack';
import { CloudVaultDomainOptions, CloudVaultRecoveryStack } from './recovery-stack';
import { CloudVaultSecurityStack } from './security-stack';
import { EnhancedLambdaFunction, EnvironmentConfig, RequiredTags } from '../../../src';

/** Properties of a CloudVault stage. */
export interface CloudVaultProps extends StageProps {
  /** The environment profile (dev, staging, prod): removal policies, retention, MFA, NAT gateways... */
  readonly profile: EnvironmentConfig;
  /** Account and region of every stack of the stage. */
  readonly env: Environment;
  /**
   * Secondary region: replication target of the files bucket and failover region.
   * @default - none
   */
  readonly secondaryRegion?: string;
  /**
   * Destination of the files bucket's cross-region replication (in `secondaryRegion`).
   * @default - no replication: a SecureBucket with lifecycle and versioning
   */
  readonly replicationDestination?: CloudVaultReplicationDestination;
  /**
   * E-mail subscribed to the alarm topic, security findings and budgets.
   * @default - none (subscribe later)
   */
  readonly alarmEmail?: string;
  /**
   * Monthly budget of the environment, in USD.
   * @default 100
   */
  readonly monthlyBudget?: number;
  /**
   * DNS failover of the API (needs `secondaryRegion`).
   * @default - no failover route
   */
  readonly domain?: CloudVaultDomainOptions;
  /**
   * Custom domain name of the API (certificate, TLS 1.2 domain name, alias record).
   * @default - none: clients use the execute-api URL
   */
  readonly apiDomain?: CloudVaultApiDomainOptions;
  /**
   * Whether to create the GuardDuty detector; false when the account already has one.
   * @default true
   */
  readonly createDetector?: boolean;
  /**
   * Whether to enable Security Hub; false when the account already has it.
   * @default true
   */
  readonly createSecurityHub?: boolean;
  /**
   * Whether to create the AWS Config recorder; false when the account already has one.
   * @default true
   */
  readonly createRecorder?: boolean;
  /**
   * Verified SES identity (domain) notification e-mails are sent from (`no-reply@<domain>`).
   * @default 'cloudvault.example.com'
   */
  readonly senderDomain?: string;
  /**
   * Owner tag value.
   * @default 'cloudvault-maintainers'
   */
  readonly owner?: string;
  /**
   * CostCenter tag value.
   * @default 'CV-0001'
   */
  readonly costCenter?: string;
}

/**
 * The CloudVault reference app in one environment, split by lifecycle: network, security, data,
 * events, API, monitoring, recovery and cost stacks, all tagged with the RequiredTags.
 */
export class CloudVault extends Stage {
  public readonly profile: EnvironmentConfig;
  public readonly requiredTags: RequiredTags;
  public readonly network: CloudVaultNetworkStack;
  public readonly security: CloudVaultSecurityStack;
  public readonly data: CloudVaultDataStack;
  public readonly events: CloudVaultEventsStack;
  public readonly api: CloudVaultApiStack;
  public readonly monitoring: CloudVaultMonitoringStack;
  public readonly recovery: CloudVaultRecoveryStack;
  public readonly cost: CloudVaultCostStack;

  constructor(scope: Construct, id: string, props: CloudVaultProps) {
    super(scope, id, props);
    this.profile = props.profile;
    this.profile.applyTo(this);
    this.requiredTags = RequiredTags.applyTo(this, {
      environment: this.profile.environment,
      project: 'cloudvault',
      owner: props.owner ?? 'cloudvault-maintainers',
      costCenter: props.costCenter ?? 'CV-0001',
    });
    const env = props.env;

    this.network = new CloudVaultNetworkStack(this, 'Network', { env });
    this.security = new CloudVaultSecurityStack(this, 'Security', {
      env,
      alarmEmail: props.alarmEmail,
      createDetector: props.createDetector,
      createSecurityHub: props.createSecurityHub,
      createRecorder: props.createRecorder,
    });
    const alarmTopic = this.security.alarms.topic;
    const keys = this.security.keys;

    this.data = new CloudVaultDataStack(this, 'Data', {
      env,
      keys,
      alarmTopic,
      replication: props.replicationDestination,
    });
    this.events = new CloudVaultEventsStack(this, 'Events', {
      env,
      alarmTopic,
      vpc: this.network.network.vpc,
      table: this.data.table,
      files: this.data.files,
      senderDomain: props.senderDomain ?? 'cloudvault.example.com',
    });
    this.api = new CloudVaultApiStack(this, 'Api', {
      env,
      alarmTopic,
      webAclArn: this.security.firewall.webAclArn,
      vpc: this.network.network.vpc,
      table: this.data.table,
      files: this.data.files,
      notificationQueue: this.events.notifications,
      backupExportQueue: this.events.backupExports,
      apiDomain: props.apiDomain,
    });
    this.recovery = new CloudVaultRecoveryStack(this, 'Recovery', {
      env,
      keys,
      alarmTopic,
      table: this.data.table,
      files: this.data.files,
      vpc: this.network.network.vpc,
      domain: props.domain,
      secondaryRegion: props.secondaryRegion,
    });
    this.cost = new CloudVaultCostStack(this, 'Cost', {
      env,
      monthlyBudget: props.monthlyBudget ?? 100,
      requiredTags: this.requiredTags,
      alarmEmail: props.alarmEmail,
      alarmTopic,
    });
    this.monitoring = new CloudVaultMonitoringStack(this, 'Monitoring', {
      env,
      alarmSets: [this.security.alarms, this.data.alarms, this.events.alarms, this.api.alarms, this.recovery.alarms],
      functionLogGroups: this.functions.map((fn) => fn.logGroup),
      accessLogGroup: this.api.api.accessLogGroup,
    });
  }

  /** Every Lambda function of the stage. */
  public get functions(): EnhancedLambdaFunction[] {
    return [...Object.values(this.api.functions), this.api.userSync, ...this.events.functions, this.recovery.scheduledBackup];
  }

  /** Every stack of the stage. */
  public get stacks(): Stack[] {
    return [this.network, this.security, this.data, this.events, this.api, this.monitoring, this.recovery, this.cost];
  }
}
