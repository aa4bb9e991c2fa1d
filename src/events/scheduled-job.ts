import {
  Duration,
  RemovalPolicy,
  Stack,
  TimeZone,
  Token,
  aws_iam as iam,
  aws_kms as kms,
  aws_scheduler as scheduler,
  aws_scheduler_targets as targets,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { createDeadLetterQueue, DeadLetterSource } from './dead-letter-queue';
import { cronError, isTimeZone, normalizeCron } from './schedule-expression';
import { IHandlerFunction } from '../compute/i-handler-function';
import { ManagedPolicyRole } from '../compute/managed-policy-role';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { AlarmSet } from '../monitoring/alarm-set';

/** One schedule of a ScheduledJob. Give exactly one of `cron` and `rate`. */
export interface ScheduleDefinition {
  /** Name of the schedule, unique within the job: 1-64 letters, digits, "-", "_" or ".". */
  readonly name: string;
  /**
   * EventBridge Scheduler cron expression, six fields `minutes hours day-of-month month day-of-week year`
   * with "?" in one of day-of-month and day-of-week, e.g. `0 3 * * ? *` (03:00 daily) or
   * `0 4 ? * SUN *` (Sundays at 04:00). `cron(...)` around it is accepted.
   * @default - none: give `rate`
   */
  readonly cron?: string;
  /**
   * Fixed interval between runs, in whole minutes (at least one).
   * @default - none: give `cron`
   */
  readonly rate?: Duration;
  /**
   * IANA time zone the cron expression is evaluated in, e.g. `Europe/Paris` (daylight saving
   * time applies). Only with `cron`.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * Window after the scheduled time within which the run may start (1-1440 minutes), which lets
   * Scheduler spread load.
   * @default - off: runs start at the scheduled time
   */
  readonly flexibleWindow?: Duration;
  /**
   * JSON payload the function receives (at most 8192 characters once serialized), encrypted
   * at rest with the job's customer-managed key.
   * @default - no payload
   */
  readonly input?: { [key: string]: any };
  /**
   * Whether the schedule runs.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Description of the schedule.
   * @default - none
   */
  readonly description?: string;
}

/** Properties of a ScheduledJob. */
export interface ScheduledJobProps {
  /** The function the schedules invoke, through its `invocationTarget` (the live alias when it has one). */
  readonly handler: IHandlerFunction;
  /** The schedules (at least one), e.g. hourly, daily at 03:00 and weekly on Sunday, each with its own input. */
  readonly schedules: ScheduleDefinition[];
  /**
   * Retries when invoking the function fails (0-185), with exponential backoff within `maxEventAge`.
   * Failures inside the function are retried by Lambda and end in the function's own dead-letter queue.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps trying to start a run (60 seconds to 24 hours) before it goes to the dead-letter queue.
   * @default Duration.hours(1) - a run that could not start within the hour is parked rather than overlapping the next one
   */
  readonly maxEventAge?: Duration;
  /**
   * Queue for runs Scheduler could not deliver. Scheduler writes to it with `role`, which gets
   * kms:GenerateDataKey and kms:Decrypt on the queue's key when the queue exposes one (an imported
   * queue does not: grant the role yourself).
   * @default - a new KMS-encrypted, TLS-only queue with 14 days' retention
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Customer-managed key for the schedules' input and the dead-letter queue the job creates.
   * @default - the function's encryption key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * AlarmSet that receives the dead-letter queue and delivery alarms.
   * @default - the function's AlarmSet, so the job's alarms sit with the function's
   */
  readonly alarms?: AlarmSet;
  /**
   * Name of the schedule group that holds the job's schedules (1-64 letters, digits, "-", "_" or ".").
   * @default - generated from the construct path
   */
  readonly scheduleGroupName?: string;
}

const SCHEDULE_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
const MAX_INPUT_LENGTH = 8192;

/**
 * EventBridge Scheduler schedules (cron in a time zone, or rate, with an optional flexible window
 * and a JSON input each) that invoke an IHandlerFunction's `invocationTarget`. Schedules sit in a
 * schedule group of their own, their input is encrypted with a customer-managed key, Scheduler
 * assumes a role that may only invoke that alias and write to the dead-letter queue (trust limited
 * to this account and group), failed deliveries are retried within a maximum age and then parked
 * in an encrypted, TLS-only dead-letter queue, and the DLQ depth and failed-to-park alarms join the
 * function's AlarmSet.
 */
export class ScheduledJob extends Construct {
  /** The schedule group holding the job's schedules. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The schedules, in the order given. */
  public readonly schedules: scheduler.Schedule[];
  /** The role EventBridge Scheduler assumes to invoke the function. */
  public readonly role: iam.Role;
  /** Queue of runs that could not be delivered. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** Key encrypting the schedules' input (and the dead-letter queue the job creates). */
  public readonly encryptionKey: kms.IKey;
  /** The AlarmSet holding the job's alarms. */
  public readonly alarms: AlarmSet;
  /** The function the schedules invoke. */
  public readonly handler: IHandlerFunction;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('ScheduledJob', this);
    args.required('props', props, 'object', 'ScheduledJobProps (an object)');
    args.required('handler', props.handler, 'object', 'an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction)');
    args.required('schedules', props.schedules, 'array', 'an array of ScheduleDefinition');
    props.schedules.forEach((s, i) => {
      args.required(`schedules[${i}]`, s, 'object', 'a ScheduleDefinition (an object with name and cron or rate)');
      args.required(`schedules[${i}].name`, s.name, 'string', 'a schedule name');
    });
    validate(this, props);
    this.handler = props.handler;
    this.encryptionKey = props.encryptionKey ?? props.handler.encryptionKey;

    // Schedules are configuration, not data: they go with the stack in every profile.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: props.scheduleGroupName ?? uniqueName(this, 64),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const stack = Stack.of(this);
    const role = new ManagedPolicyRole(this, 'SchedulerRole', {
      description: `EventBridge Scheduler role of ${this.node.path}`,
      // Confused-deputy guard: only schedules of this account and group may assume it.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
    });
    this.role = role;

    this.deadLetterQueue = props.deadLetterQueue
      ?? createDeadLetterQueue(this, 'DeadLetterQueue', this.encryptionKey, DeadLetterSource.SERVICE);
    // Scheduler writes to the DLQ with this role; SSE-KMS needs the data key too.
    const dlqKey = props.deadLetterQueue ? props.deadLetterQueue.encryptionMasterKey : this.encryptionKey;
    if (dlqKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EncryptDeadLetters',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [dlqKey.keyArn],
      }));
    }

    // The target's own grants would add `<function>:*` (every version) for a function without an
    // alias; the role gets exactly the invocation target and the DLQ instead.
    const target = props.handler.invocationTarget;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'InvokeTarget', actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SendDeadLetters', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));

    const retryAttempts = props.retryAttempts ?? 10;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    this.schedules = props.schedules.map((definition) => {
      const schedule = new scheduler.Schedule(this, `Schedule-${definition.name}`, {
        scheduleName: definition.name,
        scheduleGroup: this.scheduleGroup,
        description: definition.description,
        schedule: expressionOf(definition),
        timeWindow: definition.flexibleWindow ? scheduler.TimeWindow.flexible(definition.flexibleWindow) : scheduler.TimeWindow.off(),
        enabled: definition.enabled ?? true,
        key: this.encryptionKey,
        target: new targets.LambdaInvoke(target, {
          role: role.withoutPolicyUpdates(),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
          input: definition.input ? scheduler.ScheduleTargetInput.fromObject(definition.input) : undefined,
        }),
      });
      // The group is referenced by name, and a first run must find the role's permissions in place.
      schedule.node.addDependency(this.scheduleGroup, role.policy);
      return schedule;
    });

    this.alarms = props.alarms ?? props.handler.alarms;
    const prefix = stackRelativeName(this, 64, '');
    this.alarms.addSqsAlarms(`${prefix}DeadLetters`, this.deadLetterQueue, { maxVisibleMessages: 1 });
    // A run that cannot even be parked (e.g. the DLQ's key refuses) is lost: alarm on the first one.
    this.alarms.addMetricAlarm(`${prefix}FailedToDeadLetter`, {
      metric: this.scheduleGroup.metricFailedToBeSentToDLQ(undefined, { period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      description: `${this.node.path}: Scheduler could not deliver runs to the function nor to the dead-letter queue`,
    });
  }
}

function expressionOf(definition: ScheduleDefinition): scheduler.ScheduleExpression {
  if (definition.rate) return scheduler.ScheduleExpression.rate(definition.rate);
  return scheduler.ScheduleExpression.expression(`cron(${normalizeCron(definition.cron!)})`, TimeZone.of(definition.timeZone ?? 'UTC'));
}

function validate(construct: IConstruct, props: ScheduledJobProps): void {
  const v = new PropsValidator('ScheduledJob', construct);
  v.range('retryAttempts', props.retryAttempts, 0, 185);
  v.durationRange('maxEventAge', props.maxEventAge, 60, 86400);
  if (props.scheduleGroupName !== undefined) {
    v.matches('scheduleGroupName', props.scheduleGroupName, SCHEDULE_NAME, '1-64 letters, digits, "-", "_" or "."');
  }
  v.check(props.schedules.length > 0, 'schedules', '[]', 'at least one schedule');
  const seen = new Set<string>();
  props.schedules.forEach((s, i) => {
    const at = `schedules[${i}]`;
    v.matches(`${at}.name`, s.name, SCHEDULE_NAME, '1-64 letters, digits, "-", "_" or "."');
    v.check(!seen.has(s.name), `${at}.name`, s.name, 'unique within the job');
    seen.add(s.name);
    v.check((s.cron === undefined) !== (s.rate === undefined), `${at}.cron/rate`, s.cron === undefined ? 'neither' : 'both',
      'exactly one of cron and rate');
    if (s.cron !== undefined && !Token.isUnresolved(s.cron)) {
      const reason = cronError(s.cron);
      v.check(reason === undefined, `${at}.cron`, s.cron, `a cron expression EventBridge Scheduler accepts (${reason})`);
    }
    if (s.rate !== undefined && !s.rate.isUnresolved()) {
      const seconds = s.rate.toMilliseconds() / 1000;
      v.check(seconds >= 60 && seconds % 60 === 0, `${at}.rate`, `${seconds} seconds`, 'a whole number of minutes, at least 1');
    }
    if (s.timeZone !== undefined && !Token.isUnresolved(s.timeZone)) {
      v.check(s.cron !== undefined, `${at}.timeZone`, s.timeZone, 'given only with cron (a rate does not depend on the time zone)');
      v.check(isTimeZone(s.timeZone), `${at}.timeZone`, s.timeZone, 'an IANA time zone name such as "UTC", "Europe/Paris" or "America/New_York"');
    }
    if (s.flexibleWindow !== undefined && !s.flexibleWindow.isUnresolved()) {
      const seconds = s.flexibleWindow.toMilliseconds() / 1000;
      v.check(seconds % 60 === 0 && seconds >= 60 && seconds <= 1440 * 60, `${at}.flexibleWindow`, `${seconds} seconds`,
        'a whole number of minutes, 1-1440');
    }
    if (s.input !== undefined) {
      const length = JSON.stringify(s.input).length;
      v.check(length <= MAX_INPUT_LENGTH, `${at}.input`, `${length} characters of JSON`, `at most ${MAX_INPUT_LENGTH} characters once serialized`);
    }
  });
}
