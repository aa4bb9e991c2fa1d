import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig, WorkQueue } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegWorkQueue');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Reports every message whose JSON body says `"poison": true` as failed (partial batch response)
// and processes the rest. A body that is not the raw JSON (an SNS envelope) would not be recognised.
const consumer = new EnhancedLambdaFunction(stack, 'Worker', {
  code: lambda.Code.fromInline([
    'exports.handler = async (event) => ({',
    '  batchItemFailures: event.Records',
    '    .filter((r) => { try { return JSON.parse(r.body).poison === true; } catch { return true; } })',
    '    .map((r) => ({ itemIdentifier: r.messageId })),',
    '});',
  ].join('\n')),
  timeout: Duration.seconds(10),
  serviceName: 'worker',
});

const work = new WorkQueue(stack, 'Jobs', {
  handler: consumer,
  maxReceiveCount: 1, // the poison message reaches the DLQ after its first failed receive
  maxBatchingWindow: Duration.seconds(5),
  fanOutTopic: true,
});

const integ = new IntegTest(app, 'WorkQueueIntegTest', { testCases: [stack] });
const keyArn = work.encryptionKey.keyArn;

// Queue and DLQ are encrypted with the customer-managed key; the queue redrives to the DLQ after
// one receive and its visibility timeout is 6 x 10 s + the 5 s batching window.
integ.assertions.awsApiCall('SQS', 'getQueueAttributes', { QueueUrl: work.queue.queueUrl, AttributeNames: ['All'] })
  .expect(ExpectedResult.objectLike({
    Attributes: Match.objectLike({
      KmsMasterKeyId: keyArn,
      VisibilityTimeout: '65',
      RedrivePolicy: Match.serializedJson({ deadLetterTargetArn: work.deadLetterQueue.queueArn, maxReceiveCount: 1 }),
    }),
  }));
integ.assertions.awsApiCall('SQS', 'getQueueAttributes', { QueueUrl: work.deadLetterQueue.queueUrl, AttributeNames: ['KmsMasterKeyId'] })
  .expect(ExpectedResult.objectLike({ Attributes: { KmsMasterKeyId: keyArn } }));

// The function consumes the queue with partial batch responses.
integ.assertions.awsApiCall('Lambda', 'listEventSourceMappings', { FunctionName: consumer.invocationTarget.functionArn })
  .expect(ExpectedResult.objectLike({
    EventSourceMappings: [Match.objectLike({
      EventSourceArn: work.queue.queueArn,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      State: 'Enabled',
    })],
  }));

// The fan-out topic is encrypted and delivers raw messages to the queue.
integ.assertions.awsApiCall('SNS', 'getTopicAttributes', { TopicArn: work.topic!.topicArn })
  .expect(ExpectedResult.objectLike({ Attributes: Match.objectLike({ KmsMasterKeyId: keyArn }) }));

// End to end: a good and a poison message published to the topic. Only the poison one ends in
// the DLQ, which needs raw delivery (the consumer reads the JSON body) and partial batch
// responses (otherwise the returned failures would be ignored and both messages deleted).
const publish = (body: object) => {
  const call = integ.assertions.awsApiCall('SNS', 'publish', { TopicArn: work.topic!.topicArn, Message: JSON.stringify(body) });
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: [keyArn] });
  call.expect(ExpectedResult.objectLike({ MessageId: Match.stringLikeRegexp('.+') }));
  return call;
};
const deadLetters = integ.assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: work.deadLetterQueue.queueUrl,
  AttributeNames: ['ApproximateNumberOfMessages'],
});
deadLetters.expect(ExpectedResult.objectLike({ Attributes: { ApproximateNumberOfMessages: '1' } }))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(20) });
publish({ fileId: 'file-1' }).next(publish({ fileId: 'file-2', poison: true })).next(deadLetters);

app.synth();
