import { Duration, Stack, StackProps, aws_ec2 as ec2, aws_iam as iam, aws_route53 as route53, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerEnvironment } from './api-stack';
import { handlerCode } from './handler-code';
import { HANDLER_PERMISSIONS, grantHandlerPermissions } from './handler-permissions';
import { EnhancedLambdaFunction, ScheduledJob, AlarmSet, BackupPlan, FailoverRoute, EncryptionKeys, SecureBucket, SecureTable } from '../../../src';

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
  /** VPC the scheduled backup function runs in. */
  readonly vpc: ec2.IVpc;
  /** Failover routing; none without it. */
  readonly domain?: CloudVaultDomainOptions;
  /** The secondary region (required with `domain`). */
  readonly secondaryRegion?: string;
}

/** Backups of the stateful resources and, with a domain, DNS failover to the secondary region. */
export class CloudVaultRecoveryStack extends Stack {
  public readonly backupPlan: BackupPlan;
  /** Daily on-demand AWS Backup job of the table, which also verifies the previous day's job. */
  public readonly scheduledBackup: EnhancedLambdaFunction;
  public readonly backupJob: ScheduledJob;
  public readonly failover?: FailoverRoute;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: CloudVaultRecoveryStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    this.backupPlan = new BackupPlan(this, 'Backup', { encryptionKey: props.keys.backup, alarms: this.alarms });
    this.backupPlan.addTable(props.table);
    this.backupPlan.addBucket(props.files);

    // backupService's scheduled mode (src/cloudvault/handlers/backup.lambda.ts): starts a backup job
    // of the table into the plan's vault and checks that yesterday's job completed.
    this.scheduledBackup = new EnhancedLambdaFunction(this, 'ScheduledBackup', {
      code: handlerCode('backup'),
      environment: {
        ...handlerEnvironment('backup'),
        TABLE_NAME: props.table.tableName,
        TABLE_ARN: props.table.tableArn,
        BACKUP_VAULT_NAME: this.backupPlan.vault.backupVaultName,
        BACKUP_ROLE_ARN: this.backupPlan.role.roleArn,
      },
      timeout: Duration.minutes(1),
      vpc: props.vpc,
      alarms: this.alarms,
    });
    // Its record of each day's job (SCHEDULED_BACKUP item): written after the start, read and updated the next day.
    grantHandlerPermissions(this.scheduledBackup, HANDLER_PERMISSIONS['scheduled-backup'], props.table);
    this.scheduledBackup.addToRolePolicy(new iam.PolicyStatement({
      actions: ['backup:StartBackupJob'],
      resources: [this.backupPlan.vault.backupVaultArn],
    }));
    this.scheduledBackup.addToRolePolicy(new iam.PolicyStatement({
      actions: ['backup:DescribeBackupJob'],
      // Backup jobs have no ARN of their own: DescribeBackupJob supports no resource-level permission.
      resources: ['*'],
    }));
    this.scheduledBackup.addToRolePolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.backupPlan.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
    }));
    this.backupJob = new ScheduledJob(this, 'BackupJob', {
      handler: this.scheduledBackup,
      schedules: [{ name: 'daily-backup', cron: '30 2 * * ? *', input: { action: 'scheduled-backup' }, description: 'On-demand table backup and check of the previous one' }],
      alarms: this.alarms,
    });

    if (props.domain) {
      if (props.secondaryRegion === undefined) {
        throw new Error(`CloudVaultRecoveryStack "${id}" (${this.node.path}): secondaryRegion must be set when domain is set (the failover region), got undefined`);
      }
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
