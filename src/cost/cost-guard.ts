import {
  Aws,
  CfnRule,
  Duration,
  Fn,
  Stack,
  Token,
  aws_budgets as budgets,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { allowCloudWatchAlarms, allowServiceToDeliver } from '../core/key-policies';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { RequiredTags } from '../governance/required-tags';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** How the budgets add up cost (the Budgets `Metrics` of a cost budget). */
export enum CostMetric {
  /** Cost as charged, the Budgets default. */
  UNBLENDED_COST = 'UnblendedCost',
  /** Upfront reservation and Savings Plans fees spread over the period they cover. */
  AMORTIZED_COST = 'AmortizedCost',
  /** Unblended cost after discounts. */
  NET_UNBLENDED_COST = 'NetUnblendedCost',
  /** Amortized cost after discounts. */
  NET_AMORTIZED_COST = 'NetAmortizedCost',
}

/** The CloudWatch billing alarm of a CostGuard. */
export interface BillingAlarmOptions {
  /** Estimated charges of the month, in USD, above which the alarm fires. */
  readonly thresholdAmount: number;
}

/** Properties of a CostGuard. */
export interface CostGuardProps {
  /** Monthly cost budget, in `currency`. */
  readonly monthlyLimit: number;
  /**
   * ISO 4217 code of the budget amounts.
   * @default 'USD'
   */
  readonly currency?: string;
  /**
   * Percentages of `monthlyLimit` whose actual spend sends a notification (1-1000).
   * @default [80, 100]
   */
  readonly actualThresholds?: number[];
  /**
   * Percentages of `monthlyLimit` whose forecasted spend for the month sends a notification (1-1000).
   * @default [100]
   */
  readonly forecastThresholds?: number[];
  /**
   * Whether a daily budget notifies when one day's actual spend exceeds `dailyLimit`.
   * @default true
   */
  readonly dailySpike?: boolean;
  /**
   * Spend of one day that counts as a spike, in `currency` (at most `monthlyLimit`).
   * @default - twice an average day: monthlyLimit / 15, rounded up to the cent
   */
  readonly dailyLimit?: number;
  /**
   * Cost-allocation tags (key to value) the budgets count: only cost of resources carrying
   * every one of them. Keys must be tags RequiredTags applies (`Environment`, `Project`,
   * `Owner`, `CostCenter`, or the `additionalTags` of `requiredTags`). The tags must be
   * activated as cost-allocation tags in the Billing console of the paying account.
   * @default - the `Project` and `Environment` values of `requiredTags` when given,
   * otherwise no filter (the whole account's cost)
   */
  readonly tagFilters?: Record<string, string>;
  /**
   * The RequiredTags aspect that tags the resources: tag filters are checked against the
   * keys and values it applies, so a budget cannot silently count nothing.
   * @default - filters are checked against the four required keys only
   */
  readonly requiredTags?: RequiredTags;
  /**
   * How cost is added up.
   * @default CostMetric.UNBLENDED_COST
   */
  readonly costMetric?: CostMetric;
  /**
   * E-mail addresses Budgets notifies directly, besides the topic (at most 10, the Budgets
   * limit per notification). They need no confirmation.
   * @default - the topic only
   */
  readonly emails?: string[];
  /**
   * An existing topic for the notifications, in this account. The construct adds a statement
   * to its policy letting `budgets.amazonaws.com` publish (imported topics need that added by
   * their owner), and an encrypted topic's key must let `budgets.amazonaws.com` (and, with
   * `billingAlarm`, `cloudwatch.amazonaws.com`) use kms:Decrypt and kms:GenerateDataKey.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly topic?: sns.ITopic;
  /**
   * Key of the topic the construct creates (not allowed with `topic`).
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A CloudWatch alarm on the account's estimated charges (`AWS/Billing` `EstimatedCharges`).
   * The metric exists only in us-east-1, so the stack must be deployed there, and only after
   * "Receive CloudWatch billing alerts" is turned on in the account's billing preferences.
   * @default - no billing alarm
   */
  readonly billingAlarm?: BillingAlarmOptions;
  /**
   * AlarmSet for the billing alarm.
   * @default - a new AlarmSet named after the construct, notifying the cost topic
   */
  readonly alarms?: AlarmSet;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// Budgets limits: notifications per budget, e-mail subscribers per notification.
const MAX_NOTIFICATIONS = 10;
const MAX_EMAILS = 10;
const BILLING_REGION = 'us-east-1';

/**
 * AWS Budgets that watch spend: a monthly cost budget with notifications on actual spend
 * (80 % and 100 %) and on the month's forecast (100 %), and a daily budget that catches a
 * spike within a day. Both count only the cost-allocation tags given (by default the project
 * and environment RequiredTags applies) and notify a KMS-encrypted, TLS-only SNS topic that
 * only Budgets of this account may publish to, plus optional e-mail addresses. An optional
 * CloudWatch billing alarm (us-east-1) watches the account's estimated charges.
 */
export class CostGuard extends Construct {
  /** Topic receiving the notifications. */
  public readonly topic: sns.ITopic;
  /** Key of the topic, when the construct created the topic. */
  public readonly encryptionKey?: kms.IKey;
  /** The monthly cost budget. */
  public readonly monthlyBudget: budgets.CfnBudget;
  /** The daily spike budget, unless `dailySpike` is false. */
  public readonly dailyBudget?: budgets.CfnBudget;
  /** Every budget of the construct. */
  public readonly budgets: budgets.CfnBudget[];
  /** The cost-allocation tags the budgets filter on. */
  public readonly tagFilters: Record<string, string>;
  /** The billing alarm, when `billingAlarm` is set. */
  public readonly billingAlarm?: cloudwatch.Alarm;
  /** The AlarmSet holding the billing alarm, when `billingAlarm` is set. */
  public readonly alarms?: AlarmSet;

  constructor(scope: Construct, id: string, props: CostGuardProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('CostGuard', this);
    args.required('props', props, 'object', 'CostGuardProps (an object)');
    args.required('monthlyLimit', props.monthlyLimit, 'number', 'a number (the monthly budget, in currency)');
    const stack = Stack.of(this);
    this.tagFilters = props.tagFilters ?? defaultTagFilters(props.requiredTags);
    validate(this, props, this.tagFilters);

    if (props.topic) {
      this.topic = props.topic;
    } else {
      const key = props.encryptionKey ?? defaultKey(this);
      allowServiceToDeliver(key, 'budgets', 'AllowBudgetsToPublish');
      this.encryptionKey = key;
      this.topic = new sns.Topic(this, 'Topic', { displayName: 'Cost alerts', masterKey: key, enforceSSL: true });
    }
    // Only Budgets of this account may publish (the form the Budgets user guide gives).
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowBudgetsToPublish',
      principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'budgets', region: '', resource: '*' }) },
      },
    }));

    const subscribers: budgets.CfnBudget.SubscriberProperty[] = [
      { subscriptionType: 'SNS', address: this.topic.topicArn },
      ...(props.emails ?? []).map((address) => ({ subscriptionType: 'EMAIL', address })),
    ];
    const notify = (notificationType: string, threshold: number): budgets.CfnBudget.NotificationWithSubscribersProperty => ({
      notification: { notificationType, threshold, thresholdType: 'PERCENTAGE', comparisonOperator: 'GREATER_THAN' },
      subscribers,
    });
    const budget = (budgetId: string, timeUnit: string, amount: number, notifications: budgets.CfnBudget.NotificationWithSubscribersProperty[]) => {
      const b = new budgets.CfnBudget(this, budgetId, {
        budget: {
          budgetName: this.budgetName(timeUnit.toLowerCase()),
          budgetType: 'COST',
          timeUnit,
          budgetLimit: { amount, unit: props.currency ?? 'USD' },
          // FilterExpression and Metrics replace the deprecated CostFilters and CostTypes.
          metrics: [props.costMetric ?? CostMetric.UNBLENDED_COST],
          filterExpression: tagExpression(this.tagFilters),
        },
        notificationsWithSubscribers: notifications,
      });
      // Budgets checks that it may publish when it creates the notifications.
      b.node.addDependency(this.topic);
      return b;
    };

    this.monthlyBudget = budget('MonthlyBudget', 'MONTHLY', props.monthlyLimit, [
      ...(props.actualThresholds ?? [80, 100]).map((t) => notify('ACTUAL', t)),
      ...(props.forecastThresholds ?? [100]).map((t) => notify('FORECASTED', t)),
    ]);
    this.budgets = [this.monthlyBudget];
    if (props.dailySpike ?? true) {
      // toFixed drops float noise (4.5 / 15 * 100 = 30.000000000000004) before rounding up.
      const dailyLimit = props.dailyLimit ?? Math.ceil(Number((props.monthlyLimit / 15 * 100).toFixed(6))) / 100;
      this.dailyBudget = budget('DailyBudget', 'DAILY', dailyLimit, [notify('ACTUAL', 100)]);
      this.budgets.push(this.dailyBudget);
    }

    if (props.billingAlarm) {
      if (Token.isUnresolved(stack.region)) {
        // Region-agnostic stack: fail the deployment early outside us-east-1.
        new CfnRule(this, 'BillingAlarmRegion', {
          assertions: [{
            assert: Fn.conditionEquals(Aws.REGION, BILLING_REGION),
            assertDescription: `${this.node.path}: billingAlarm needs the stack in ${BILLING_REGION}, the only region with AWS/Billing metrics`,
          }],
        });
      }
      this.alarms = alarmSetFor(this, props.alarms, { topic: this.topic });
      const amount = props.billingAlarm.thresholdAmount;
      this.billingAlarm = this.alarms.addMetricAlarm(props.alarms ? `${stackRelativeName(this, 64, '')}EstimatedCharges` : 'EstimatedCharges', {
        // Billing publishes the month-to-date estimate a few times a day.
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Billing',
          metricName: 'EstimatedCharges',
          dimensionsMap: { Currency: 'USD' },
          statistic: 'Maximum',
          period: Duration.hours(6),
        }),
        threshold: amount,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `${this.node.path}: estimated charges of the month above ${amount} USD`,
      });
      if (!props.alarms && this.encryptionKey) {
        // The alarm publishes to the cost topic this construct created and encrypted.
        allowCloudWatchAlarms(this.encryptionKey);
        this.topic.addToResourcePolicy(new iam.PolicyStatement({
          sid: 'AllowBillingAlarmToPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnEquals: { 'aws:SourceArn': this.billingAlarm.alarmArn },
          },
        }));
      }
    }
  }

  /**
   * `<stack>-<construct path>-<region>-<period>`, at most 100 characters. Budget names are
   * unique per account, not per region: the region keeps two deployments of a stack apart.
   */
  private budgetName(period: string): string {
    const stack = Stack.of(this);
    const regionLength = Token.isUnresolved(stack.region) ? 16 : stack.region.length;
    const room = 100 - regionLength - period.length - 2;
    const readable = `${stack.stackName}-${stackRelativeName(this)}`;
    const base = readable.length <= room ? readable : uniqueName(this, room);
    return `${base}-${stack.region}-${period}`;
  }
}

function defaultTagFilters(requiredTags: RequiredTags | undefined): Record<string, string> {
  if (!requiredTags) return {};
  return { Project: requiredTags.tags.Project, Environment: requiredTags.tags.Environment };
}

/** One tag as a `Tags` expression, several joined with `And`; none gives no filter. */
function tagExpression(tags: Record<string, string>): budgets.CfnBudget.ExpressionProperty | undefined {
  const expressions = Object.keys(tags).sort().map((key) => ({ tags: { key, values: [tags[key]] } }));
  if (expressions.length === 0) return undefined;
  return expressions.length === 1 ? expressions[0] : { and: expressions };
}

function validate(scope: Construct, props: CostGuardProps, tagFilters: Record<string, string>): void {
  const v = new PropsValidator('CostGuard', scope);
  const positive = (prop: string, value: number | undefined, allowed = 'a number > 0') => {
    if (value === undefined || Token.isUnresolved(value)) return;
    v.check(Number.isFinite(value) && value > 0, prop, value, allowed);
  };
  positive('monthlyLimit', props.monthlyLimit);
  v.matches('currency', props.currency, /^[A-Z]{3}$/, 'a three-letter ISO 4217 code such as "USD"');

  const actual = props.actualThresholds ?? [80, 100];
  const forecast = props.forecastThresholds ?? [100];
  for (const [prop, thresholds] of [['actualThresholds', actual], ['forecastThresholds', forecast]] as const) {
    for (const t of thresholds) v.range(prop, t, 1, 1000, false);
    v.check(new Set(thresholds).size === thresholds.length, prop, thresholds, 'distinct percentages');
  }
  const count = actual.length + forecast.length;
  v.check(count >= 1 && count <= MAX_NOTIFICATIONS, 'actualThresholds and forecastThresholds', count,
    `1-${MAX_NOTIFICATIONS} thresholds in all (one Budgets notification each)`);

  if (props.dailySpike === false) {
    v.check(props.dailyLimit === undefined, 'dailyLimit', props.dailyLimit, 'unset when dailySpike is false');
  } else {
    positive('dailyLimit', props.dailyLimit);
    if (props.dailyLimit !== undefined && !Token.isUnresolved(props.dailyLimit) && !Token.isUnresolved(props.monthlyLimit)) {
      v.check(props.dailyLimit <= props.monthlyLimit, 'dailyLimit', props.dailyLimit, `at most monthlyLimit (${props.monthlyLimit})`);
    }
    v.check(props.dailyLimit !== undefined || !Token.isUnresolved(props.monthlyLimit), 'dailyLimit', props.dailyLimit,
      'given when monthlyLimit is a token (its default is derived from monthlyLimit)');
  }

  const emails = props.emails ?? [];
  v.check(emails.length <= MAX_EMAILS, 'emails', emails.length, `at most ${MAX_EMAILS} addresses (the Budgets limit per notification)`);
  for (const email of emails) v.matches('emails', email, EMAIL, 'e-mail addresses');
  v.check(new Set(emails).size === emails.length, 'emails', emails, 'distinct addresses');

  const applied = props.requiredTags?.tags;
  const allowedKeys = applied ? Object.keys(applied) : RequiredTags.REQUIRED_KEYS;
  for (const [key, value] of Object.entries(tagFilters)) {
    v.check(allowedKeys.includes(key), 'tagFilters', key, `keyed by tags RequiredTags applies (${allowedKeys.join(', ')})`);
    if (applied) {
      v.check(value === applied[key], `tagFilters.${key}`, value, `"${applied[key]}", the value RequiredTags applies`);
    } else {
      v.check(RequiredTags.isValidTagValue(value), `tagFilters.${key}`, value, RequiredTags.TAG_VALUE_RULE);
    }
  }

  v.check(props.topic === undefined || props.encryptionKey === undefined, 'encryptionKey', 'set',
    'unset when topic is given (the topic\'s owner chooses its key)');
  if (props.billingAlarm) {
    positive('billingAlarm.thresholdAmount', props.billingAlarm.thresholdAmount, 'a number > 0 (USD)');
    const region = Stack.of(scope).region;
    if (!Token.isUnresolved(region)) {
      v.check(region === BILLING_REGION, 'the stack region', region,
        `${BILLING_REGION} for billingAlarm (AWS/Billing metrics exist only there; remove billingAlarm or deploy the stack to ${BILLING_REGION})`);
    }
  } else {
    v.check(props.alarms === undefined, 'alarms', 'set', 'unset without billingAlarm (the budgets raise no CloudWatch alarms)');
  }
}
