import {
  Annotations,
  Duration,
  Stack,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { createDeadLetterQueue, DeadLetterSource } from './dead-letter-queue';
import { IHandlerFunction } from '../compute/i-handler-function';
import { acknowledge } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { EnvironmentConfig } from '../governance/environment-config';
import { AlarmSet } from '../monitoring/alarm-set';

/** Properties of a WorkQueue. */
export interface WorkQueueProps {
  /** The function that consumes the queue, through its `invocationTarget` (the live alias when it has one). */
  readonly handler: IHandlerFunction;
  /**
   * Receives after which a message moves to the dead-letter queue (1-1000).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the queue keeps a message (60 seconds to 14 days). The dead-letter queue keeps
   * messages 14 days, counted from when they were first sent.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Visibility timeout of the queue: at least the handler's timeout, at most 12 hours. AWS
   * recommends six times the function timeout plus the batching window, so that throttled
   * retries of a batch do not make its messages visible again while they are processed.
   * @default - 6 x the handler's timeout + maxBatchingWindow
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Messages per invocation (1-10000; above 10 needs a maxBatchingWindow).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers messages before invoking (0-300 seconds).
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Maximum concurrent invocations the queue may drive (2-1000).
   * @default - limited only by the function's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Whether to put an SNS topic in front of the queue (KMS-encrypted, TLS-only, raw message
   * delivery), so that further subscribers can receive the same messages.
   * @default false
   */
  readonly fanOutTopic?: boolean;
  /**
   * Customer-managed key for the queue, its dead-letter queue and the topic.
   * @default - the handler's encryption key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Age of the oldest waiting message that raises the backlog alarm (60 seconds to 14 days).
   * @default - the visibility timeout, at least 5 minutes: a message older than that has failed at least once
   */
  readonly maxMessageAge?: Duration;
  /**
   * AlarmSet that receives the queue's alarms.
   * @default - the handler's AlarmSet, so the queue's alarms sit with the handler's
   */
  readonly alarms?: AlarmSet;
}

/**
 * An SQS work queue consumed by an IHandlerFunction: KMS-encrypted (customer-managed key),
 * TLS-only, with a dead-letter queue after `maxReceiveCount` receives, a visibility timeout derived
 * from the handler's timeout, and an event source mapping on the handler's `invocationTarget` that
 * reports partial batch failures (`ReportBatchItemFailures`), so only the failed messages of a
 * batch are retried. Optional SNS fan-out topic in front. Alarms on dead-letter queue depth and
 * the age of the oldest message join the handler's AlarmSet.
 *
 * Redrive: after fixing the cause, move the dead letters back with SQS's message move task, e.g.
 * `aws sqs start-message-move-task --source-arn <deadLetterQueue ARN> --destination-arn <queue ARN>`
 * (or the SDK's StartMessageMoveTaskCommand); `grantRedrive` gives a role the permissions it needs.
 */
export class WorkQueue extends Construct {
  /** The work queue. */
  public readonly queue: sqs.Queue;
  /** The dead-letter queue (also the fan-out subscription's, for messages SNS could not deliver). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The fan-out topic, when `fanOutTopic` is true. */
  public readonly topic?: sns.Topic;
  /** The event source mapping that feeds the handler's `invocationTarget`. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The key encrypting the queues and the topic. */
  public readonly encryptionKey: kms.IKey;
  /** The AlarmSet holding the queue's alarms. */
  public readonly alarms: AlarmSet;
  /** The function that consumes the queue. */
  public readonly handler: IHandlerFunction;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('WorkQueue', this);
    args.required('props', props, 'object', 'WorkQueueProps (an object)');
    args.required('handler', props.handler, 'object', 'an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction)');
    const handlerTimeout = props.handler.timeout;
    validate(this, props, handlerTimeout);
    const batchingWindowSeconds = Math.ceil((props.maxBatchingWindow?.toMilliseconds() ?? 0) / 1000);
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(6 * handlerTimeout.toSeconds() + batchingWindowSeconds);
    this.handler = props.handler;
    this.encryptionKey = props.encryptionKey ?? props.handler.encryptionKey;

    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', this.encryptionKey, DeadLetterSource.QUEUE);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      removalPolicy: EnvironmentConfig.of(this).removalPolicy,
    });

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSource', {
      target: props.handler.invocationTarget,
      eventSourceArn: this.queue.queueArn,
      batchSize: props.batchSize ?? 10,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    // Lambda checks the role's permissions when it creates the mapping.
    this.queue.grantConsumeMessages(props.handler).applyBefore(this.eventSourceMapping);
    acknowledge(this.eventSourceMapping, ['Serverless-LambdaEventSourceMappingDestination'],
      'SQS event source mappings do not support on-failure destinations (only stream and Kafka sources do): messages that keep failing move to the queue\'s own dead-letter queue after maxReceiveCount receives, which is alarmed on.');

    if (props.fanOutTopic) {
      this.topic = this.createFanOutTopic();
    }

    this.alarms = props.alarms ?? props.handler.alarms;
    const prefix = stackRelativeName(this, 64, '');
    this.alarms.addSqsAlarms(`${prefix}DeadLetters`, this.deadLetterQueue, { maxVisibleMessages: 1 });
    const maxAge = props.maxMessageAge ?? Duration.seconds(Math.max(300, visibilityTimeout.toSeconds()));
    this.alarms.addMetricAlarm(`${prefix}OldestMessageAge`, {
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: maxAge.toSeconds(),
      evaluationPeriods: 3,
      description: `${this.node.path}: the oldest message has waited more than ${maxAge.toSeconds()} s (the consumer is failing or falling behind)`,
    });
  }

  /**
   * Lets `grantee` send messages straight to the queue (sqs:SendMessage with the KMS data key);
   * no receive or delete.
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipalOrResource({
      grantee, actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resourceArns: [this.queue.queueArn], resource: this.queue,
    }).combine(this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }

  /** Lets `grantee` publish to the fan-out topic (sns:Publish with the KMS data key). Needs `fanOutTopic`. */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    const topic = this.topic;
    new PropsValidator('WorkQueue', this).check(topic !== undefined, 'fanOutTopic', false, 'true to grant publishing (or use grantSendMessages)');
    return iam.Grant.addToPrincipalOrResource({ grantee, actions: ['sns:Publish'], resourceArns: [topic!.topicArn], resource: topic! })
      .combine(this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }

  /**
   * Lets `grantee` move messages from the dead-letter queue back to the queue with an SQS message
   * move task (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask), which reads and
   * deletes on the dead-letter queue, sends to the queue, and uses the KMS key for both.
   */
  public grantRedrive(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: [
        'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask',
        'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes',
      ],
      resourceArns: [this.deadLetterQueue.queueArn],
      resource: this.deadLetterQueue,
    }).combine(iam.Grant.addToPrincipalOrResource({
      grantee, actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resourceArns: [this.queue.queueArn], resource: this.queue,
    })).combine(this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey'));
  }

  private createFanOutTopic(): sns.Topic {
    // A fixed name lets the key policy name the topic without a reference (the topic already refers to the key).
    const topicName = uniqueName(this, 256);
    const topic = new sns.Topic(this, 'Topic', {
      topicName,
      displayName: `${this.node.path} fan-out`,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // SNS delivers to the encrypted queue (and parks undeliverable messages in the DLQ) only for this topic.
    const fromTopic = { ArnEquals: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'sns', resource: topicName }) } };
    const snsPrincipal = new iam.ServicePrincipal('sns.amazonaws.com');
    const queuePolicy = this.queue.addToResourcePolicy(new iam.PolicyStatement({
      principals: [snsPrincipal], actions: ['sqs:SendMessage'], resources: [this.queue.queueArn], conditions: fromTopic,
    }));
    const keyPolicy = this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: `AllowSnsTopic${this.node.addr.slice(0, 8)}`,
      principals: [snsPrincipal],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: fromTopic,
    }), true);
    if (!keyPolicy.statementAdded) {
      Annotations.of(this).addWarningV2('cloudvault:workQueueKeyPolicy',
        'The policy of the imported encryption key must let sns.amazonaws.com use kms:GenerateDataKey and kms:Decrypt for the fan-out topic');
    }
    const subscription = new sns.Subscription(this, 'Subscription', {
      topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.queue.queueArn,
      rawMessageDelivery: true,
      deadLetterQueue: this.deadLetterQueue,
    });
    if (queuePolicy.policyDependable) subscription.node.addDependency(queuePolicy.policyDependable);
    return topic;
  }
}

function validate(scope: Construct, props: WorkQueueProps, handlerTimeout: Duration): void {
  const v = new PropsValidator('WorkQueue', scope);
  v.range('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  v.durationRange('retentionPeriod', props.retentionPeriod, 60, 14 * 24 * 3600);
  v.durationRange('maxBatchingWindow', props.maxBatchingWindow, 0, 300);
  v.range('batchSize', props.batchSize, 1, 10000);
  if (props.batchSize !== undefined && props.batchSize > 10 && !props.maxBatchingWindow?.isUnresolved()) {
    v.check((props.maxBatchingWindow?.toMilliseconds() ?? 0) >= 1000, 'batchSize', props.batchSize,
      'at most 10 unless maxBatchingWindow is at least 1 second');
  }
  v.range('maxConcurrency', props.maxConcurrency, 2, 1000);
  v.durationRange('maxMessageAge', props.maxMessageAge, 60, 14 * 24 * 3600);
  const visibility = props.visibilityTimeout;
  if (visibility !== undefined && !visibility.isUnresolved() && !handlerTimeout.isUnresolved()) {
    const seconds = visibility.toMilliseconds() / 1000;
    const timeout = handlerTimeout.toSeconds();
    v.check(seconds >= timeout && seconds <= 43200, 'visibilityTimeout', `${seconds} seconds`,
      `at least the handler's timeout (${timeout} seconds) and at most 43200 seconds`);
    if (seconds < 6 * timeout) {
      Annotations.of(scope).addWarningV2('cloudvault:workQueueVisibilityTimeout',
        `visibilityTimeout ${seconds} s is below 6 x the handler's timeout (${6 * timeout} s) that AWS recommends: messages of throttled batches may be processed twice`);
    }
  }
}
