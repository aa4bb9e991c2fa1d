import {
  Duration,
  Stack,
  Token,
  aws_backup as backup,
  aws_cloudwatch as cloudwatch,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ArnShape, KMS_KEY_ARN, checkArn } from './arns';
import { IBackupPlan } from './i-backup-plan';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { acknowledge } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { EnvironmentConfig } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';
import { SecureBucket } from '../storage/secure-bucket';
import { SecureTable } from '../storage/secure-table';

/** How long the recovery points of one backup rule are kept. */
export interface BackupRetention {
  /** Days each recovery point is kept (1-36500). */
  readonly retentionDays: number;
  /**
   * Days after which recovery points move to cold storage, for resource types that support it.
   * AWS Backup keeps cold recovery points at least 90 days, so `retentionDays` must then be at
   * least this value + 90.
   * @default - recovery points stay in warm storage
   */
  readonly moveToColdStorageAfterDays?: number;
}

/**
 * AWS Backup Vault Lock: every backup or copy job into the vault must keep its recovery points
 * between the minimum and maximum retention, and nobody can delete them earlier.
 */
export interface BackupVaultLock {
  /** Minimum retention in days (1-36500); every rule of the plan must keep backups at least this long. */
  readonly minRetentionDays: number;
  /**
   * Maximum retention in days (minRetentionDays-36500); every rule must keep backups at most this long.
   * @default - no maximum
   */
  readonly maxRetentionDays?: number;
  /**
   * Days (3-36500) after which the lock becomes immutable (compliance mode): from then on nobody,
   * not even the root user, can change or remove it. Choose it only once the retention is final.
   * @default - governance mode: users with backup:DeleteBackupVaultLockConfiguration can still remove the lock
   */
  readonly changeableForDays?: number;
}

/** Properties of a BackupPlan. */
export interface BackupPlanProps {
  /**
   * Name of the backup plan (1-50 letters, digits, "-", "_" or ".").
   * @default - derived from the stack and construct path
   */
  readonly backupPlanName?: string;
  /**
   * Name of the backup vault (2-50 letters, digits, "-" or "_"). A fixed name makes the vault's
   * ARN predictable, e.g. for the `secondaryVaultArn` of a plan in another region.
   * @default - generated
   */
  readonly backupVaultName?: string;
  /**
   * Customer-managed key that encrypts the recovery points of fully managed resource types
   * (DynamoDB with advanced features, S3, EFS...); other types keep their source encryption.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Vault Lock (WORM retention) of the vault.
   * @default - no Vault Lock
   */
  readonly vaultLock?: BackupVaultLock;
  /**
   * Whether the vault's access policy denies deleting recovery points and changing their
   * lifecycle or the policy itself to everyone (recovery points still expire on schedule).
   * @default - true, false when the EnvironmentConfig destroys data (dev)
   */
  readonly blockRecoveryPointDeletion?: boolean;
  /**
   * Daily backup at 03:00 UTC.
   * @default - `{ retentionDays: 35 }` when none of daily, weekly and monthly is set, otherwise no daily backup
   */
  readonly daily?: BackupRetention;
  /**
   * Weekly backup on Sundays at 04:00 UTC.
   * @default - no weekly backup
   */
  readonly weekly?: BackupRetention;
  /**
   * Monthly backup on the 1st at 05:00 UTC.
   * @default - `{ retentionDays: 365 }` when none of daily, weekly and monthly is set, otherwise no monthly backup
   */
  readonly monthly?: BackupRetention;
  /**
   * Whether the daily rule takes continuous backups, which allow point-in-time restore to any
   * second of the retention for resource types that support it (S3, RDS, Aurora); other types get
   * the daily snapshot. Continuous backups are kept at most 35 days and never move to cold storage.
   * @default - true when the daily rule keeps backups 35 days or less without cold storage, false otherwise
   */
  readonly enableContinuousBackup?: boolean;
  /**
   * ARN of a backup vault in another region that receives a copy of every recovery point (with
   * the same lifecycle), e.g. the vault of a BackupPlan deployed in the secondary region.
   * @default - no cross-region copy
   */
  readonly secondaryVaultArn?: string;
  /**
   * ARN of the customer-managed key of the secondary vault; the plan's role may then use it for
   * copies. Required when that key's policy only allows IAM principals it is granted to.
   * @default - no explicit grant on the secondary vault's key
   */
  readonly secondaryVaultKeyArn?: string;
  /**
   * Alarm set that receives the failed backup and copy job alarms.
   * @default - a new AlarmSet
   */
  readonly alarms?: AlarmSet;
}

/** One rule of the plan, as configured. */
interface RuleSpec {
  readonly name: string;
  readonly schedule: events.Schedule;
  readonly retention: BackupRetention;
  readonly continuous: boolean;
}

const VAULT_ARN: ArnShape = {
  service: 'backup',
  regional: true,
  resource: /^backup-vault:[A-Za-z0-9_-]{2,50}$/,
  allowed: 'a backup vault ARN (arn:<partition>:backup:<region>:<account>:backup-vault:<name>)',
};
const MAX_CONTINUOUS_DAYS = 35;
const MIN_COLD_DAYS = 90;

// What AWS Backup needs on the keys it reads and writes; CreateGrant only for AWS resources.
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

const BACKUP_POLICIES = ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores'];
const S3_POLICIES = ['AWSBackupServiceRolePolicyForS3Backup', 'AWSBackupServiceRolePolicyForS3Restore'];

/**
 * An AWS Backup plan with its own vault: a customer-managed key, optional Vault Lock, recovery
 * points protected from deletion, daily / weekly / monthly rules with retention and cold storage,
 * continuous backup for point-in-time restore where supported, copies to a vault in a secondary
 * region, selection by resource (`addTable`, `addBucket`, `addSelection`) or by tag, and alarms on
 * failed backup and copy jobs.
 */
export class BackupPlan extends Construct implements IBackupPlan {
  /** The underlying backup plan. */
  public readonly plan: backup.BackupPlan;
  /** The vault that holds the recovery points. */
  public readonly vault: backup.BackupVault;
  /** The key that encrypts the vault. */
  public readonly encryptionKey: kms.IKey;
  /** The role AWS Backup assumes to back up and restore the selected resources. */
  public readonly role: iam.Role;
  /** The alarm set that holds the failed-job alarms. */
  public readonly alarms: AlarmSet;

  private readonly policy: iam.ManagedPolicy;
  private readonly grantedKeys = new Set<kms.IKey>();
  private readonly attachedPolicies = new Set<string>();

  constructor(scope: Construct, id: string, props: BackupPlanProps = {}) {
    super(scope, id);
    const rules = ruleSpecs(props);
    validate(this, props, rules);
    const profile = EnvironmentConfig.of(this);
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);

    const lock = props.vaultLock;
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.backupVaultName,
      encryptionKey: this.encryptionKey,
      lockConfiguration: lock ? {
        minRetention: Duration.days(lock.minRetentionDays),
        maxRetention: lock.maxRetentionDays !== undefined ? Duration.days(lock.maxRetentionDays) : undefined,
        changeableFor: lock.changeableForDays !== undefined ? Duration.days(lock.changeableForDays) : undefined,
      } : undefined,
      blockRecoveryPointDeletion: props.blockRecoveryPointDeletion ?? !profile.removalPolicyDestroys,
      // A vault that still holds recovery points cannot be deleted; RETAIN keeps the stack deletable in prod.
      removalPolicy: profile.removalPolicy,
    });

    const secondary = props.secondaryVaultArn
      ? backup.BackupVault.fromBackupVaultArn(this, 'SecondaryVault', props.secondaryVaultArn)
      : undefined;
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.backupPlanName ?? uniqueName(this, 50),
      backupVault: this.vault,
    });
    for (const rule of rules) {
      const deleteAfter = Duration.days(rule.retention.retentionDays);
      const cold = rule.retention.moveToColdStorageAfterDays;
      const moveToColdStorageAfter = cold !== undefined ? Duration.days(cold) : undefined;
      this.plan.addRule(new backup.BackupPlanRule({
        ruleName: rule.name,
        scheduleExpression: rule.schedule,
        // The shortest start window AWS Backup accepts: a job starts within an hour of its schedule.
        startWindow: Duration.hours(1),
        deleteAfter,
        moveToColdStorageAfter,
        enableContinuousBackup: rule.continuous || undefined,
        copyActions: secondary ? [{ destinationBackupVault: secondary, deleteAfter, moveToColdStorageAfter }] : undefined,
      }));
    }

    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup service role of ${this.node.path}: backs up and restores the resources the plan selects`,
    });
    this.role = role;
    this.policy = role.policy;
    this.attachAwsPolicies(BACKUP_POLICIES);
    this.allowKey(this.encryptionKey);
    if (props.secondaryVaultKeyArn) {
      this.allowKey(kms.Key.fromKeyArn(this, 'SecondaryVaultKey', props.secondaryVaultKeyArn));
    }

    this.alarms = alarmSetFor(this, props.alarms);
    const prefix = props.alarms ? stackRelativeName(this, 64, '') : '';
    this.alarms.addMetricAlarm(`${prefix}BackupJobsFailed`, {
      metric: this.metric('NumberOfBackupJobsFailed'),
      threshold: 1,
      description: `${this.node.path}: an AWS Backup job into vault ${this.vault.node.path} failed`,
    });
    if (secondary) {
      this.alarms.addMetricAlarm(`${prefix}CopyJobsFailed`, {
        metric: this.metric('NumberOfCopyJobsFailed'),
        threshold: 1,
        description: `${this.node.path}: copying a recovery point to the secondary vault failed`,
      });
    }
  }

  /** The vault's name. */
  public get backupVaultName(): string {
    return this.vault.backupVaultName;
  }

  /** The vault's ARN. */
  public get backupVaultArn(): string {
    return this.vault.backupVaultArn;
  }

  /** The plan's id. */
  public get backupPlanId(): string {
    return this.plan.backupPlanId;
  }

  /**
   * Backs up `resources` (ARNs, tag conditions, constructs) with this plan. Selections that may
   * include S3 buckets (tags, constructs, S3 or unresolved ARNs) also give the role AWS Backup's
   * S3 policies, which S3 backups need on top of the general ones.
   */
  public addSelection(id: string, resources: backup.BackupResource[]): backup.BackupSelection {
    PropsValidator.forChild('BackupPlan', this, id).check(resources.length > 0, 'resources.length', 0, 'at least 1');
    return this.select(id, resources, resources.some((r) => r.resource === undefined || mayBeS3(r.resource)));
  }

  /**
   * Backs up one resource that is not S3 (an Aurora cluster, a file system...) by its ARN and lets
   * AWS Backup use the customer-managed key that encrypts it. Resource areas that own such
   * resources (e.g. `Database`) select themselves through this method.
   */
  public addEncryptedResource(id: string, resourceArn: string, encryptionKey: kms.IKey): backup.BackupSelection {
    const v = PropsValidator.forChild('BackupPlan', this, id);
    v.check(Token.isUnresolved(resourceArn) || !mayBeS3(resourceArn), 'resourceArn', resourceArn, 'the ARN of a resource that is not in S3 (use addBucket or addSelection)');
    this.allowKey(encryptionKey);
    return this.select(id, [backup.BackupResource.fromArn(resourceArn)], false);
  }

  /** Backs up a SecureTable (the table in this region) and lets AWS Backup use its key. */
  public addTable(table: SecureTable): backup.BackupSelection {
    this.allowKey(table.encryptionKey);
    return this.select(`Table${stackRelativeName(table, 40, '')}`, [backup.BackupResource.fromArn(table.tableArn)], false);
  }

  /** Backs up a SecureBucket (versioned, as S3 backups need) and lets AWS Backup use its key. */
  public addBucket(bucket: SecureBucket): backup.BackupSelection {
    this.allowKey(bucket.encryptionKey);
    return this.select(`Bucket${stackRelativeName(bucket, 40, '')}`, [backup.BackupResource.fromArn(bucket.bucketArn)], true);
  }

  private select(id: string, resources: backup.BackupResource[], s3: boolean): backup.BackupSelection {
    if (s3) this.attachAwsPolicies(S3_POLICIES);
    return this.plan.addSelection(id, {
      resources,
      role: this.role,
      // The role already carries AWS Backup's backup and restore policies (see attachAwsPolicies).
      disableDefaultBackupPolicy: true,
    });
  }

  private metric(metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Backup',
      metricName,
      dimensionsMap: { BackupVaultName: this.vault.backupVaultName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }

  /** Lets the role read and write data encrypted with `key` (once per key). */
  private allowKey(key: kms.IKey): void {
    if (this.grantedKeys.has(key)) return;
    this.grantedKeys.add(key);
    this.policy.addStatements(
      new iam.PolicyStatement({ actions: KEY_ACTIONS, resources: [key.keyArn] }),
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
  }

  /**
   * Attaches AWS Backup's own service-role policies. They are the documented permissions of the
   * AWS Backup default service role, maintained by AWS as services change what a backup or
   * restore needs; a selection by tag may cover any resource type, whose actions cannot be
   * listed at synth time, and a hand-written copy would fail jobs when AWS changes them.
   */
  private attachAwsPolicies(names: string[]): void {
    const added = names.filter((n) => !this.attachedPolicies.has(n));
    if (added.length === 0) return;
    added.forEach((n) => {
      this.attachedPolicies.add(n);
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(`service-role/${n}`));
    });
    acknowledge(this.role, added.map((n) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${n}]`),
      'AWS Backup documents these AWS managed policies as the permissions of its service role and updates them when ' +
      'services change what a backup or restore needs; selections by tag cover resource types unknown at synth time. ' +
      'Only backup.amazonaws.com can assume the role, and it acts only on the resources this plan selects.');
  }
}

function mayBeS3(arn: string): boolean {
  return Token.isUnresolved(arn) ? !arn.startsWith('arn:') || arn.includes(':s3:::') : /^arn:aws[a-z-]*:s3:::/.test(arn);
}

/** The rules the props describe, with the documented defaults. */
function ruleSpecs(props: BackupPlanProps): RuleSpec[] {
  const none = !props.daily && !props.weekly && !props.monthly;
  const daily = props.daily ?? (none ? { retentionDays: 35 } : undefined);
  const monthly = props.monthly ?? (none ? { retentionDays: 365 } : undefined);
  const specs: RuleSpec[] = [];
  if (daily) {
    const fitsContinuous = daily.moveToColdStorageAfterDays === undefined
      && (Token.isUnresolved(daily.retentionDays) || daily.retentionDays <= MAX_CONTINUOUS_DAYS);
    specs.push({
      name: 'Daily',
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      retention: daily,
      continuous: props.enableContinuousBackup ?? fitsContinuous,
    });
  }
  if (props.weekly) {
    specs.push({ name: 'Weekly', schedule: events.Schedule.cron({ minute: '0', hour: '4', weekDay: 'SUN' }), retention: props.weekly, continuous: false });
  }
  if (monthly) {
    specs.push({ name: 'Monthly', schedule: events.Schedule.cron({ minute: '0', hour: '5', day: '1' }), retention: monthly, continuous: false });
  }
  return specs;
}

function validate(scope: Construct, props: BackupPlanProps, rules: RuleSpec[]): void {
  const v = new PropsValidator('BackupPlan', scope);
  v.matches('backupPlanName', props.backupPlanName, /^[A-Za-z0-9_.-]{1,50}$/, '1-50 letters, digits, "-", "_" or "."');
  v.matches('backupVaultName', props.backupVaultName, /^[A-Za-z0-9_-]{2,50}$/, '2-50 letters, digits, "-" or "_"');

  for (const rule of rules) {
    const prop = rule.name.toLowerCase();
    const { retentionDays, moveToColdStorageAfterDays: cold } = rule.retention;
    v.range(`${prop}.retentionDays`, retentionDays, 1, 36500);
    v.range(`${prop}.moveToColdStorageAfterDays`, cold, 1, 36500);
    if (rule.continuous) {
      v.check(cold === undefined, `${prop}.moveToColdStorageAfterDays`, cold,
        'unset when enableContinuousBackup is true (continuous backups never move to cold storage)');
      v.check(Token.isUnresolved(retentionDays) || retentionDays <= MAX_CONTINUOUS_DAYS, `${prop}.retentionDays`, retentionDays,
        `<= ${MAX_CONTINUOUS_DAYS} when enableContinuousBackup is true (continuous backups are kept at most ${MAX_CONTINUOUS_DAYS} days)`);
    } else if (cold !== undefined && !Token.isUnresolved(cold) && !Token.isUnresolved(retentionDays)) {
      v.check(retentionDays >= cold + MIN_COLD_DAYS, `${prop}.retentionDays`, retentionDays,
        `>= ${cold + MIN_COLD_DAYS} (moveToColdStorageAfterDays ${cold} + 90: AWS Backup keeps recovery points in cold storage for at least 90 days)`);
    }
  }
  v.check(props.enableContinuousBackup !== true || rules.some((r) => r.name === 'Daily'), 'enableContinuousBackup', true,
    'false when the plan has no daily rule (continuous backup is a setting of the daily rule)');

  const lock = props.vaultLock;
  if (lock) {
    v.range('vaultLock.minRetentionDays', lock.minRetentionDays, 1, 36500);
    v.range('vaultLock.maxRetentionDays', lock.maxRetentionDays, 1, 36500);
    v.range('vaultLock.changeableForDays', lock.changeableForDays, 3, 36500);
    const min = lock.minRetentionDays;
    const max = lock.maxRetentionDays;
    if (max !== undefined && !Token.isUnresolved(min) && !Token.isUnresolved(max)) {
      v.check(min <= max, 'vaultLock.minRetentionDays', min, `<= vaultLock.maxRetentionDays (${max})`);
    }
    // The vault fails every job whose retention lies outside the lock's range.
    for (const rule of rules) {
      const days = rule.retention.retentionDays;
      if (Token.isUnresolved(days)) continue;
      const prop = `${rule.name.toLowerCase()}.retentionDays`;
      if (!Token.isUnresolved(min)) v.check(days >= min, prop, days, `>= vaultLock.minRetentionDays (${min}), or the vault fails its backup jobs`);
      if (max !== undefined && !Token.isUnresolved(max)) v.check(days <= max, prop, days, `<= vaultLock.maxRetentionDays (${max}), or the vault fails its backup jobs`);
    }
  }

  const stackRegion = Stack.of(scope).region;
  const region = checkArn(v, 'secondaryVaultArn', props.secondaryVaultArn, VAULT_ARN);
  if (region !== undefined && !Token.isUnresolved(stackRegion)) {
    v.check(region !== stackRegion, 'secondaryVaultArn', props.secondaryVaultArn,
      `a vault in another region than the stack's own (${stackRegion}): a copy in the same region does not survive a regional outage`);
  }
  if (props.secondaryVaultKeyArn !== undefined) {
    v.check(props.secondaryVaultArn !== undefined, 'secondaryVaultKeyArn', props.secondaryVaultKeyArn, 'unset when secondaryVaultArn is unset');
    const keyRegion = checkArn(v, 'secondaryVaultKeyArn', props.secondaryVaultKeyArn, KMS_KEY_ARN);
    if (keyRegion !== undefined && region !== undefined) {
      v.check(keyRegion === region, 'secondaryVaultKeyArn', props.secondaryVaultKeyArn, `a key in the secondary vault's region (${region})`);
    }
  }
}
