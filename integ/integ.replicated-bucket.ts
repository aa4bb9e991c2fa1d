import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aws, Duration, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig, ReplicatedBucket } from '../src';
import { SecureBucket } from '../src/storage';

const app = new App();
// Replication must cross regions, which the construct checks: two fixed regions. The replica's
// key ARN is only known after deployment, so the stacks pass it by a cross-region reference.
const PRIMARY = { region: 'eu-west-1' };
const SECONDARY = { region: 'eu-central-1' };

// The destination: a SecureBucket (versioned, SSE-KMS with its region's key) in the secondary
// region, named after the account so that the source stack knows its ARN.
const replicaStack = new Stack(app, 'CvIntegReplicatedBucketReplica', { env: SECONDARY, crossRegionReferences: true });
EnvironmentConfig.dev().applyTo(replicaStack); // integ stacks are torn down after the run
const replicaName = `cv-integ-replica-${Aws.ACCOUNT_ID}`;
const replica = new SecureBucket(replicaStack, 'Replica', { bucketName: replicaName });

const stack = new Stack(app, 'CvIntegReplicatedBucket', { env: PRIMARY, crossRegionReferences: true });
EnvironmentConfig.dev().applyTo(stack);
const blobs = new ReplicatedBucket(stack, 'Blobs', {
  destinationBucketArn: `arn:${Aws.PARTITION}:s3:::${replicaName}`,
  destinationKeyArn: replica.encryptionKey.keyArn,
  destinationRegion: SECONDARY.region,
  deleteMarkerReplication: true,
});

const integ = new IntegTest(app, 'ReplicatedBucketIntegTest', {
  testCases: [replicaStack, stack],
  assertionStack: new Stack(app, 'CvIntegReplicatedBucketAssertions', { env: PRIMARY }),
});
const Bucket = blobs.bucketName;

// One enabled rule: all SSE-KMS objects, re-encrypted with the replica's key, RTC and metrics.
integ.assertions.awsApiCall('S3', 'getBucketReplication', { Bucket })
  .expect(ExpectedResult.objectLike({
    ReplicationConfiguration: {
      Role: blobs.replicationRole.roleArn,
      Rules: [Match.objectLike({
        ID: 'CrossRegion',
        Status: 'Enabled',
        DeleteMarkerReplication: { Status: 'Enabled' },
        SourceSelectionCriteria: Match.objectLike({ SseKmsEncryptedObjects: { Status: 'Enabled' } }),
        Destination: Match.objectLike({
          Bucket: Match.stringLikeRegexp(':s3:::cv-integ-replica-'),
          EncryptionConfiguration: { ReplicaKmsKeyID: Match.stringLikeRegexp(':kms:eu-central-1:') },
          ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
          Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
        }),
      })],
    },
  }));

// An object written to the source replicates: S3 reports COMPLETED on the source object within
// the 15 minutes of Replication Time Control (the first replication after setup may take longer).
const put = integ.assertions.awsApiCall('S3', 'putObject', { Bucket, Key: 'integ/replicated.txt', Body: 'hello' });
const head = integ.assertions.awsApiCall('S3', 'headObject', { Bucket, Key: 'integ/replicated.txt' });
head.expect(ExpectedResult.objectLike({ ReplicationStatus: 'COMPLETED', ServerSideEncryption: 'aws:kms' }))
  .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1) });
put.next(head);
for (const call of [put, head]) {
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [blobs.encryptionKey.keyArn] });
}

// Latency and failed-operation alarms watch the rule, next to the bucket's 5xx alarm.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${blobs.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: Match.arrayWith([
      Match.objectLike({ Namespace: 'AWS/S3', MetricName: 'ReplicationLatency', Threshold: 900 }),
      Match.objectLike({ Namespace: 'AWS/S3', MetricName: 'OperationsFailedReplication' }),
    ]),
  }));

app.synth();
