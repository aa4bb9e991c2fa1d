import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { EnvironmentConfig } from '../src';
import { SecureTable } from '../src/storage';

const app = new App();
// A TableV2 with a customer-managed key needs a concrete region (integ-runner passes one); the
// assertion stack shares it so that its calls can reference the table.
const env = { region: process.env.CDK_INTEG_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1' };
const stack = new Stack(app, 'CvIntegSecureTable', { env });
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const files = new SecureTable(stack, 'Files', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  pointInTimeRecoveryPeriodDays: 7,
  stream: true,
  timeToLiveAttribute: 'expiresAt',
  globalSecondaryIndexes: [{
    indexName: 'byOwner',
    partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  }],
});

const integ = new IntegTest(app, 'SecureTableIntegTest', {
  testCases: [stack],
  assertionStack: new Stack(app, 'CvIntegSecureTableAssertions', { env }),
});
const TableName = files.tableName;

// Point-in-time recovery is on, with the configured window.
integ.assertions.awsApiCall('DynamoDB', 'describeContinuousBackups', { TableName })
  .expect(ExpectedResult.objectLike({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: Match.objectLike({ PointInTimeRecoveryStatus: 'ENABLED', RecoveryPeriodInDays: 7 }),
    },
  }));

// Encrypted with the customer-managed key, on demand, with a stream and the keys-only index;
// dev turns deletion protection off so the run can tear the table down.
integ.assertions.awsApiCall('DynamoDB', 'describeTable', { TableName })
  .expect(ExpectedResult.objectLike({
    Table: Match.objectLike({
      SSEDescription: Match.objectLike({ Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: files.encryptionKey.keyArn }),
      BillingModeSummary: Match.objectLike({ BillingMode: 'PAY_PER_REQUEST' }),
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      DeletionProtectionEnabled: false,
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byOwner', Projection: { ProjectionType: 'KEYS_ONLY' } })],
    }),
  }));

integ.assertions.awsApiCall('DynamoDB', 'describeTimeToLive', { TableName })
  .expect(ExpectedResult.objectLike({ TimeToLiveDescription: { AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' } }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5) });

integ.assertions.awsApiCall('DynamoDB', 'describeContributorInsights', { TableName })
  .expect(ExpectedResult.objectLike({ ContributorInsightsStatus: 'ENABLED' }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5) });

// Encryption is transparent: an item written through the API reads back unchanged.
const item = { pk: { S: 'tenant-a#file-1' }, sk: { S: 'v1' }, owner: { S: 'alice' } };
const put = integ.assertions.awsApiCall('DynamoDB', 'putItem', { TableName, Item: item });
const get = integ.assertions.awsApiCall('DynamoDB', 'getItem', { TableName, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true });
get.expect(ExpectedResult.objectLike({ Item: item }));
put.next(get);
for (const call of [put, get]) {
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: [files.encryptionKey.keyArn] });
}

// The table's alarms exist and watch throttles and system errors.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNamePrefix: `${stack.stackName}-${files.alarms.alarmSetName}-` })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('SystemErrors$') }),
      Match.objectLike({ AlarmName: Match.stringLikeRegexp('Throttles$') }),
    ],
  }));

app.synth();
