import { App, CfnElement, CfnParameter, Stack, aws_kms as kms, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CostGuard, CostGuardProps, CostMetric } from '../../src/cost';
import { RequiredTags } from '../../src/governance/required-tags';
import { AlarmSet } from '../../src/monitoring/alarm-set';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const BUDGETS_SOURCE = {
  StringEquals: { 'aws:SourceAccount': '123456789012' },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::123456789012:*']] } },
};

function resourceOf(stack: Stack, template: Template, element: unknown): any {
  return template.toJSON().Resources[stack.getLogicalId(element as CfnElement)];
}

function notifications(budget: any): Array<[string, number, string[]]> {
  return budget.Properties.NotificationsWithSubscribers.map((n: any) => [
    n.Notification.NotificationType,
    n.Notification.Threshold,
    n.Subscribers.map((s: any) => s.SubscriptionType),
  ]);
}

function topicStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** Template rules other than the synthesizer's bootstrap-version check. */
function ownRules(template: Template): any[] {
  return Object.entries(template.toJSON().Rules ?? {}).filter(([id]) => id !== 'CheckBootstrapVersion').map(([, rule]) => rule);
}

function keyStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::KMS::Key')).flatMap((k: any) => k.Properties.KeyPolicy.Statement);
}

describe('CostGuard with default props', () => {
  let stack: Stack;
  let guard: CostGuard;
  let template: Template;
  let monthly: any;
  let daily: any;
  beforeAll(() => {
    stack = testStack();
    guard = new CostGuard(stack, 'Costs', { monthlyLimit: 300 });
    template = Template.fromStack(stack);
    monthly = resourceOf(stack, template, guard.monthlyBudget);
    daily = resourceOf(stack, template, guard.dailyBudget);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('a monthly cost budget notifies at 80 % and 100 % actual and 100 % forecasted spend', () => {
    expect(monthly.Properties.Budget).toEqual({
      BudgetName: 'Test-Costs-eu-west-1-monthly',
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: 300, Unit: 'USD' },
      Metrics: ['UnblendedCost'],
    });
    expect(notifications(monthly)).toEqual([['ACTUAL', 80, ['SNS']], ['ACTUAL', 100, ['SNS']], ['FORECASTED', 100, ['SNS']]]);
    for (const n of monthly.Properties.NotificationsWithSubscribers) {
      expect(n.Notification).toMatchObject({ ComparisonOperator: 'GREATER_THAN', ThresholdType: 'PERCENTAGE' });
      expect(n.Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: stack.resolve(guard.topic.topicArn) }]);
    }
  });

  test('a daily budget of twice an average day catches a spike on actual spend', () => {
    expect(daily.Properties.Budget).toMatchObject({
      BudgetName: 'Test-Costs-eu-west-1-daily',
      TimeUnit: 'DAILY',
      BudgetLimit: { Amount: 20, Unit: 'USD' },
    });
    expect(notifications(daily)).toEqual([['ACTUAL', 100, ['SNS']]]);
    expect(guard.budgets).toEqual([guard.monthlyBudget, guard.dailyBudget]);
  });

  test('without tag filters the budgets count the whole account', () => {
    expect(guard.tagFilters).toEqual({});
    expect(monthly.Properties.Budget.FilterExpression).toBeUndefined();
    expect(monthly.Properties.Budget.CostFilters).toBeUndefined();
  });

  test('the topic is encrypted with the stack key and TLS-only; only Budgets of this account may publish', () => {
    const key = stack.node.findChild('CloudVaultDefaultKey') as kms.Key;
    expect(guard.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(key.keyArn) });
    const statements = topicStatements(template);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual({
      Sid: 'AllowBudgetsToPublish',
      Effect: 'Allow',
      Principal: { Service: 'budgets.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: stack.resolve(guard.topic.topicArn),
      Condition: BUDGETS_SOURCE,
    });
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(1);
  });

  test('the key lets Budgets of this account encrypt messages for the topic, and nothing else is added', () => {
    const statements = keyStatements(template);
    expect(statements).toContainEqual({
      Sid: 'AllowBudgetsToPublish',
      Effect: 'Allow',
      Principal: { Service: 'budgets.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(statements.map((s) => s.Principal.Service).filter(Boolean)).toEqual(['budgets.amazonaws.com']);
  });

  test('the budgets are created after the topic policy that lets them publish', () => {
    const policyId = Object.keys(template.findResources('AWS::SNS::TopicPolicy'))[0];
    expect(monthly.DependsOn).toContain(policyId);
    expect(daily.DependsOn).toContain(policyId);
  });

  test('raises no CloudWatch alarm without billingAlarm', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(guard.alarms).toBeUndefined();
    expect(ownRules(template)).toEqual([]);
  });
});

describe('CostGuard with a rich configuration in us-east-1', () => {
  let stack: Stack;
  let key: kms.Key;
  let requiredTags: RequiredTags;
  let guard: CostGuard;
  let projectGuard: CostGuard;
  let template: Template;
  let monthly: any;
  beforeAll(() => {
    const app = testApp();
    stack = new Stack(app, 'Billing', { env: { account: '123456789012', region: 'us-east-1' } });
    requiredTags = RequiredTags.applyTo(stack, {
      environment: 'prod', project: 'cloudvault', owner: 'platform', costCenter: 'cc-42', additionalTags: { Team: 'storage' },
    });
    key = testKey(stack, 'CostKey', { enableKeyRotation: true });
    guard = new CostGuard(stack, 'Costs', {
      monthlyLimit: 1000,
      currency: 'USD',
      actualThresholds: [50, 90],
      forecastThresholds: [100, 120],
      dailyLimit: 80,
      tagFilters: { Team: 'storage', Project: 'cloudvault' },
      requiredTags,
      costMetric: CostMetric.AMORTIZED_COST,
      emails: ['finops@example.com', 'owner@example.com'],
      encryptionKey: key,
      billingAlarm: { thresholdAmount: 1500 },
    });
    // A second guard on the first one's topic, filtered by RequiredTags' project and environment.
    projectGuard = new CostGuard(stack, 'ProjectCosts', { monthlyLimit: 200, requiredTags, dailySpike: false, topic: guard.topic });
    template = Template.fromStack(stack);
    monthly = resourceOf(stack, template, guard.monthlyBudget);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('the budgets count the given cost-allocation tags with the chosen metric', () => {
    expect(monthly.Properties.Budget).toEqual({
      BudgetName: 'Billing-Costs-us-east-1-monthly',
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: 1000, Unit: 'USD' },
      Metrics: ['AmortizedCost'],
      FilterExpression: { And: [{ Tags: { Key: 'Project', Values: ['cloudvault'] } }, { Tags: { Key: 'Team', Values: ['storage'] } }] },
    });
    expect(resourceOf(stack, template, guard.dailyBudget).Properties.Budget).toMatchObject({
      TimeUnit: 'DAILY',
      BudgetLimit: { Amount: 80, Unit: 'USD' },
      FilterExpression: monthly.Properties.Budget.FilterExpression,
    });
  });

  test('every notification goes to the topic and the e-mail addresses at the given thresholds', () => {
    const all = ['SNS', 'EMAIL', 'EMAIL'];
    expect(notifications(monthly)).toEqual([['ACTUAL', 50, all], ['ACTUAL', 90, all], ['FORECASTED', 100, all], ['FORECASTED', 120, all]]);
    expect(monthly.Properties.NotificationsWithSubscribers[0].Subscribers.slice(1)).toEqual([
      { SubscriptionType: 'EMAIL', Address: 'finops@example.com' },
      { SubscriptionType: 'EMAIL', Address: 'owner@example.com' },
    ]);
  });

  test('with requiredTags and no tagFilters a guard filters on its Project and Environment', () => {
    expect(projectGuard.tagFilters).toEqual({ Project: 'cloudvault', Environment: 'prod' });
    const budget = resourceOf(stack, template, projectGuard.monthlyBudget);
    expect(budget.Properties.Budget.FilterExpression).toEqual({
      And: [{ Tags: { Key: 'Environment', Values: ['prod'] } }, { Tags: { Key: 'Project', Values: ['cloudvault'] } }],
    });
    expect(projectGuard.budgets).toEqual([projectGuard.monthlyBudget]);
    expect(projectGuard.dailyBudget).toBeUndefined();
    expect(budget.Properties.NotificationsWithSubscribers[0].Subscribers).toEqual([{ SubscriptionType: 'SNS', Address: stack.resolve(guard.topic.topicArn) }]);
  });

  test('the budgets carry the tags RequiredTags applies', () => {
    expect(monthly.Properties.ResourceTags).toEqual(expect.arrayContaining([
      { Key: 'Project', Value: 'cloudvault' }, { Key: 'CostCenter', Value: 'cc-42' }, { Key: 'Team', Value: 'storage' },
    ]));
  });

  test('the billing alarm watches estimated charges in USD and notifies the cost topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Billing',
      MetricName: 'EstimatedCharges',
      Dimensions: [{ Name: 'Currency', Value: 'USD' }],
      Statistic: 'Maximum',
      Period: 21600,
      Threshold: 1500,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [stack.resolve(guard.topic.topicArn)],
    });
    expect(guard.alarms!.topic).toBe(guard.topic);
    expect(guard.alarms!.alarms).toEqual([guard.billingAlarm]);
    expect(ownRules(template)).toEqual([]);
  });

  test('the given key and the topic policy let only this alarm and Budgets of this account publish', () => {
    const topic = stack.resolve(guard.topic.topicArn);
    const allows = topicStatements(template).filter((s) => s.Effect === 'Allow');
    // The second guard's identical Budgets statement is merged into the first.
    expect(allows).toEqual([
      { Sid: 'AllowBudgetsToPublish', Effect: 'Allow', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sns:Publish', Resource: topic, Condition: BUDGETS_SOURCE },
      {
        Sid: 'AllowBillingAlarmToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic,
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnEquals: { 'aws:SourceArn': stack.resolve(guard.billingAlarm!.alarmArn) },
        },
      },
    ]);
    const services = keyStatements(template).filter((s) => s.Principal.Service).map((s) => s.Principal.Service);
    expect(services.sort()).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(key.keyArn) });
    expect(stack.node.tryFindChild('CloudVaultDefaultKey')).toBeUndefined();
  });
});

describe('CostGuard in a region-agnostic stack, with a shared AlarmSet', () => {
  let stack: Stack;
  let guard: CostGuard;
  let alarms: AlarmSet;
  let template: Template;
  beforeAll(() => {
    stack = new Stack(new App(), 'Agnostic');
    alarms = new AlarmSet(stack, 'Ops');
    guard = new CostGuard(stack, 'Costs', { monthlyLimit: 100, billingAlarm: { thresholdAmount: 150 }, alarms });
    template = Template.fromStack(stack);
  });

  test('a template rule stops deployment outside us-east-1', () => {
    expect(ownRules(template)).toEqual([{
      Assertions: [{
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
        AssertDescription: 'Agnostic/Costs: billingAlarm needs the stack in us-east-1, the only region with AWS/Billing metrics',
      }],
    }]);
  });

  test('the billing alarm joins the shared set under a prefixed id and notifies its topic', () => {
    expect(guard.alarms).toBe(alarms);
    expect(guard.billingAlarm!.node.id).toBe('CostsEstimatedCharges');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EstimatedCharges', AlarmActions: [stack.resolve(alarms.topic.topicArn)] });
    // The shared set's topic keeps only the AlarmSet's own CloudWatch statement: CostGuard adds none to a topic it does not own.
    expect(topicStatements(template).filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com').map((s) => s.Sid))
      .toEqual(['AllowCloudWatchAlarmsOfThisAccount']);
  });

  test('budget names carry the deployment region', () => {
    const budget = resourceOf(stack, template, guard.monthlyBudget);
    expect(budget.Properties.Budget.BudgetName).toEqual({ 'Fn::Join': ['', ['Agnostic-Costs-', { Ref: 'AWS::Region' }, '-monthly']] });
  });
});

describe('CostGuard names, topics and keys', () => {
  test('a long construct path is shortened to a unique budget name of at most 100 characters', () => {
    const stack = testStack(testApp(), 'A'.repeat(60));
    const guard = new CostGuard(stack, 'B'.repeat(40), { monthlyLimit: 10 });
    const name: string = stack.resolve((guard.monthlyBudget.budget as any).budgetName);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^A+B+-[0-9A-F]{8}-eu-west-1-monthly$/);
  });

  test('an existing topic gets the Budgets publish statement; no key or topic is created', () => {
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Existing', { masterKey: testKey(stack, 'K', { enableKeyRotation: true }), enforceSSL: true });
    const guard = new CostGuard(stack, 'Costs', { monthlyLimit: 10, topic });
    const template = Template.fromStack(stack);
    expect(guard.topic).toBe(topic);
    expect(guard.encryptionKey).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(topicStatements(template)).toContainEqual(expect.objectContaining({ Sid: 'AllowBudgetsToPublish', Principal: { Service: 'budgets.amazonaws.com' } }));
    expect(keyStatements(template).filter((s) => s.Principal.Service)).toEqual([]);
  });

  test('the default daily limit is rounded up to the cent without float noise', () => {
    const guard = new CostGuard(testStack(), 'Costs', { monthlyLimit: 4.5 });
    expect((guard.dailyBudget!.budget as any).budgetLimit.amount).toBe(0.3);
    const odd = new CostGuard(testStack(), 'Costs', { monthlyLimit: 100 });
    expect((odd.dailyBudget!.budget as any).budgetLimit.amount).toBe(6.67);
  });

  test('a token monthly limit is accepted with an explicit daily limit', () => {
    const stack = testStack();
    const limit = new CfnParameter(stack, 'Limit', { type: 'Number' }).valueAsNumber;
    const guard = new CostGuard(stack, 'Costs', { monthlyLimit: limit, dailyLimit: 5 });
    expect(stack.resolve((guard.monthlyBudget.budget as any).budgetLimit)).toEqual({ amount: { Ref: 'Limit' }, unit: 'USD' });
  });
});

describe('CostGuard validation', () => {
  const make = (props: Partial<CostGuardProps>, region = 'eu-west-1') => {
    const stack = new Stack(testApp(), 'V', { env: { account: '123456789012', region } });
    return new CostGuard(stack, 'Costs', { monthlyLimit: 100, ...props });
  };
  const tags = () => new RequiredTags({ environment: 'prod', project: 'cloudvault', owner: 'platform', costCenter: 'cc-42', additionalTags: { Team: 'storage' } });

  test.each<[string, Partial<CostGuardProps>, string]>([
    ['a zero budget', { monthlyLimit: 0 }, 'CostGuard "Costs" (V/Costs): monthlyLimit must be a number > 0, got 0'],
    ['a negative budget', { monthlyLimit: -5 }, 'CostGuard "Costs" (V/Costs): monthlyLimit must be a number > 0, got -5'],
    ['a lower-case currency', { currency: 'usd' }, 'CostGuard "Costs" (V/Costs): currency must be a three-letter ISO 4217 code such as "USD", got "usd"'],
    ['a threshold of 0 %', { actualThresholds: [0, 100] }, 'CostGuard "Costs" (V/Costs): actualThresholds must be 1-1000, got 0'],
    ['a threshold above 1000 %', { forecastThresholds: [1001] }, 'CostGuard "Costs" (V/Costs): forecastThresholds must be 1-1000, got 1001'],
    ['a repeated threshold', { actualThresholds: [80, 80] }, 'CostGuard "Costs" (V/Costs): actualThresholds must be distinct percentages, got [80, 80]'],
    ['no threshold at all', { actualThresholds: [], forecastThresholds: [] },
      'CostGuard "Costs" (V/Costs): actualThresholds and forecastThresholds must be 1-10 thresholds in all (one Budgets notification each), got 0'],
    ['eleven thresholds', { actualThresholds: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], forecastThresholds: [100] },
      'CostGuard "Costs" (V/Costs): actualThresholds and forecastThresholds must be 1-10 thresholds in all (one Budgets notification each), got 11'],
    ['a zero daily limit', { dailyLimit: 0 }, 'CostGuard "Costs" (V/Costs): dailyLimit must be a number > 0, got 0'],
    ['a daily limit above the monthly one', { dailyLimit: 150 }, 'CostGuard "Costs" (V/Costs): dailyLimit must be at most monthlyLimit (100), got 150'],
    ['a daily limit without the daily budget', { dailySpike: false, dailyLimit: 5 }, 'CostGuard "Costs" (V/Costs): dailyLimit must be unset when dailySpike is false, got 5'],
    ['a malformed e-mail address', { emails: ['finops.example.com'] }, 'CostGuard "Costs" (V/Costs): emails must be e-mail addresses, got "finops.example.com"'],
    ['a repeated e-mail address', { emails: ['a@example.com', 'a@example.com'] },
      'CostGuard "Costs" (V/Costs): emails must be distinct addresses, got ["a@example.com", "a@example.com"]'],
    ['eleven e-mail addresses', { emails: Array.from({ length: 11 }, (_, i) => `u${i}@example.com`) },
      'CostGuard "Costs" (V/Costs): emails must be at most 10 addresses (the Budgets limit per notification), got 11'],
    ['a tag key RequiredTags does not apply', { tagFilters: { Team: 'storage' } },
      'CostGuard "Costs" (V/Costs): tagFilters must be keyed by tags RequiredTags applies (Environment, Project, Owner, CostCenter), got "Team"'],
    ['a malformed tag value', { tagFilters: { Project: 'cloud*vault' } },
      'CostGuard "Costs" (V/Costs): tagFilters.Project must be a non-empty tag value of up to 256 letters, digits, spaces and _ . : / = + - @, got "cloud*vault"'],
    ['a tag value RequiredTags does not apply', { requiredTags: tags(), tagFilters: { Project: 'cloudvalt' } },
      'CostGuard "Costs" (V/Costs): tagFilters.Project must be "cloudvault", the value RequiredTags applies, got "cloudvalt"'],
    ['a tag key outside the given RequiredTags', { requiredTags: tags(), tagFilters: { Tier: 'gold' } },
      'CostGuard "Costs" (V/Costs): tagFilters must be keyed by tags RequiredTags applies (Team, Environment, Project, Owner, CostCenter), got "Tier"'],
    ['a zero billing alarm threshold', { billingAlarm: { thresholdAmount: 0 } },
      'CostGuard "Costs" (V/Costs): billingAlarm.thresholdAmount must be a number > 0 (USD), got 0'],
    ['a billing alarm outside us-east-1', { billingAlarm: { thresholdAmount: 100 } },
      'CostGuard "Costs" (V/Costs): the stack region must be us-east-1 for billingAlarm (AWS/Billing metrics exist only there; remove billingAlarm or deploy the stack to us-east-1), got "eu-west-1"'],
    ['a shared AlarmSet without billing alarm', { alarms: {} as AlarmSet },
      'CostGuard "Costs" (V/Costs): alarms must be unset without billingAlarm (the budgets raise no CloudWatch alarms), got "set"'],
  ])('rejects %s', (_name, props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('rejects a key together with an existing topic', () => {
    const stack = testStack();
    const topic = sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:123456789012:costs');
    expect(() => new CostGuard(stack, 'Costs', { monthlyLimit: 10, topic, encryptionKey: testKey(stack, 'K') })).toThrow(
      'CostGuard "Costs" (Test/Costs): encryptionKey must be unset when topic is given (the topic\'s owner chooses its key), got "set"');
  });

  test('rejects a token monthly limit without a daily limit', () => {
    const stack = testStack();
    const limit = new CfnParameter(stack, 'Limit', { type: 'Number' }).valueAsNumber;
    expect(() => new CostGuard(stack, 'Costs', { monthlyLimit: limit })).toThrow(
      'CostGuard "Costs" (Test/Costs): dailyLimit must be given when monthlyLimit is a token (its default is derived from monthlyLimit), got undefined');
  });

  test('accepts the limits themselves', () => {
    expect(() => make({
      actualThresholds: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      forecastThresholds: [1000],
      dailyLimit: 100,
      emails: Array.from({ length: 10 }, (_, i) => `u${i}@example.com`),
      billingAlarm: { thresholdAmount: 1 },
    }, 'us-east-1')).not.toThrow();
  });
});
