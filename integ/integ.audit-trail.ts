import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_cloudtrail as cloudtrail } from 'aws-cdk-lib';
import { EnvironmentConfig, AuditTrail } from '../src';
import { SecureBucket } from '../src/storage/secure-bucket';

const app = new App();
const stack = new Stack(app, 'CvIntegAuditTrail');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// The dev profile locks log files for 1 day; the Object Lock bucket itself is always retained
// (locked versions cannot be deleted), so empty and delete it by hand after that day.
const data = new SecureBucket(stack, 'Data');
const audit = new AuditTrail(stack, 'Audit', {
  s3DataEventBuckets: [data.bucket],
  dataEventsReadWriteType: cloudtrail.ReadWriteType.WRITE_ONLY,
});

const integ = new IntegTest(app, 'AuditTrailIntegTest', { testCases: [stack] });
const keyArn = audit.encryptionKey.keyArn;

// The trail is logging, multi-region with global service events, validated, KMS-encrypted,
// and delivers to the Object Lock bucket and the log group.
integ.assertions.awsApiCall('CloudTrail', 'getTrailStatus', { Name: audit.trailArn })
  .expect(ExpectedResult.objectLike({ IsLogging: true }));
integ.assertions.awsApiCall('CloudTrail', 'describeTrails', { trailNameList: [audit.trailArn] })
  .expect(ExpectedResult.objectLike({
    trailList: [Match.objectLike({
      Name: audit.trailName,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      LogFileValidationEnabled: true,
      KmsKeyId: keyArn,
      S3BucketName: audit.bucket.bucketName,
      CloudWatchLogsLogGroupArn: audit.logGroup.logGroupArn,
      CloudWatchLogsRoleArn: audit.logsRole.roleArn,
    })],
  }));

// All management events, and write data events of the data bucket in a selector of their own.
integ.assertions.awsApiCall('CloudTrail', 'getEventSelectors', { TrailName: audit.trailArn })
  .expect(ExpectedResult.objectLike({
    EventSelectors: [
      Match.objectLike({ ReadWriteType: 'All', IncludeManagementEvents: true }),
      Match.objectLike({
        ReadWriteType: 'WriteOnly',
        IncludeManagementEvents: false,
        DataResources: [{ Type: 'AWS::S3::Object', Values: [`${data.bucketArn}/`] }],
      }),
    ],
  }));

// Log files are locked (WORM) and encrypted with the customer-managed key.
const lock = integ.assertions.awsApiCall('S3', 'getObjectLockConfiguration', { Bucket: audit.bucket.bucketName });
lock.expect(ExpectedResult.objectLike({
  ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
}));
// The API is GetObjectLockConfiguration, the IAM action s3:GetBucketObjectLockConfiguration.
lock.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetBucketObjectLockConfiguration'], Resource: [audit.bucket.bucketArn] });
const encryption = integ.assertions.awsApiCall('S3', 'getBucketEncryption', { Bucket: audit.bucket.bucketName });
encryption.expect(ExpectedResult.objectLike({
  ServerSideEncryptionConfiguration: {
    Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }],
  },
}));
// Likewise GetBucketEncryption is authorized by s3:GetEncryptionConfiguration.
encryption.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetEncryptionConfiguration'], Resource: [audit.bucket.bucketArn] });

// The log group is encrypted and feeds the three CIS metric filters.
integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: audit.logGroup.logGroupName })
  .expect(ExpectedResult.objectLike({ logGroups: [Match.objectLike({ kmsKeyId: keyArn, retentionInDays: 30 })] }));
integ.assertions.awsApiCall('CloudWatchLogs', 'describeMetricFilters', { logGroupName: audit.logGroup.logGroupName })
  .expect(ExpectedResult.objectLike({
    metricFilters: Match.arrayWith(['RootAccountUsage', 'TrailConfigurationChanges', 'UnauthorizedApiCalls'].map((id) => Match.objectLike({
      metricTransformations: [Match.objectLike({ metricNamespace: 'CloudVault/AuditTrail', metricName: `${audit.trailName}-${id}` })],
    }))),
  }));

app.synth();
