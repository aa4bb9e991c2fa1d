import {
  Arn,
  ArnFormat,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ArnShape, KMS_KEY_ARN, REGION, checkArn } from './arns';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { acknowledge } from '../core/acknowledge';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';
import { SecureBucket, SecureBucketProps } from '../storage/secure-bucket';

/** Properties of a ReplicatedBucket: a SecureBucket's, plus where and how it replicates. */
export interface ReplicatedBucketProps extends SecureBucketProps {
  /**
   * ARN of the destination bucket in the secondary region (versioned, same account), e.g. a
   * SecureBucket of a stack in that region. With Object Lock on this bucket, the destination needs Object Lock too.
   */
  readonly destinationBucketArn: string;
  /**
   * ARN of the customer-managed key in the destination region that re-encrypts the replicas
   * (KMS keys are regional, so the source key cannot be used there).
   */
  readonly destinationKeyArn: string;
  /** Region of the destination bucket and key; must differ from the stack's region. */
  readonly destinationRegion: string;
  /**
   * Whether S3 Replication Time Control is on: 99.99% of objects replicated within 15 minutes,
   * backed by an SLA, at an extra charge per GB.
   * @default true
   */
  readonly replicationTimeControl?: boolean;
  /**
   * Whether delete markers are replicated. Off, a delete in this bucket leaves the object current
   * in the replica, which protects it from accidental or malicious deletes; on, the replica mirrors
   * deletes so that clients failing over see the same view. Permanent deletes of versions are never replicated.
   * @default false
   */
  readonly deleteMarkerReplication?: boolean;
  /**
   * Replication latency that raises the latency alarm (1-1440 minutes).
   * @default Duration.minutes(15), the S3 RTC threshold
   */
  readonly replicationLatencyThreshold?: Duration;
}

/** Id of the one replication rule; the RuleId dimension of the replication metrics. */
const RULE_ID = 'CrossRegion';

const BUCKET_ARN: ArnShape = {
  service: 's3',
  regional: false,
  resource: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  allowed: 'an S3 bucket ARN (arn:<partition>:s3:::<bucket>)',
};

/**
 * A SecureBucket that replicates every new object version to a bucket in a secondary region:
 * replicas re-encrypted with the destination region's customer-managed key, S3 Replication Time
 * Control (15 minutes) with replication metrics, a choice of delete-marker replication, a
 * least-privilege replication role, and alarms on replication latency and failed operations.
 *
 * Objects that exist before replication is configured are not replicated (use S3 Batch Replication).
 */
export class ReplicatedBucket extends Construct {
  /** The SecureBucket that replicates. */
  public readonly secureBucket: SecureBucket;
  /** The underlying source bucket. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the source bucket. */
  public readonly encryptionKey: kms.IKey;
  /** The role S3 assumes to replicate. */
  public readonly replicationRole: iam.Role;
  /** The alarm set that holds the bucket's and the replication's alarms. */
  public readonly alarms: AlarmSet;
  /** The destination bucket's ARN. */
  public readonly destinationBucketArn: string;

  constructor(scope: Construct, id: string, props: ReplicatedBucketProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('ReplicatedBucket', this);
    args.required('props', props, 'object', 'ReplicatedBucketProps (an object)');
    args.required('destinationBucketArn', props.destinationBucketArn, 'string', 'an S3 bucket ARN');
    args.required('destinationKeyArn', props.destinationKeyArn, 'string', 'a KMS key ARN');
    args.required('destinationRegion', props.destinationRegion, 'string', 'an AWS region');
    validate(this, props);
    const stack = Stack.of(this);

    this.alarms = alarmSetFor(this, props.alarms);
    // Versioning, which replication needs on both buckets, is always on in a SecureBucket.
    this.secureBucket = new SecureBucket(this, 'Secure', { ...props, alarms: this.alarms });
    this.bucket = this.secureBucket.bucket;
    this.encryptionKey = this.secureBucket.encryptionKey;
    this.destinationBucketArn = props.destinationBucketArn;

    const role = new ManagedPolicyRole(this, 'ReplicationRole', {
      // aws:SourceArn would name this bucket, whose replication configuration names the role: a cycle.
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `S3 replication of ${this.node.path} to ${props.destinationRegion}`,
    });
    this.replicationRole = role;
    this.grantReplication(role, props);

    const rtc = props.replicationTimeControl ?? true;
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.replicationConfiguration = {
      role: role.roleArn,
      rules: [{
        id: RULE_ID,
        status: 'Enabled',
        priority: 0,
        filter: { prefix: '' },
        deleteMarkerReplication: { status: props.deleteMarkerReplication ? 'Enabled' : 'Disabled' },
        // Without this, S3 skips every SSE-KMS object, i.e. all objects of this bucket.
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        destination: {
          bucket: props.destinationBucketArn,
          encryptionConfiguration: { replicaKmsKeyId: props.destinationKeyArn },
          replicationTime: rtc ? { status: 'Enabled', time: { minutes: 15 } } : undefined,
          metrics: rtc ? { status: 'Enabled', eventThreshold: { minutes: 15 } } : { status: 'Enabled' },
        },
      }],
    };

    const prefix = props.alarms ? stackRelativeName(this, 64, '') : '';
    const latency = props.replicationLatencyThreshold ?? Duration.minutes(15);
    this.alarms.addMetricAlarm(`${prefix}ReplicationLatency`, {
      metric: this.metricReplication('ReplicationLatency', 'Maximum'),
      threshold: latency.toSeconds(),
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: replication to ${props.destinationRegion} lags more than ${latency.toMinutes()} minutes`,
    });
    this.alarms.addMetricAlarm(`${prefix}ReplicationFailures`, {
      metric: this.metricReplication('OperationsFailedReplication', 'Sum'),
      threshold: 1,
      description: `${this.node.path}: objects failed to replicate to ${props.destinationRegion}`,
    });
  }

  /** The source bucket's name. */
  public get bucketName(): string {
    return this.bucket.bucketName;
  }

  /** The source bucket's ARN. */
  public get bucketArn(): string {
    return this.bucket.bucketArn;
  }

  /** A replication metric of this bucket's rule (needs replication metrics, which are always on). */
  public metricReplication(metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName,
      dimensionsMap: {
        SourceBucket: this.bucket.bucketName,
        DestinationBucket: Arn.split(this.destinationBucketArn, ArnFormat.NO_RESOURCE_NAME).resource,
        RuleId: RULE_ID,
      },
      statistic,
      period: Duration.minutes(5),
    });
  }

  /** See SecureBucket.grantRead. */
  public grantRead(grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.secureBucket.grantRead(grantee, objectsKeyPattern);
  }

  /** See SecureBucket.grantWrite. */
  public grantWrite(grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.secureBucket.grantWrite(grantee, objectsKeyPattern);
  }

  /** See SecureBucket.grantReadWrite. */
  public grantReadWrite(grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.secureBucket.grantReadWrite(grantee, objectsKeyPattern);
  }

  /** See SecureBucket.grantPut. */
  public grantPut(grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.secureBucket.grantPut(grantee, objectsKeyPattern);
  }

  /** See SecureBucket.grantDelete. */
  public grantDelete(grantee: iam.IGrantable, objectsKeyPattern: string = '*'): iam.Grant {
    return this.secureBucket.grantDelete(grantee, objectsKeyPattern);
  }

  /**
   * The permissions S3 replication documents for SSE-KMS buckets, with explicit actions: read
   * this bucket's configuration and object versions, decrypt them with the source key, encrypt
   * replicas with the destination key (each key only through S3 in its region and for its own
   * bucket), and write replicas, delete markers and tags into the destination bucket.
   */
  private grantReplication(role: ManagedPolicyRole, props: ReplicatedBucketProps): void {
    const stack = Stack.of(this);
    const destination = props.destinationBucketArn;
    const readActions = ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'];
    if (props.objectLock) readActions.push('s3:GetObjectRetention', 's3:GetObjectLegalHold');
    role.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadReplicationConfiguration',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
      new iam.PolicyStatement({ sid: 'ReadSourceVersions', actions: readActions, resources: [this.bucket.arnForObjects('*')] }),
      new iam.PolicyStatement({
        sid: 'WriteReplicas',
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [`${destination}/*`],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptSource',
        actions: ['kms:Decrypt'],
        resources: [this.encryptionKey.keyArn],
        conditions: viaS3(stack.region, this.bucket.bucketArn),
      }),
      new iam.PolicyStatement({
        sid: 'EncryptReplicas',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.destinationKeyArn],
        conditions: viaS3(props.destinationRegion, destination),
      }),
    );
    const sourceId = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket));
    acknowledge(role.policy, [
      `AwsSolutions-IAM5[Resource::<${sourceId}.Arn>/*]`,
      `AwsSolutions-IAM5[Resource::${nagResource(stack.resolve(`${destination}/*`))}]`,
    ], 'Replication copies every object version of the source bucket to the destination bucket, so its object-level ' +
      'actions name all objects of these two buckets; the actions are the replication ones only (no delete of versions).');
  }
}

/**
 * Limits a key to S3 in `region` and to objects of `bucketArn`: with an S3 Bucket Key the
 * encryption context is the bucket ARN, without one the object ARN.
 */
function viaS3(region: string, bucketArn: string): Record<string, unknown> {
  return {
    StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
    StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/*`] },
  };
}

/** A resolved ARN as cdk-nag renders it in finding ids (`<Logical.Arn>`, `<AWS::Partition>`). */
function nagResource(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  const obj = resolved as Record<string, any>;
  if (obj?.Ref !== undefined) return `<${obj.Ref}>`;
  if (obj?.['Fn::GetAtt'] !== undefined) return `<${obj['Fn::GetAtt'][0]}.${obj['Fn::GetAtt'][1]}>`;
  if (obj?.['Fn::Join'] !== undefined) return (obj['Fn::Join'][1] as unknown[]).map(nagResource).join(obj['Fn::Join'][0]);
  return JSON.stringify(resolved);
}

function validate(scope: Construct, props: ReplicatedBucketProps): void {
  const v = new PropsValidator('ReplicatedBucket', scope);
  const stackRegion = Stack.of(scope).region;
  v.matches('destinationRegion', props.destinationRegion, REGION, 'an AWS region name such as "eu-central-1"');
  if (!Token.isUnresolved(props.destinationRegion) && !Token.isUnresolved(stackRegion)) {
    v.check(props.destinationRegion !== stackRegion, 'destinationRegion', props.destinationRegion,
      `another region than the stack's own (${stackRegion}): a replica in the same region does not survive a regional outage`);
  }
  checkArn(v, 'destinationBucketArn', props.destinationBucketArn, BUCKET_ARN);
  const keyRegion = checkArn(v, 'destinationKeyArn', props.destinationKeyArn, KMS_KEY_ARN);
  if (keyRegion !== undefined && !Token.isUnresolved(props.destinationRegion)) {
    v.check(keyRegion === props.destinationRegion, 'destinationKeyArn', props.destinationKeyArn,
      `a key in destinationRegion (${props.destinationRegion}): S3 encrypts replicas with a key of the destination's region`);
  }
  v.durationRange('replicationLatencyThreshold', props.replicationLatencyThreshold, 60, 1440 * 60);
}
