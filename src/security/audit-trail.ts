import {
  Annotations,
  Duration,
  Stack,
  Token,
  aws_cloudtrail as cloudtrail,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { EnvironmentConfig } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';
import { SecureBucket } from '../storage/secure-bucket';

/** Properties of an AuditTrail. */
export interface AuditTrailProps {
  /**
   * Name of the trail: 3-128 letters, digits, ".", "_" or "-", starting and ending with a
   * letter or digit, no two of ".", "_", "-" in a row, not an IP address.
   * @default - derived from the construct path (unique per stack)
   */
  readonly trailName?: string;
  /**
   * Customer-managed key that encrypts the log files, the digest files, the log bucket and the
   * CloudWatch log group. The construct adds the CloudTrail and CloudWatch Logs statements to its
   * policy; an imported key's policy must already allow them.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Object Lock mode of the log bucket: GOVERNANCE (privileged users may lift a lock) or
   * COMPLIANCE (nobody can, not even root, until the retention ends).
   * @default ObjectLockMode.GOVERNANCE
   */
  readonly objectLockMode?: s3.ObjectLockMode;
  /**
   * Days each log file is locked against deletion and overwrite (1-36500). Log files are kept at
   * least this long and at least 365 days.
   * @default 365, or 1 when the EnvironmentConfig destroys data (dev)
   */
  readonly objectLockRetentionDays?: number;
  /**
   * Buckets whose object-level operations (GetObject, PutObject, DeleteObject...) are logged as data events.
   * @default - no S3 data events
   */
  readonly s3DataEventBuckets?: s3.IBucket[];
  /**
   * Functions whose invocations are logged as data events.
   * @default - no Lambda data events
   */
  readonly lambdaDataEventFunctions?: lambda.IFunction[];
  /**
   * Which data events are logged for `s3DataEventBuckets` and `lambdaDataEventFunctions`
   * (management events are always logged, read and write).
   * @default ReadWriteType.ALL
   */
  readonly dataEventsReadWriteType?: cloudtrail.ReadWriteType;
  /**
   * Retention of the CloudWatch log group that receives the events.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Alarm set that receives the trail's security alarms and the log bucket's 5xx alarm.
   * @default - a new AlarmSet
   */
  readonly alarms?: AlarmSet;
}

/** Basic event selectors of a trail hold at most 250 data resources in total. */
const MAX_DATA_RESOURCES = 250;

/**
 * CIS AWS Foundations metric filters (CloudWatch.1, .2 and .5 in Security Hub) on the trail's
 * log group, each with an alarm at one occurrence per 5 minutes.
 */
const SECURITY_FILTERS: Array<{ id: string; pattern: string; description: string }> = [
  {
    id: 'UnauthorizedApiCalls',
    pattern: '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    description: 'API calls were denied (UnauthorizedOperation or AccessDenied)',
  },
  {
    id: 'RootAccountUsage',
    pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    description: 'the account root user made a request',
  },
  {
    id: 'TrailConfigurationChanges',
    pattern: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
    description: 'a CloudTrail trail was created, updated, deleted, started or stopped',
  },
];

/** Namespace of the metrics the security metric filters publish. */
const METRIC_NAMESPACE = 'CloudVault/AuditTrail';

/**
 * An account-wide CloudTrail trail: multi-region with global service events, log file
 * validation, KMS encryption with a customer-managed key, delivery to a SecureBucket with
 * Object Lock (WORM), delivery to an encrypted CloudWatch log group, optional S3 and Lambda
 * data events, and CIS alarms on unauthorized API calls, root account usage and changes to
 * trails. Bucket and key policies admit CloudTrail for this trail only (`aws:SourceArn`).
 */
export class AuditTrail extends Construct {
  /** The underlying trail. */
  public readonly trail: cloudtrail.Trail;
  /** The trail's name. */
  public readonly trailName: string;
  /** The trail's ARN (built from the name, so policies can name it before the trail exists). */
  public readonly trailArn: string;
  /** The Object Lock bucket that receives the log and digest files. */
  public readonly bucket: SecureBucket;
  /** The key that encrypts log files, bucket and log group. */
  public readonly encryptionKey: kms.IKey;
  /** The log group that receives the events. */
  public readonly logGroup: logs.LogGroup;
  /** The role CloudTrail assumes to write to the log group. */
  public readonly logsRole: iam.Role;
  /** The alarm set that holds the trail's security alarms. */
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: AuditTrailProps = {}) {
    super(scope, id);
    validate(this, props);
    const profile = EnvironmentConfig.of(this);
    const stack = Stack.of(this);

    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    // A fixed name lets the bucket and key policies name the trail (aws:SourceArn) without a
    // dependency cycle: the trail itself must wait for both policies.
    this.trailName = props.trailName ?? uniqueName(this, 128);
    this.trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: this.trailName });
    this.allowCloudTrail();
    this.alarms = alarmSetFor(this, props.alarms);

    const retentionDays = props.objectLockRetentionDays ?? (profile.removalPolicyDestroys ? 1 : 365);
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey: this.encryptionKey,
      objectLock: { mode: props.objectLockMode ?? s3.ObjectLockMode.GOVERNANCE, retentionDays },
      lifecycle: { expirationDays: Math.max(365, retentionDays) },
      alarms: this.alarms,
    });
    this.admitCloudTrailToBucket();

    this.logGroup = encryptedLogGroup(this, 'LogGroup', { encryptionKey: this.encryptionKey, retention: props.logRetention });
    // The L2's sendToCloudWatchLogs builds its role with an inline policy (IAMNoInlinePolicy);
    // this role keeps the same two actions on this log group in a customer-managed policy.
    const logsRole = new ManagedPolicyRole(this, 'LogsRole', {
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com'),
      description: `CloudTrail delivery to the log group of ${this.node.path}`,
    });
    logsRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DeliverTrailEvents',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.logsRole = logsRole;

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: this.trailName,
      // Referenced, not passed as the L2 Bucket: given a bucket it owns, the L2 would add bucket
      // policy statements without aws:SourceArn; admitCloudTrailToBucket() adds scoped ones.
      bucket: s3.Bucket.fromBucketAttributes(this, 'Destination', {
        bucketArn: this.bucket.bucketArn,
        bucketName: this.bucket.bucketName,
      }),
      encryptionKey: this.encryptionKey,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    cfnTrail.cloudWatchLogsLogGroupArn = this.logGroup.logGroupArn;
    cfnTrail.cloudWatchLogsRoleArn = logsRole.roleArn;
    // CloudTrail checks bucket access and log delivery when the trail is created.
    cfnTrail.node.addDependency(this.bucket.bucket.policy!, logsRole.policy);
    this.addDataEvents(props);
    this.addSecurityAlarms(props.alarms ? stackRelativeName(this, 64, '') : '');
  }

  /** Lets `grantee` list the log bucket and read (decrypt) the log and digest files. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee, 'AWSLogs/*');
  }

  /**
   * Key policy statements CloudTrail needs, each limited to this trail (aws:SourceArn):
   * data keys for log and digest files (also limited by CloudTrail's encryption context),
   * Decrypt for the S3 bucket key, and DescribeKey, which CloudTrail calls on create and update.
   */
  private allowCloudTrail(): void {
    const stack = Stack.of(this);
    const principal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const thisTrail = { 'aws:SourceArn': this.trailArn };
    const statements = [
      new iam.PolicyStatement({
        sid: `AllowCloudTrailEncrypt${this.node.addr.slice(0, 8)}`,
        principals: [principal],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: thisTrail,
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': stack.formatArn({ service: 'cloudtrail', region: '*', resource: 'trail', resourceName: '*' }) },
        },
      }),
      new iam.PolicyStatement({
        sid: `AllowCloudTrailBucketKey${this.node.addr.slice(0, 8)}`,
        principals: [principal],
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: thisTrail },
      }),
    ];
    const added = statements.map((s) => this.encryptionKey.addToResourcePolicy(s).statementAdded);
    if (added.includes(false)) {
      Annotations.of(this).addWarningV2('cloudvault:auditTrailKeyPolicy',
        `The policy of the imported key must let cloudtrail.amazonaws.com use kms:GenerateDataKey, kms:Decrypt and kms:DescribeKey for ${this.trailName}`);
    }
  }

  /** The bucket-policy statements CloudTrail's documentation asks for, limited to this trail. */
  private admitCloudTrailToBucket(): void {
    const principal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const bucket = this.bucket.bucket;
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSCloudTrailAclCheck',
      principals: [principal],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSCloudTrailWrite',
      principals: [principal],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${Stack.of(this).account}/*`)],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': this.trailArn } },
    }));
  }

  /** Data events in their own selectors, so their read/write type never filters management events. */
  private addDataEvents(props: AuditTrailProps): void {
    const options: cloudtrail.AddEventSelectorOptions = {
      readWriteType: props.dataEventsReadWriteType ?? cloudtrail.ReadWriteType.ALL,
      includeManagementEvents: false,
    };
    const buckets = props.s3DataEventBuckets ?? [];
    if (buckets.length > 0) this.trail.addS3EventSelector(buckets.map((bucket) => ({ bucket })), options);
    const functions = props.lambdaDataEventFunctions ?? [];
    if (functions.length > 0) this.trail.addLambdaEventSelector(functions, options);
  }

  private addSecurityAlarms(prefix: string): void {
    for (const f of SECURITY_FILTERS) {
      const filter = new logs.MetricFilter(this, `${f.id}Filter`, {
        logGroup: this.logGroup,
        filterPattern: logs.FilterPattern.literal(f.pattern),
        metricNamespace: METRIC_NAMESPACE,
        metricName: `${this.trailName}-${f.id}`,
        metricValue: '1',
      });
      this.alarms.addMetricAlarm(`${prefix}${f.id}`, {
        metric: filter.metric({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        description: `${this.trailName}: ${f.description}`,
      });
    }
  }
}

function validate(construct: IConstruct, props: AuditTrailProps): void {
  const v = new PropsValidator('AuditTrail', construct);
  const name = props.trailName;
  if (name !== undefined && !Token.isUnresolved(name)) {
    v.check(name.length >= 3 && name.length <= 128, 'trailName', name, '3-128 characters long');
    v.check(/^[A-Za-z0-9._-]+$/.test(name), 'trailName', name, 'made of letters, digits, ".", "_" and "-" only');
    v.check(/^[A-Za-z0-9].*[A-Za-z0-9]$/.test(name), 'trailName', name, 'starting and ending with a letter or digit');
    v.check(!/[._-]{2}/.test(name), 'trailName', name, 'free of adjacent ".", "_" or "-" (such as "my-_trail")');
    v.check(!/^\d{1,3}(\.\d{1,3}){3}$/.test(name), 'trailName', name, 'not formatted as an IP address');
  }
  v.range('objectLockRetentionDays', props.objectLockRetentionDays, 1, 36500);
  v.check(props.dataEventsReadWriteType !== cloudtrail.ReadWriteType.NONE, 'dataEventsReadWriteType', props.dataEventsReadWriteType,
    'READ_ONLY, WRITE_ONLY or ALL (leave out the buckets and functions to log no data events)');
  const dataResources = (props.s3DataEventBuckets?.length ?? 0) + (props.lambdaDataEventFunctions?.length ?? 0);
  v.check(dataResources <= MAX_DATA_RESOURCES, 's3DataEventBuckets + lambdaDataEventFunctions', dataResources,
    `at most ${MAX_DATA_RESOURCES} resources in total (the limit of a trail's event selectors)`);
}
