import { createHash } from 'crypto';
import {
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, controlTowerRule } from '../core/acknowledge';
import { allowCloudWatchAlarms } from '../core/key-policies';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { EnvironmentConfig } from '../governance/environment-config';

/** Properties of an AlarmSet. */
export interface AlarmSetProps {
  /**
   * Name of the set, used in alarm names and on the dashboard. Unique within the stack.
   * @default - the construct id
   */
  readonly alarmSetName?: string;
  /**
   * Topic that receives alarm and OK notifications.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly topic?: sns.ITopic;
  /**
   * Key for the topic the set creates (ignored when `topic` is given). A key you pass must
   * let `cloudwatch.amazonaws.com` use kms:Decrypt and kms:GenerateDataKey.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Whether alarms notify the topic.
   * @default - the EnvironmentConfig's alarmActionsEnabled (off in dev)
   */
  readonly actionsEnabled?: boolean;
  /**
   * Whether alarms also notify the topic when they return to OK.
   * @default true
   */
  readonly notifyOnOk?: boolean;
}

/** How one alarm compares its metric. */
export interface AlarmThresholdOptions {
  /** Value the metric is compared to. */
  readonly threshold: number;
  /**
   * Comparison of the metric with the threshold.
   * @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Periods over which the metric is evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods (of `evaluationPeriods`) that trigger the alarm.
   * @default - evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
  /**
   * How missing data is treated.
   * @default NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Description shown in notifications.
   * @default - generated from the metric and threshold
   */
  readonly description?: string;
}

/** A custom metric alarm. */
export interface MetricAlarmOptions extends AlarmThresholdOptions {
  /** The metric (or math expression) to alarm on. */
  readonly metric: cloudwatch.IMetric;
}

/** A metric-math alarm. */
export interface MathAlarmOptions extends AlarmThresholdOptions {
  /** Math expression over `usingMetrics`, e.g. `errors / invocations * 100`. */
  readonly expression: string;
  /** The metrics the expression refers to, by the names it uses. */
  readonly usingMetrics: Record<string, cloudwatch.IMetric>;
  /**
   * Period of the expression.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Label of the expression on graphs.
   * @default - the expression
   */
  readonly label?: string;
}

/** Thresholds of the Lambda preset. */
export interface LambdaAlarmOptions {
  /**
   * Errors per minute that raise the errors alarm.
   * @default 1
   */
  readonly errorsThreshold?: number;
  /**
   * Throttles per minute that raise the throttles alarm.
   * @default 1
   */
  readonly throttlesThreshold?: number;
  /**
   * The function's timeout, needed for the p99 duration alarm when `fn` is not a lambda.Function.
   * @default - the function's own timeout
   */
  readonly timeout?: Duration;
  /**
   * Percent of the timeout that p99 duration may reach before alarming.
   * @default 80
   */
  readonly durationPercentOfTimeout?: number;
  /**
   * Dead-letter queue whose depth is alarmed on.
   * @default - the function's own DLQ, if any
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/** Thresholds and scope of the API Gateway preset. */
export interface ApiGatewayAlarmOptions {
  /** The REST API's name (the `ApiName` dimension). */
  readonly apiName: string;
  /** The stage name (the `Stage` dimension). */
  readonly stageName: string;
  /**
   * Resource path of one method, e.g. `/files/{id}`; alarms cover the whole stage when omitted.
   * @default - whole stage
   */
  readonly resourcePath?: string;
  /**
   * HTTP method of one method; required with `resourcePath`.
   * @default - whole stage
   */
  readonly httpMethod?: string;
  /**
   * Percent of requests answered 5xx that raises the alarm.
   * @default 1
   */
  readonly serverErrorPercent?: number;
  /**
   * Percent of requests answered 4xx that raises the alarm.
   * @default 10
   */
  readonly clientErrorPercent?: number;
  /**
   * p99 latency that raises the alarm.
   * @default Duration.seconds(5)
   */
  readonly latencyP99?: Duration;
}

/** Thresholds of the DynamoDB preset. */
export interface DynamoDbAlarmOptions {
  /**
   * Throttled requests per 5 minutes that raise the alarm.
   * @default 1
   */
  readonly throttledRequestsThreshold?: number;
  /**
   * System errors per 5 minutes that raise the alarm.
   * @default 1
   */
  readonly systemErrorsThreshold?: number;
  /**
   * Provisioned read capacity ceiling; adds a consumed-read alarm at `capacityPercent` of it.
   * @default - no capacity alarm (on-demand)
   */
  readonly maxReadCapacity?: number;
  /**
   * Provisioned write capacity ceiling; adds a consumed-write alarm at `capacityPercent` of it.
   * @default - no capacity alarm (on-demand)
   */
  readonly maxWriteCapacity?: number;
  /**
   * Percent of the capacity ceiling that raises the capacity alarms.
   * @default 80
   */
  readonly capacityPercent?: number;
}

/** Thresholds of the SQS preset. */
export interface SqsAlarmOptions {
  /**
   * Visible messages that raise the depth alarm (1 for a dead-letter queue).
   * @default 1
   */
  readonly maxVisibleMessages?: number;
  /**
   * Age of the oldest message that raises the age alarm.
   * @default - no age alarm
   */
  readonly maxMessageAge?: Duration;
}

/** Thresholds of the S3 preset (needs the bucket's request metrics, which SecureBucket turns on). */
export interface S3AlarmOptions {
  /**
   * Request-metrics filter id.
   * @default 'EntireBucket'
   */
  readonly filterId?: string;
  /**
   * 5xx errors per 5 minutes that raise the alarm.
   * @default 1
   */
  readonly serverErrorsThreshold?: number;
}

// At most 10 metrics fit in one alarm: the data-plane operations applications use.
const SYSTEM_ERROR_OPERATIONS = [
  dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM, dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY, dynamodb.Operation.SCAN, dynamodb.Operation.BATCH_GET_ITEM, dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_GET_ITEMS, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

const ALARM_SET_SYMBOL = Symbol.for('cloudvault-constructs.AlarmSet');

/**
 * A named group of CloudWatch alarms that notify one encrypted, TLS-only SNS topic, with
 * presets for Lambda, API Gateway, DynamoDB, SQS and S3, custom metric and math alarms, and
 * a composite alarm of the whole set. Every construct of the library that owns alarms puts
 * them in an AlarmSet, and an OperationsDashboard renders every set of its stack.
 */
export class AlarmSet extends Construct {
  /** True if `x` is an AlarmSet (works across copies of the library). */
  public static isAlarmSet(x: any): x is AlarmSet {
    return x !== null && typeof x === 'object' && ALARM_SET_SYMBOL in x;
  }

  /** Every AlarmSet defined in `scope`'s stack, in definition order. */
  public static ofStack(scope: IConstruct): AlarmSet[] {
    new PropsValidator('AlarmSet.ofStack').required('scope', scope, 'object', 'a construct');
    return Stack.of(scope).node.findAll().filter((c): c is AlarmSet => AlarmSet.isAlarmSet(c));
  }

  /** The topic alarms notify. */
  public readonly topic: sns.ITopic;
  /** The set's name. */
  public readonly alarmSetName: string;
  /** Whether alarm actions are enabled. */
  public readonly actionsEnabled: boolean;
  private readonly notifyOnOk: boolean;
  private readonly members: cloudwatch.AlarmBase[] = [];

  constructor(scope: Construct, id: string, props: AlarmSetProps = {}) {
    super(scope, id);
    Object.defineProperty(this, ALARM_SET_SYMBOL, { value: true });
    this.alarmSetName = props.alarmSetName ?? id;
    const v = new PropsValidator('AlarmSet', this);
    v.matches('alarmSetName', this.alarmSetName, /^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, "_", "." or "-"');
    const clash = AlarmSet.ofStack(this).find((s) => s !== this && s.alarmSetName === this.alarmSetName);
    v.check(clash === undefined, 'alarmSetName', this.alarmSetName, 'unique within the stack (alarm names would collide)');

    this.actionsEnabled = props.actionsEnabled ?? EnvironmentConfig.of(this).alarmActionsEnabled;
    this.notifyOnOk = props.notifyOnOk ?? true;
    if (!this.actionsEnabled) {
      acknowledge(this, ['HIPAA.Security-CloudWatchAlarmAction', 'NIST.800.53.R5-CloudWatchAlarmAction', controlTowerRule('cloudwatch_alarm_action_enabled_check')],
        'Alarm actions are off by choice (the dev profile, or actionsEnabled: false): alarms still change state and show on the dashboard, but page nobody.');
    }
    this.topic = props.topic ?? createAlarmTopic(this, 'Topic', `${this.alarmSetName} alarms`, props.encryptionKey ?? defaultKey(this));
  }

  /** The alarms of the set, in the order they were added. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [...this.members];
  }

  /** Adds an alarm on any metric. */
  public addMetricAlarm(id: string, options: MetricAlarmOptions): cloudwatch.Alarm {
    this.validateThreshold(id, options);
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.alarmName(id),
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      treatMissingData: options.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description ?? `${this.alarmSetName}: ${id} crossed ${options.threshold}`,
      actionsEnabled: this.actionsEnabled,
    });
    return this.register(alarm);
  }

  /** Adds an alarm on a metric-math expression. */
  public addMathAlarm(id: string, options: MathAlarmOptions): cloudwatch.Alarm {
    const metric = new cloudwatch.MathExpression({
      expression: options.expression,
      usingMetrics: options.usingMetrics,
      period: options.period ?? Duration.minutes(5),
      label: options.label ?? options.expression,
    });
    return this.addMetricAlarm(id, { ...options, metric });
  }

  /** Errors, throttles, p99 duration against the timeout and (if any) DLQ depth of a function. */
  public addLambdaAlarms(id: string, fn: lambda.IFunction, options: LambdaAlarmOptions = {}): cloudwatch.Alarm[] {
    const v = PropsValidator.forChild('AlarmSet', this, id);
    v.atLeast('errorsThreshold', options.errorsThreshold, 0);
    v.atLeast('throttlesThreshold', options.throttlesThreshold, 0);
    v.range('durationPercentOfTimeout', options.durationPercentOfTimeout, 1, 100, false);
    const period = Duration.minutes(1);
    const created = [
      this.addMetricAlarm(`${id}Errors`, {
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: options.errorsThreshold ?? 1,
        description: `${fn.node.path}: invocations ended in an error`,
      }),
      this.addMetricAlarm(`${id}Throttles`, {
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: options.throttlesThreshold ?? 1,
        description: `${fn.node.path}: invocations were throttled`,
      }),
    ];
    const timeout = options.timeout ?? (fn instanceof lambda.Function ? fn.timeout : undefined);
    if (timeout && !timeout.isUnresolved()) {
      const percent = options.durationPercentOfTimeout ?? 80;
      created.push(this.addMetricAlarm(`${id}DurationP99`, {
        metric: fn.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
        threshold: Math.round(timeout.toMilliseconds() * percent / 100),
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${fn.node.path}: p99 duration is above ${percent}% of the ${timeout.toSeconds()} s timeout`,
      }));
    }
    const dlq = options.deadLetterQueue ?? (fn instanceof lambda.Function ? fn.deadLetterQueue : undefined);
    if (dlq) {
      created.push(...this.addSqsAlarms(`${id}DeadLetters`, dlq, { maxVisibleMessages: 1 }));
    }
    return created;
  }

  /** 5xx rate, 4xx rate and p99 latency of an API stage or one of its methods. */
  public addApiGatewayAlarms(id: string, options: ApiGatewayAlarmOptions): cloudwatch.Alarm[] {
    const v = PropsValidator.forChild('AlarmSet', this, id);
    v.range('serverErrorPercent', options.serverErrorPercent, 0, 100, false);
    v.range('clientErrorPercent', options.clientErrorPercent, 0, 100, false);
    v.check((options.resourcePath === undefined) === (options.httpMethod === undefined), 'httpMethod', options.httpMethod,
      'given together with resourcePath (both or neither)');
    v.durationRange('latencyP99', options.latencyP99, 0.001, 29);
    const dimensionsMap: Record<string, string> = { ApiName: options.apiName, Stage: options.stageName };
    if (options.resourcePath && options.httpMethod) {
      dimensionsMap.Resource = options.resourcePath;
      dimensionsMap.Method = options.httpMethod;
    }
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: Duration.minutes(5) });
    const where = options.resourcePath ? `${options.httpMethod} ${options.resourcePath}` : `stage ${options.stageName}`;
    const latency = options.latencyP99 ?? Duration.seconds(5);
    return [
      this.addMetricAlarm(`${id}5xx`, {
        metric: metric('5XXError', 'Average'),
        threshold: (options.serverErrorPercent ?? 1) / 100,
        description: `${options.apiName} ${where}: 5xx rate above ${options.serverErrorPercent ?? 1}%`,
      }),
      this.addMetricAlarm(`${id}4xx`, {
        metric: metric('4XXError', 'Average'),
        threshold: (options.clientErrorPercent ?? 10) / 100,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${options.apiName} ${where}: 4xx rate above ${options.clientErrorPercent ?? 10}%`,
      }),
      this.addMetricAlarm(`${id}LatencyP99`, {
        metric: metric('Latency', 'p99'),
        threshold: latency.toMilliseconds(),
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${options.apiName} ${where}: p99 latency above ${latency.toMilliseconds()} ms`,
      }),
    ];
  }

  /** Throttled requests, system errors and (when provisioned) consumed capacity of a table. */
  public addDynamoDbAlarms(id: string, table: dynamodb.ITable, options: DynamoDbAlarmOptions = {}): cloudwatch.Alarm[] {
    const v = PropsValidator.forChild('AlarmSet', this, id);
    v.atLeast('throttledRequestsThreshold', options.throttledRequestsThreshold, 0);
    v.atLeast('systemErrorsThreshold', options.systemErrorsThreshold, 0);
    v.range('capacityPercent', options.capacityPercent, 1, 100, false);
    v.atLeast('maxReadCapacity', options.maxReadCapacity, 1);
    v.atLeast('maxWriteCapacity', options.maxWriteCapacity, 1);
    const period = Duration.minutes(5);
    const created = [
      this.addMetricAlarm(`${id}Throttles`, {
        // Table-level throttle events: per-operation metrics would exceed the 10 metrics an alarm may use.
        metric: new cloudwatch.MathExpression({
          expression: 'reads + writes',
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
            writes: table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
          },
          period,
          label: 'Throttle events',
        }),
        threshold: options.throttledRequestsThreshold ?? 1,
        description: `${table.node.path}: requests were throttled`,
      }),
      this.addMetricAlarm(`${id}SystemErrors`, {
        metric: table.metricSystemErrorsForOperations({ period, operations: SYSTEM_ERROR_OPERATIONS }),
        threshold: options.systemErrorsThreshold ?? 1,
        description: `${table.node.path}: DynamoDB returned system errors`,
      }),
    ];
    const percent = options.capacityPercent ?? 80;
    const capacity = (name: string, max: number | undefined, metric: cloudwatch.IMetric) => {
      if (max === undefined) return;
      // Consumed units are summed per period; compare with the ceiling over the same seconds.
      created.push(this.addMetricAlarm(`${id}${name}`, {
        metric,
        threshold: Math.round(max * period.toSeconds() * percent / 100),
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        description: `${table.node.path}: consumed ${name} above ${percent}% of ${max} units/s`,
      }));
    };
    capacity('ReadCapacity', options.maxReadCapacity, table.metricConsumedReadCapacityUnits({ period, statistic: 'Sum' }));
    capacity('WriteCapacity', options.maxWriteCapacity, table.metricConsumedWriteCapacityUnits({ period, statistic: 'Sum' }));
    return created;
  }

  /** Depth and (optionally) oldest-message age of a queue. */
  public addSqsAlarms(id: string, queue: sqs.IQueue, options: SqsAlarmOptions = {}): cloudwatch.Alarm[] {
    const v = PropsValidator.forChild('AlarmSet', this, id);
    v.atLeast('maxVisibleMessages', options.maxVisibleMessages, 1);
    v.durationRange('maxMessageAge', options.maxMessageAge, 60, 14 * 24 * 3600);
    const period = Duration.minutes(1);
    const created = [
      this.addMetricAlarm(`${id}Depth`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        threshold: options.maxVisibleMessages ?? 1,
        description: `${queue.node.path}: messages are waiting`,
      }),
    ];
    if (options.maxMessageAge) {
      created.push(this.addMetricAlarm(`${id}OldestMessageAge`, {
        metric: queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: options.maxMessageAge.toSeconds(),
        evaluationPeriods: 3,
        description: `${queue.node.path}: oldest message older than ${options.maxMessageAge.toSeconds()} s`,
      }));
    }
    return created;
  }

  /** 5xx errors of a bucket (from its request metrics). */
  public addS3Alarms(id: string, bucket: s3.IBucket, options: S3AlarmOptions = {}): cloudwatch.Alarm[] {
    PropsValidator.forChild('AlarmSet', this, id).atLeast('serverErrorsThreshold', options.serverErrorsThreshold, 0);
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: '5xxErrors',
      dimensionsMap: { BucketName: bucket.bucketName, FilterId: options.filterId ?? 'EntireBucket' },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    return [this.addMetricAlarm(`${id}5xx`, {
      metric,
      threshold: options.serverErrorsThreshold ?? 1,
      description: `${bucket.node.path}: S3 answered 5xx errors`,
    })];
  }

  /**
   * A composite alarm that is in ALARM when any alarm of the set is, for paging on one signal.
   * Call it after the set's alarms have been added.
   */
  public addCompositeAlarm(id: string = 'Any'): cloudwatch.CompositeAlarm {
    new PropsValidator('AlarmSet', this).check(this.members.length > 0, 'alarms', 0, 'at least one alarm before addCompositeAlarm()');
    const composite = new cloudwatch.CompositeAlarm(this, id, {
      compositeAlarmName: this.alarmName(id),
      alarmRule: cloudwatch.AlarmRule.anyOf(...this.members),
      alarmDescription: `${this.alarmSetName}: any alarm of the set`,
      actionsEnabled: this.actionsEnabled,
    });
    composite.addAlarmAction(new actions.SnsAction(this.topic));
    if (this.notifyOnOk) composite.addOkAction(new actions.SnsAction(this.topic));
    return composite;
  }

  private register(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    if (this.notifyOnOk) alarm.addOkAction(new actions.SnsAction(this.topic));
    this.members.push(alarm);
    return alarm;
  }

  private validateThreshold(id: string, o: AlarmThresholdOptions): void {
    const v = PropsValidator.forChild('AlarmSet', this, id);
    v.check(Token.isUnresolved(o.threshold) || Number.isFinite(o.threshold), 'threshold', o.threshold, 'a finite number');
    v.range('evaluationPeriods', o.evaluationPeriods, 1, 1440);
    v.range('datapointsToAlarm', o.datapointsToAlarm, 1, o.evaluationPeriods ?? 1);
  }

  /** `<stack>-<set>-<alarm>`: stack names are unique per account and region, set names per stack. */
  private alarmName(id: string): string {
    const stackName = Stack.of(this).stackName;
    const name = `${stackName}-${this.alarmSetName}-${id}`;
    return name.length <= 255 ? name : `${name.slice(0, 240)}-${hash(name)}`;
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

const STACK_ALARM_TOPIC_ID = 'CloudVaultAlarmTopic';

/**
 * The stack's shared alarm topic, created on first use like the stack's default key: the
 * AlarmSets that constructs create for themselves all notify it, so a stack has one topic (and
 * one topic policy) however many constructs it holds. Subscribe the on-call address once, here.
 */
export function stackAlarmTopic(scope: IConstruct): sns.ITopic {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(STACK_ALARM_TOPIC_ID) as sns.ITopic | undefined;
  return existing ?? createAlarmTopic(stack, STACK_ALARM_TOPIC_ID, `${stack.stackName} alarms`, defaultKey(stack));
}

/** A KMS-encrypted, TLS-only topic that this account's CloudWatch alarms may publish to. */
function createAlarmTopic(scope: Construct, id: string, displayName: string, key: kms.IKey): sns.Topic {
  allowCloudWatchAlarms(key);
  const topic = new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
  // The topic policy replaces SNS's default one, so CloudWatch needs an explicit allow.
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchAlarmsOfThisAccount',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  }));
  return topic;
}
