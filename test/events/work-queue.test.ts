import { Duration, Stack, aws_iam as iam, aws_lambda as lambda } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet, EnvironmentConfig } from '../../src';
import { EnhancedLambdaFunction } from '../../src/compute';
import { ManagedPolicyRole } from '../../src/compute/managed-policy-role';
import { WorkQueue, WorkQueueProps } from '../../src/events';
import { expectNagClean, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const code = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })');

function logicalId(stack: Stack, construct: { node: { defaultChild?: any } }): string {
  return stack.resolve(construct.node.defaultChild.logicalId);
}

describe('WorkQueue with default props', () => {
  let stack: Stack;
  let work: WorkQueue;
  let consumer: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    consumer = new EnhancedLambdaFunction(stack, 'Indexer', { code }); // 30 s timeout
    work = new WorkQueue(stack, 'Work', { handler: consumer });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('encrypts both queues with the consumer\'s CMK and retains them in prod', () => {
    const key = { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] };
    template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ KmsMasterKeyId: key, MessageRetentionPeriod: 345600 }),
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ KmsMasterKeyId: key, MessageRetentionPeriod: 1209600, RedrivePolicy: Match.absent() }),
      DeletionPolicy: 'Retain',
    });
    expect(work.encryptionKey).toBe(consumer.encryptionKey);
  });

  test('moves a message to the DLQ after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, work.deadLetterQueue), 'Arn'] } },
    });
  });

  test('derives the visibility timeout as 6 x the consumer timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 180, RedrivePolicy: Match.anyValue() });
  });

  test('both queues deny requests without TLS', () => {
    for (const queue of [work.queue, work.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(stack, queue) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  test('maps the queue to the function (its invocationTarget) with partial batch responses', () => {
    template.hasResource('AWS::Lambda::EventSourceMapping', {
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, work.queue), 'Arn'] },
        FunctionName: { Ref: logicalId(stack, consumer.function) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds: Match.absent(),
      },
      // Lambda checks the consumer's permissions when it creates the mapping.
      DependsOn: [logicalId(stack, consumer.policy)],
    });
  });

  test('lets the consumer receive and delete, with no wildcard action', () => {
    const doc = template.toJSON().Resources[logicalId(stack, consumer.policy)].Properties.PolicyDocument;
    const onQueue = doc.Statement.find((s: any) => JSON.stringify(s.Resource).includes(logicalId(stack, work.queue)));
    expect(onQueue.Action).toEqual(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']);
    const actions = doc.Statement.flatMap((s: any) => [].concat(s.Action));
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('alarms on DLQ depth >= 1 and an oldest message older than 5 minutes, in the consumer\'s AlarmSet', () => {
    expect(work.alarms).toBe(consumer.alarms);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, work.deadLetterQueue), 'QueueName'] } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
      EvaluationPeriods: 3,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, work.queue), 'QueueName'] } }],
    });
    expect(consumer.alarms.alarms.map((a) => a.node.id)).toEqual(expect.arrayContaining(['WorkDeadLettersDepth', 'WorkOldestMessageAge']));
  });

  test('has no topic unless asked', () => {
    expect(work.topic).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('WorkQueue with a fan-out topic and a rich configuration', () => {
  let stack: Stack;
  let work: WorkQueue;
  let template: Template;
  let alarms: AlarmSet;
  let operator: ManagedPolicyRole;
  let producer: ManagedPolicyRole;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const consumer = new EnhancedLambdaFunction(stack, 'Thumbnails', { code, timeout: Duration.minutes(2), reservedConcurrentExecutions: 20 });
    const key = testKey(stack, 'QueueKey', { enableKeyRotation: true });
    alarms = new AlarmSet(stack, 'Ops');
    work = new WorkQueue(stack, 'Jobs', {
      handler: consumer,
      maxReceiveCount: 3,
      retentionPeriod: Duration.days(7),
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(20),
      maxConcurrency: 10,
      fanOutTopic: true,
      encryptionKey: key,
      maxMessageAge: Duration.minutes(30),
      alarms,
    });
    operator = new ManagedPolicyRole(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    work.grantRedrive(operator);
    producer = new ManagedPolicyRole(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    work.grantPublish(producer);
    work.grantSendMessages(producer);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('applies maxReceiveCount, retention and the derived visibility timeout (6 x 120 s + 20 s window)', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
      MessageRetentionPeriod: 604800,
      VisibilityTimeout: 740,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueueKey'), 'Arn'] },
    });
  });

  test('configures batching, the batching window, max concurrency and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('fans out through an encrypted, TLS-only topic with raw delivery and the DLQ as redrive target', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueueKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResource('AWS::SNS::Subscription', {
      Properties: {
        Protocol: 'sqs',
        TopicArn: { Ref: logicalId(stack, work.topic!) },
        Endpoint: { 'Fn::GetAtt': [logicalId(stack, work.queue), 'Arn'] },
        RawMessageDelivery: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, work.deadLetterQueue), 'Arn'] } },
      },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^JobsQueuePolicy')]),
    });
  });

  test('lets only this topic send to the queues and use the key', () => {
    const topicName = template.toJSON().Resources[logicalId(stack, work.topic!)].Properties.TopicName;
    expect(topicName).toMatch(/^Test-Jobs-[0-9A-F]{8}$/);
    const topicArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sns:eu-west-1:123456789012:${topicName}`]] };
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack, work.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        })]),
      },
    });
  });

  test('grantRedrive allows the message move task on the DLQ and sending to the queue, nothing more', () => {
    const statements = template.toJSON().Resources[logicalId(stack, operator.policy)].Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, work.deadLetterQueue), 'Arn'] },
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: { 'Fn::GetAtt': [logicalId(stack, work.queue), 'Arn'] } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^QueueKey/), 'Arn'] } },
    ]);
  });

  test('grantPublish and grantSendMessages use explicit actions', () => {
    const statements = template.toJSON().Resources[logicalId(stack, producer.policy)].Properties.PolicyDocument.Statement;
    const actions = statements.flatMap((s: any) => [].concat(s.Action));
    expect(new Set(actions)).toEqual(new Set(['sns:Publish', 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'kms:GenerateDataKey', 'kms:Decrypt']));
  });

  test('puts the alarms in the given AlarmSet with the given age threshold', () => {
    expect(alarms.alarms.map((a) => a.node.id)).toEqual(['JobsDeadLettersDepth', 'JobsOldestMessageAge']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 1800 });
  });

  test('is destroyed with the stack in dev', () => {
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ RedrivePolicy: Match.anyValue() }) });
  });
});

describe('WorkQueue validation', () => {
  const stack = testStack();
  const consumer = new EnhancedLambdaFunction(stack, 'Fn', { code, timeout: Duration.seconds(60) });
  let n = 0;
  const make = (props: Partial<WorkQueueProps>) => () => new WorkQueue(stack, `Queue${n++}`, { handler: consumer, ...props });
  const id = () => `Queue${n}`;

  test.each(([
    [{ maxReceiveCount: 0 }, 'maxReceiveCount must be an integer 1-1000, got 0'],
    [{ maxReceiveCount: 1001 }, 'maxReceiveCount must be an integer 1-1000, got 1001'],
    [{ retentionPeriod: Duration.days(15) }, 'retentionPeriod must be 60-1209600 seconds, got "1296000 seconds"'],
    [{ batchSize: 0 }, 'batchSize must be an integer 1-10000, got 0'],
    [{ batchSize: 10001, maxBatchingWindow: Duration.seconds(5) }, 'batchSize must be an integer 1-10000, got 10001'],
    [{ batchSize: 11 }, 'batchSize must be at most 10 unless maxBatchingWindow is at least 1 second, got 11'],
    [{ batchSize: 50, maxBatchingWindow: Duration.seconds(0) }, 'batchSize must be at most 10 unless maxBatchingWindow is at least 1 second, got 50'],
    [{ maxBatchingWindow: Duration.minutes(6) }, 'maxBatchingWindow must be 0-300 seconds, got "360 seconds"'],
    [{ maxConcurrency: 1 }, 'maxConcurrency must be an integer 2-1000, got 1'],
    [{ visibilityTimeout: Duration.seconds(59) }, 'visibilityTimeout must be at least the handler\'s timeout (60 seconds) and at most 43200 seconds, got "59 seconds"'],
    [{ visibilityTimeout: Duration.hours(13) }, 'visibilityTimeout must be at least the handler\'s timeout (60 seconds) and at most 43200 seconds, got "46800 seconds"'],
    [{ maxMessageAge: Duration.seconds(30) }, 'maxMessageAge must be 60-1209600 seconds, got "30 seconds"'],
  ] as Array<[Partial<WorkQueueProps>, string]>).map(([props, message]) => [message, props]))('fails: %s', (message, props) => {
    expect(make(props as Partial<WorkQueueProps>)).toThrow(`WorkQueue "${id()}" (Test/${id()}): ${message}`);
  });

  test('grantPublish needs the fan-out topic', () => {
    const work = make({})();
    expect(() => work.grantPublish(consumer)).toThrow(`WorkQueue "${work.node.id}" (Test/${work.node.id}): fanOutTopic must be true to grant publishing (or use grantSendMessages), got false`);
  });

  test('an explicit visibility timeout below 6 x the consumer timeout is accepted with a warning', () => {
    const work = make({ visibilityTimeout: Duration.seconds(120) })();
    Annotations.fromStack(stack).hasWarning(`/${work.node.path}`, Match.stringLikeRegexp('visibilityTimeout 120 s is below 6 x the handler\'s timeout \\(360 s\\)'));
  });
});
