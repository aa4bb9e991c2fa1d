import { Stack, StackProps, aws_route53 as route53, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring';
import { BackupPlan, FailoverRoute } from '../recovery';
import { EncryptionKeys } from '../security';
import { SecureBucket, SecureTable } from '../storage';

/** DNS failover of the API between the primary and the secondary region. */
export interface CloudVaultDomainOptions {
  /** ID of the Route 53 hosted zone. */
  readonly hostedZoneId: string;
  /** Name of the hosted zone, e.g. `example.com`. */
  readonly zoneName: string;
  /** Record that clients use, e.g. `api.example.com`. */
  readonly recordName: string;
  /** Domain name of the API in the primary region (its custom domain's target). */
  readonly primaryDomainName: string;
  /** Domain name of the API in the secondary region. */
  readonly secondaryDomainName: string;
  /**
   * Path the health check requests.
   * @default '/api/health'
   */
  readonly healthCheckPath?: string;
}

/** Properties of the CloudVault recovery stack. */
export interface CloudVaultRecoveryStackProps extends StackProps {
  readonly keys: EncryptionKeys;
  readonly alarmTopic: sns.ITopic;
  readonly table: SecureTable;
  readonly files: SecureBucket;
  /** Failover routing; none without it. */
  readonly domain?: CloudVaultDomainOptions;
  /** The secondary region (required with `domain`). */
  readonly secondaryRegion?: string;
}

/** Backups of the stateful resources and, with a domain, DNS failover to the secondary region. */
export class CloudVaultRecoveryStack extends Stack {
  public readonly backupPlan: BackupPlan;
  public readonly failover?: FailoverRoute;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: CloudVaultRecoveryStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.backupPlan = new BackupPlan(this, 'Backup', { encryptionKey: props.keys.backup, alarms: this.alarms });
    this.backupPlan.addTable(props.table);
    this.backupPlan.addBucket(props.files);

    if (props.domain) {
      new PropsValidator('CloudVaultRecoveryStack', id)
        .check(props.secondaryRegion !== undefined, 'secondaryRegion', props.secondaryRegion, 'set when domain is set (the failover region)');
      this.failover = new FailoverRoute(this, 'Failover', {
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.domain.hostedZoneId, zoneName: props.domain.zoneName }),
        recordName: props.domain.recordName,
        primary: { region: this.region, domainName: props.domain.primaryDomainName },
        secondary: { region: props.secondaryRegion!, domainName: props.domain.secondaryDomainName },
        healthCheckPath: props.domain.healthCheckPath ?? '/api/health',
        // Route 53 publishes health-check metrics only in us-east-1, where their alarms must live.
        healthCheckAlarms: this.region === 'us-east-1',
        alarms: this.alarms,
      });
    }
  }
}
