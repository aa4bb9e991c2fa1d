import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aws, Duration, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig, BucketEventRule } from '../src';
import { SecureBucket } from '../src/storage';

const app = new App();
const stack = new Stack(app, 'CvIntegBucketEventRule');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const uploads = new SecureBucket(stack, 'Uploads', { eventBridgeEnabled: true });
// Logs the key of each object it is told about.
const importer = new EnhancedLambdaFunction(stack, 'Importer', {
  code: lambda.Code.fromInline('exports.handler = async (event) => { console.log(JSON.stringify({ importedKey: event.detail.object.key })); return {}; };'),
  serviceName: 'importer',
});
const csvImports = new BucketEventRule(stack, 'CsvImports', { bucket: uploads.bucket, handler: importer, prefix: 'incoming/', suffix: '.csv' });

const integ = new IntegTest(app, 'BucketEventRuleIntegTest', { testCases: [stack] });
const Bucket = uploads.bucketName;
const keyArn = uploads.encryptionKey.keyArn;

// The deployed rule targets the function's invocationTarget, with a retry policy and the encrypted DLQ.
integ.assertions.awsApiCall('EventBridge', 'listTargetsByRule', { Rule: csvImports.rule.ruleName })
  .expect(ExpectedResult.objectLike({
    Targets: [Match.objectLike({
      Arn: importer.invocationTarget.functionArn,
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: csvImports.deadLetterQueue.queueArn },
    })],
  }));
integ.assertions.awsApiCall('SQS', 'getQueueAttributes', { QueueUrl: csvImports.deadLetterQueue.queueUrl, AttributeNames: ['KmsMasterKeyId'] })
  .expect(ExpectedResult.objectLike({ Attributes: { KmsMasterKeyId: importer.encryptionKey.keyArn } }));

// The deployed pattern matches created objects under incoming/ ending in .csv, and nothing else.
const pattern = integ.assertions.awsApiCall('EventBridge', 'describeRule', { Name: csvImports.rule.ruleName }).getAttString('EventPattern');
const s3Event = (detailType: string, key: string) => JSON.stringify({
  'id': '7bf73129-1428-4cd3-a780-95db273d1602',
  'source': 'aws.s3',
  'detail-type': detailType,
  'account': Aws.ACCOUNT_ID,
  'region': Aws.REGION,
  'time': '2025-01-01T00:00:00Z',
  'resources': [],
  'detail': { bucket: { name: Bucket }, object: { key } },
});
const cases: Array<[string, string, boolean]> = [
  ['Object Created', 'incoming/2025/01/report.csv', true],
  ['Object Created', 'incoming/notes.txt', false],
  ['Object Created', 'archive/report.csv', false],
  ['Object Deleted', 'incoming/report.csv', false],
];
for (const [detailType, key, matches] of cases) {
  integ.assertions.awsApiCall('EventBridge', 'testEventPattern', { EventPattern: pattern, Event: s3Event(detailType, key) })
    .expect(ExpectedResult.objectLike({ Result: matches }));
}

// End to end: uploading a matching object invokes the function through the rule.
const put = integ.assertions.awsApiCall('S3', 'putObject', { Bucket, Key: 'incoming/integ-report.csv', Body: 'id,name\n1,integ\n' });
put.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [keyArn] });
const invoked = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: importer.logGroup.logGroupName,
  filterPattern: '"incoming/integ-report.csv"',
});
invoked.expect(ExpectedResult.objectLike({ events: Match.arrayWith([Match.objectLike({ message: Match.stringLikeRegexp('importedKey') })]) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(20) });
put.next(invoked);

app.synth();
