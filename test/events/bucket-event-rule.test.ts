import { Duration, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet } from '../../src';
import { EnhancedLambdaFunction } from '../../src/compute';
import { BucketEventRule, BucketEventRuleProps, BucketEventType } from '../../src/events';
import { SecureBucket } from '../../src/storage';
import { expectNagClean, testStack } from '../support/nag-harness';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');

function logicalId(stack: Stack, construct: { node: { defaultChild?: any } }): string {
  return stack.resolve(construct.node.defaultChild.logicalId);
}

// One stack holds a rule with default props and one with every option: both must be nag-clean.
describe('BucketEventRule', () => {
  let stack: Stack;
  let bucket: SecureBucket;
  let ingest: EnhancedLambdaFunction;
  let plain: BucketEventRule;
  let csv: BucketEventRule;
  let alarms: AlarmSet;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    bucket = new SecureBucket(stack, 'Uploads', { eventBridgeEnabled: true });
    ingest = new EnhancedLambdaFunction(stack, 'Ingest', { code });
    plain = new BucketEventRule(stack, 'AnyObject', { bucket: bucket.bucket, handler: ingest });
    const audit = new EnhancedLambdaFunction(stack, 'Audit', { code });
    alarms = new AlarmSet(stack, 'Ops');
    csv = new BucketEventRule(stack, 'CsvImports', {
      bucket: bucket.bucket,
      handler: audit,
      prefix: 'imports/*raw/',
      suffix: '.csv',
      eventTypes: [BucketEventType.OBJECT_CREATED, BucketEventType.OBJECT_DELETED],
      retryAttempts: 2,
      maxEventAge: Duration.minutes(10),
      alarms,
      description: 'CSV imports',
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('matches Object Created events of the bucket by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: Match.stringLikeRegexp('^Test-AnyObject-'),
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: logicalId(stack, bucket.bucket) }] } },
      },
    });
  });

  test('combines prefix and suffix in one escaped wildcard filter', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: 'CSV imports',
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        'detail': {
          bucket: { name: [{ Ref: logicalId(stack, bucket.bucket) }] },
          object: { key: [{ wildcard: 'imports/\\*raw/*.csv' }] },
        },
      },
    });
  });

  test('targets the function with a retry policy and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [{
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, plain.deadLetterQueue), 'Arn'] } },
      }],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 } })],
    });
  });

  test('only this rule may invoke the function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, plain.rule), 'Arn'] },
    });
  });

  test('the encrypted DLQ accepts only this rule, and its key lets only this rule encrypt', () => {
    const dlq = logicalId(stack, plain.deadLetterQueue);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack, plain.rule), 'Arn'] } } },
          }),
        ]),
      },
    });
    const ruleName = template.toJSON().Resources[logicalId(stack, plain.rule)].Properties.Name;
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:123456789012:rule/${ruleName}`]] } } },
        })]),
      },
    });
  });

  test('alarms on DLQ depth in the target\'s AlarmSet, or the given one', () => {
    expect(plain.alarms).toBe(ingest.alarms);
    expect(ingest.alarms.alarms.map((a) => a.node.id)).toContain('AnyObjectDeadLettersDepth');
    expect(alarms.alarms.map((a) => a.node.id)).toEqual(['CsvImportsDeadLettersDepth']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, csv.deadLetterQueue), 'QueueName'] } }],
    });
  });
});

describe('BucketEventRule validation', () => {
  const stack = testStack();
  const bucket = new SecureBucket(stack, 'Events', { eventBridgeEnabled: true });
  const handler = new EnhancedLambdaFunction(stack, 'Fn', { code });
  let n = 0;
  const make = (props: Partial<BucketEventRuleProps>) => () => new BucketEventRule(stack, `Rule${n++}`, { bucket: bucket.bucket, handler, ...props });
  const id = () => `Rule${n}`;

  test('needs a bucket that sends its events to EventBridge', () => {
    const quiet = new SecureBucket(stack, 'Quiet', { eventBridgeEnabled: false });
    expect(make({ bucket: quiet.bucket })).toThrow(
      `BucketEventRule "${id()}" (Test/${id()}): bucket must be a bucket whose SecureBucket has eventBridgeEnabled: true (S3 sends no events to EventBridge otherwise), got "Test/Quiet"`);
  });

  test.each(([
    [{ prefix: '' }, 'prefix must be 1-1024 characters (an S3 key is at most 1024 bytes), got ""'],
    [{ suffix: 'x'.repeat(1025) }, `suffix must be 1-1024 characters (an S3 key is at most 1024 bytes), got "${'x'.repeat(1025)}"`],
    [{ eventTypes: [] }, 'eventTypes must be at least one BucketEventType, got "[]"'],
    [{ retryAttempts: 186 }, 'retryAttempts must be an integer 0-185, got 186'],
    [{ maxEventAge: Duration.seconds(30) }, 'maxEventAge must be 60-86400 seconds, got "30 seconds"'],
  ] as Array<[Partial<BucketEventRuleProps>, string]>).map(([props, message]) => [message.slice(0, 100), props, message]))('fails: %s', (_title, props, message) => {
    expect(make(props as Partial<BucketEventRuleProps>)).toThrow(`BucketEventRule "${id()}" (Test/${id()}): ${message}`);
  });
});
