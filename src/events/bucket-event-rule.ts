import {
  Annotations,
  Duration,
  Stack,
  Token,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { createDeadLetterQueue, DeadLetterSource } from './dead-letter-queue';
import { EnhancedLambdaFunction } from '../compute/enhanced-lambda-function';
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
  /** The bucket; it must have `eventBridgeEnabled: true`. */
  readonly bucket: SecureBucket;
  /** The function that receives the events, through its `invocationTarget` (the live alias when it has one). Grant it read access to the bucket yourself if it reads the objects. */
  readonly target: EnhancedLambdaFunction;
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
   * @default - the target function's encryption key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AlarmSet that receives the dead-letter queue alarm.
   * @default - the target function's AlarmSet
   */
  readonly alarms?: AlarmSet;
  /**
   * Description of the rule.
   * @default - generated from the bucket and filters
   */
  readonly description?: string;
}

/**
 * Delivers S3 events of a SecureBucket (object created by default) to an EnhancedLambdaFunction's
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
    args.required('bucket', props.bucket, 'object', 'a SecureBucket');
    args.required('target', props.target, 'object', 'an EnhancedLambdaFunction');
    validate(this, props);
    const key = props.encryptionKey ?? props.target.encryptionKey;

    const eventTypes = props.eventTypes ?? [BucketEventType.OBJECT_CREATED];
    const detail: Record<string, any> = { bucket: { name: [props.bucket.bucketName] } };
    const keyFilter = keyPattern(props.prefix, props.suffix);
    if (keyFilter) detail.object = { key: [keyFilter] };
    const filters = [props.prefix && `prefix "${props.prefix}"`, props.suffix && `suffix "${props.suffix}"`].filter(Boolean).join(' and ');

    // A fixed name lets the key policy name the rule without a reference (the rule refers to the bucket, which refers to the key).
    const ruleName = uniqueName(this, 64);
    this.rule = new events.Rule(this, 'Rule', {
      ruleName,
      description: props.description ?? `${eventTypes.join(', ')} events of ${props.bucket.node.path}${filters ? ` with ${filters}` : ''}`,
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

    this.rule.addTarget(new targets.LambdaFunction(props.target.invocationTarget, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 10,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    }));

    this.alarms = props.alarms ?? props.target.alarms;
    this.alarms.addSqsAlarms(`${stackRelativeName(this, 64, '')}DeadLetters`, this.deadLetterQueue, { maxVisibleMessages: 1 });
  }
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
  v.check(props.bucket.eventBridgeEnabled, 'bucket', props.bucket.node.path,
    'a SecureBucket created with eventBridgeEnabled: true (S3 sends no events to EventBridge otherwise)');
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
