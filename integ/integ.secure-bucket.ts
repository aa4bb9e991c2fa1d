import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../src';
import { SecureBucket } from '../src/storage';

const app = new App();
const stack = new Stack(app, 'CvIntegSecureBucket');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Object Lock is left out: locked versions outlive the run, so such a bucket is always retained.
const blobs = new SecureBucket(stack, 'Blobs', { eventBridgeEnabled: true });

const integ = new IntegTest(app, 'SecureBucketIntegTest', { testCases: [stack] });
const Bucket = blobs.bucketName;
const LogBucket = blobs.accessLogsBucket.bucketName;
const keyArn = blobs.encryptionKey.keyArn;

// SSE-KMS with the customer-managed key and an S3 bucket key.
const encryption = integ.assertions.awsApiCall('S3', 'getBucketEncryption', { Bucket });
// The assertion provider derives IAM actions from API names; these three S3 actions are named differently.
encryption.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['s3:GetEncryptionConfiguration', 's3:GetBucketPublicAccessBlock', 's3:GetLifecycleConfiguration'],
  Resource: ['*'],
});
encryption
  .expect(ExpectedResult.objectLike({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }],
    },
  }));

const blockAll = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
for (const bucket of [Bucket, LogBucket]) {
  // Both buckets: all public access blocked, ACLs disabled, versioned.
  integ.assertions.awsApiCall('S3', 'getPublicAccessBlock', { Bucket: bucket })
    .expect(ExpectedResult.objectLike({ PublicAccessBlockConfiguration: blockAll }));
  integ.assertions.awsApiCall('S3', 'getBucketOwnershipControls', { Bucket: bucket })
    .expect(ExpectedResult.objectLike({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }));
  integ.assertions.awsApiCall('S3', 'getBucketVersioning', { Bucket: bucket })
    .expect(ExpectedResult.objectLike({ Status: 'Enabled' }));
  // Both bucket policies deny plain HTTP and TLS below 1.2.
  integ.assertions.awsApiCall('S3', 'getBucketPolicy', { Bucket: bucket })
    .expect(ExpectedResult.objectLike({
      Policy: Match.serializedJson(Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          // S3 may return the 1.2 of the TLS condition as a number or a string.
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: Match.objectLike({}) } }),
        ]),
      })),
    }));
}

// Server access logs go to the log bucket, which uses SSE-S3 (what log delivery supports).
integ.assertions.awsApiCall('S3', 'getBucketLogging', { Bucket })
  .expect(ExpectedResult.objectLike({
    LoggingEnabled: Match.objectLike({
      TargetBucket: LogBucket,
      TargetPrefix: 'access-logs/',
      TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
    }),
  }));
integ.assertions.awsApiCall('S3', 'getBucketEncryption', { Bucket: LogBucket })
  .expect(ExpectedResult.objectLike({
    ServerSideEncryptionConfiguration: { Rules: [Match.objectLike({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } })] },
  }));

// The default lifecycle: Intelligent-Tiering, Glacier Instant Retrieval, expiry and cleanup.
integ.assertions.awsApiCall('S3', 'getBucketLifecycleConfiguration', { Bucket })
  .expect(ExpectedResult.objectLike({
    Rules: [Match.objectLike({
      ID: 'Default',
      Status: 'Enabled',
      Transitions: [{ Days: 0, StorageClass: 'INTELLIGENT_TIERING' }, { Days: 90, StorageClass: 'GLACIER_IR' }],
      Expiration: { Days: 365 },
      NoncurrentVersionExpiration: Match.objectLike({ NoncurrentDays: 30 }),
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    })],
  }));

// Request metrics feed the 5xx alarm; EventBridge receives the bucket's events.
integ.assertions.awsApiCall('S3', 'getBucketMetricsConfiguration', { Bucket, Id: 'EntireBucket' })
  .expect(ExpectedResult.objectLike({ MetricsConfiguration: { Id: 'EntireBucket' } }));
integ.assertions.awsApiCall('S3', 'getBucketNotificationConfiguration', { Bucket })
  .expect(ExpectedResult.objectLike({ EventBridgeConfiguration: {} }));
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${blobs.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [Match.objectLike({ Namespace: 'AWS/S3', MetricName: '5xxErrors' })],
  }));

// An object written without encryption headers is stored SSE-KMS under the bucket's key.
const put = integ.assertions.awsApiCall('S3', 'putObject', { Bucket, Key: 'integ/hello.txt', Body: 'hello' });
const head = integ.assertions.awsApiCall('S3', 'headObject', { Bucket, Key: 'integ/hello.txt' });
head.expect(ExpectedResult.objectLike({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn, BucketKeyEnabled: true }));
put.next(head);
for (const call of [put, head]) {
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [keyArn] });
}

app.synth();
