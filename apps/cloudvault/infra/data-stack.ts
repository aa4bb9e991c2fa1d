import { Stack, StackProps, aws_dynamodb as dynamodb, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from './table-schema';
import { AlarmSet, ReplicatedBucket, EncryptionKeys, SecureBucket, SecureBucketLifecycle, SecureTable } from '../../../src';

/** Where the files bucket replicates to: a bucket and its key in the secondary region. */
export interface CloudVaultReplicationDestination {
  /** ARN of the destination bucket (versioned). */
  readonly bucketArn: string;
  /** ARN of the KMS key that encrypts the destination bucket. */
  readonly keyArn: string;
  /** Region of the destination bucket. */
  readonly region: string;
}

/** Properties of the CloudVault data stack. */
export interface CloudVaultDataStackProps extends StackProps {
  /** The app's keys (data for the table, storage for the bucket). */
  readonly keys: EncryptionKeys;
  /** The one alarm topic of the app. */
  readonly alarmTopic: sns.ITopic;
  /** Cross-region replication of the files bucket; without it the bucket is a plain SecureBucket. */
  readonly replication?: CloudVaultReplicationDestination;
}

// Files move to cheaper tiers as they age; versions are kept for restores, stale uploads aborted.
const FILES_LIFECYCLE: SecureBucketLifecycle = {
  intelligentTieringAfterDays: 30,
  glacierAfterDays: 180,
  expirationEnabled: false,
  noncurrentVersionExpirationDays: 90,
  abortIncompleteMultipartUploadDays: 1,
};

/** The stateful core: tenant files and the single table. Retained and deletion-protected in prod. */
export class CloudVaultDataStack extends Stack {
  public readonly table: SecureTable;
  /** The files bucket (inside the ReplicatedBucket when replication is configured). */
  public readonly files: SecureBucket;
  public readonly replicatedFiles?: ReplicatedBucket;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: CloudVaultDataStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });

    // Single table: tenant-scoped keys; GSIs for user-by-email, folder hierarchy, file search, share links.
    const attribute = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new SecureTable(this, 'Table', {
      partitionKey: attribute(TABLE_SCHEMA.partitionKey),
      sortKey: attribute(TABLE_SCHEMA.sortKey),
      encryptionKey: props.keys.data,
      stream: true,
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      globalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((gsi) => ({
        indexName: gsi.indexName,
        partitionKey: attribute(gsi.partitionKey),
        sortKey: gsi.sortKey ? attribute(gsi.sortKey) : undefined,
      })),
      alarms: this.alarms,
    });

    const bucketProps = { encryptionKey: props.keys.storage, eventBridgeEnabled: true, lifecycle: FILES_LIFECYCLE, alarms: this.alarms };
    if (props.replication) {
      this.replicatedFiles = new ReplicatedBucket(this, 'Files', {
        ...bucketProps,
        destinationBucketArn: props.replication.bucketArn,
        destinationKeyArn: props.replication.keyArn,
        destinationRegion: props.replication.region,
      });
      this.files = this.replicatedFiles.secureBucket;
    } else {
      this.files = new SecureBucket(this, 'Files', bucketProps);
    }
  }
}
