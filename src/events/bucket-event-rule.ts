import {
  Annotations,
  Duration,
  Stack,
  Token,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { createDeadLetterQueue, DeadLetterSource } from './dead-letter-queue';
import { IHandlerFunction } from '../compute/i-handler-function';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring/alarm-set';
import { SecureBucket } from '../storage/secure-bucket';

/** S3 events delivered to EventBridge (their `detail-type`). */
export enum BucketEventType {
  /** An object was created (PUT, POST, COPY or a completed multipart upload). */
  OBJECT_CREATED = 'Object Created',
  /** An object was deleted, or a delete marker was created. */
  OBJECT_DELETED = 'Object Deleted',
  /** A restore from an archive storage class completed. */
  OBJECT_RESTORE_COMPLETED = 'Object Restore Completed',
  /** An object's tags were added or changed. */
  OBJECT_TAGS_ADDED = 'Object Tags Added',
  /** Lifecycle moved an object to another storage class. */
  OBJECT_STORAGE_CLASS_CHANGED = 'Object Storage Class Changed',
}

/** Properties of a BucketEventRule. */
export interface BucketEventRuleProps {
  /**
   * The bucket (a SecureBucket's `bucket`, or any bucket); S3 must send its events to EventBridge
   * (SecureBucket `eventBridgeEnabled`, the default; s3.Bucket `eventBridgeEnabled: true`).
   */
  readonly bucket: s3.IBucket;
  /** The function that receives the events, through its `invocationTarget` (the live alias when it has one). Grant it read access to the bucket yourself if it reads the objects. */
  readonly handler: IHandlerFunction;
  /**
   * Only keys starting with this prefix, e.g. `uploads/`.
   * @default - any key
   */
  readonly prefix?: string;
  /**
   * Only keys ending with this suffix, e.g. `.csv`.
   * @default - any key
   */
  readonly suffix?: string;
  /**
   * The events that match.
   * @default [BucketEventType.OBJECT_CREATED]
   */
  readonly eventTypes?: BucketEventType[];
  /**
   * Retries when invoking the function fails (0-185).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event (60 seconds to 24 hours) before it goes to the dead-letter queue.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /**
   * Queue for events EventBridge could not deliver. If it is encrypted with a KMS key, the key's
   * policy must let events.amazonaws.com use kms:GenerateDataKey and kms:Decrypt for this rule.
   * @default - a new KMS-encrypted, TLS-only queue with 14 days' retention
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Customer-managed key for the dead-letter queue the rule creates.
   * @default - the handler's encryption key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AlarmSet that receives the dead-letter queue alarm.
   * @default - the handler's AlarmSet
   */
  readonly alarms?: AlarmSet;
  /**
   * Description of the rule.
   * @default - generated from the bucket and filters
   */
  readonly description?: string;
}

/**
 * Delivers S3 events of a bucket (object created by default) to an IHandlerFunction's
 * `invocationTarget` through an EventBridge rule on the default bus, filtered by key prefix and/or suffix.
 * Delivery is retried within a maximum age and then parked in an encrypted, TLS-only dead-letter
 * queue whose depth is alarmed on. EventBridge instead of S3 notifications keeps the bucket's
 * notification configuration free and lets more rules match the same events.
 */
export class BucketEventRule extends Construct {
  /** The EventBridge rule. */
  public readonly rule: events.Rule;
  /** Queue of events that could not be delivered. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The AlarmSet holding the dead-letter queue alarm. */
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: BucketEventRuleProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('BucketEventRule', this);
    args.required('props', props, 'object', 'BucketEventRuleProps (an object)');
    args.required('bucket', props.bucket, 'object', 'an s3.IBucket');
    args.required('handler', props.handler, 'object', 'an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction)');
    validate(this, props);
    const key = props.encryptionKey ?? props.handler.encryptionKey;

    const eventTypes = props.eventTypes ?? [BucketEventType.OBJECT_CREATED];
    const detail: Record<string, any> = { bucket: { name: [props.bucket.bucketName] } };
    const keyFilter = keyPattern(props.prefix, props.suffix);
    if (keyFilter) detail.object = { key: [keyFilter] };
    const filters = [props.prefix && `prefix "${props.prefix}"`, props.suffix && `suffix "${props.suffix}"`].filter(Boolean).join(' and ');

    // A fixed name lets the key policy name the rule without a reference (the rule refers to the bucket, which refers to the key).
    const ruleName = uniqueName(this, 64);
    this.rule = new events.Rule(this, 'Rule', {
      ruleName,
      description: props.description ?? `${eventTypes.join(', ')} events of ${bucketPath(props.bucket)}${filters ? ` with ${filters}` : ''}`,
      eventPattern: { source: ['aws.s3'], detailType: eventTypes, detail },
    });

    this.deadLetterQueue = props.deadLetterQueue
      ?? createDeadLetterQueue(this, 'DeadLetterQueue', key, DeadLetterSource.SERVICE);
    if (!props.deadLetterQueue) {
      // EventBridge writes to the DLQ as itself: the key must let it, for this rule only.
      const added = key.addToResourcePolicy(new iam.PolicyStatement({
        sid: `AllowEventRule${this.node.addr.slice(0, 8)}`,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName }) } },
      }), true);
      if (!added.statementAdded) {
        Annotations.of(this).addWarningV2('cloudvault:bucketEventRuleKeyPolicy',
          'The policy of the imported encryption key must let events.amazonaws.com use kms:GenerateDataKey and kms:Decrypt for this rule');
      }
    }

    this.rule.addTarget(new targets.LambdaFunction(props.handler.invocationTarget, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 10,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    }));

    this.alarms = props.alarms ?? props.handler.alarms;
    this.alarms.addSqsAlarms(`${stackRelativeName(this, 64, '')}DeadLetters`, this.deadLetterQueue, { maxVisibleMessages: 1 });
  }
}

/** The path a reader knows the bucket by: its SecureBucket's, else its own. */
function bucketPath(bucket: s3.IBucket): string {
  const owner = bucket.node.scope;
  return owner instanceof SecureBucket ? owner.node.path : bucket.node.path;
}

/** The key filter: prefix AND suffix need one wildcard pattern (`uploads/*.csv`), as filters on one field are ORed. */
function keyPattern(prefix?: string, suffix?: string): Record<string, string> | undefined {
  if (prefix && suffix) return { wildcard: `${escapeWildcard(prefix)}*${escapeWildcard(suffix)}` };
  if (prefix) return { prefix };
  if (suffix) return { suffix };
  return undefined;
}

/** In EventBridge wildcard patterns `*` and `\` are escaped with `\`. */
function escapeWildcard(text: string): string {
  return text.replace(/[\\*]/g, (c) => `\\${c}`);
}

function validate(construct: IConstruct, props: BucketEventRuleProps): void {
  const v = new PropsValidator('BucketEventRule', construct);
  // A SecureBucket says whether it sends events; other buckets are the caller's to configure.
  const owner = props.bucket.node.scope;
  v.check(!(owner instanceof SecureBucket) || owner.eventBridgeEnabled, 'bucket', bucketPath(props.bucket),
    'a bucket whose SecureBucket has eventBridgeEnabled: true (S3 sends no events to EventBridge otherwise)');
  for (const [prop, value] of [['prefix', props.prefix], ['suffix', props.suffix]] as const) {
    if (value === undefined || Token.isUnresolved(value)) continue;
    v.check(value.length >= 1 && value.length <= 1024, prop, value, '1-1024 characters (an S3 key is at most 1024 bytes)');
  }
  if (props.eventTypes !== undefined) {
    v.check(props.eventTypes.length > 0, 'eventTypes', '[]', 'at least one BucketEventType');
  }
  v.range('retryAttempts', props.retryAttempts, 0, 185);
  v.durationRange('maxEventAge', props.maxEventAge, 60, 86400);
}
