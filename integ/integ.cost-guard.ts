import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_budgets as budgets } from 'aws-cdk-lib';
import { EnvironmentConfig, RequiredTags, CostGuard } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegCostGuard');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const requiredTags = RequiredTags.applyTo(stack, { environment: 'integ', project: 'cloudvault', owner: 'platform-team', costCenter: 'CC-1234' });
const guard = new CostGuard(stack, 'Costs', {
  monthlyLimit: 100,
  requiredTags,
  emails: ['cost-alerts@example.com'],
  billingAlarm: { thresholdAmount: 150 },
});

// AWS/Billing metrics exist only in us-east-1 (the stack's template rule enforces it too).
const integ = new IntegTest(app, 'CostGuardIntegTest', { testCases: [stack], regions: ['us-east-1'] });
const budgetName = (budget: budgets.CfnBudget) => (budget.budget as budgets.CfnBudget.BudgetDataProperty).budgetName!;
const tagFilter = Match.arrayWith([
  Match.objectLike({ Tags: Match.objectLike({ Key: 'Environment', Values: ['integ'] }) }),
  Match.objectLike({ Tags: Match.objectLike({ Key: 'Project', Values: ['cloudvault'] }) }),
]);

// The monthly budget has the limit and counts only cost tagged with the project and environment
// RequiredTags applies.
integ.assertions.awsApiCall('Budgets', 'describeBudget', {
  AccountId: stack.account,
  BudgetName: budgetName(guard.monthlyBudget),
  ShowFilterExpression: true,
}).expect(ExpectedResult.objectLike({
  Budget: Match.objectLike({
    BudgetType: 'COST',
    TimeUnit: 'MONTHLY',
    BudgetLimit: { Amount: Match.stringLikeRegexp('^100(\\.0*)?$'), Unit: 'USD' },
    Metrics: ['UnblendedCost'],
    FilterExpression: Match.objectLike({ And: tagFilter }),
  }),
}));

// The daily spike budget is twice an average day (100 / 15, rounded up to the cent).
integ.assertions.awsApiCall('Budgets', 'describeBudget', {
  AccountId: stack.account,
  BudgetName: budgetName(guard.dailyBudget!),
  ShowFilterExpression: true,
}).expect(ExpectedResult.objectLike({
  Budget: Match.objectLike({
    TimeUnit: 'DAILY',
    BudgetLimit: { Amount: Match.stringLikeRegexp('^6\\.67(0*)?$'), Unit: 'USD' },
    FilterExpression: Match.objectLike({ And: tagFilter }),
  }),
}));

// Budgets warns before the month is over: a notification on the forecast at 100 %.
integ.assertions.awsApiCall('Budgets', 'describeNotificationsForBudget', {
  AccountId: stack.account,
  BudgetName: budgetName(guard.monthlyBudget),
}).expect(ExpectedResult.objectLike({
  Notifications: Match.arrayWith([
    Match.objectLike({ NotificationType: 'FORECASTED', Threshold: 100, ThresholdType: 'PERCENTAGE', ComparisonOperator: 'GREATER_THAN' }),
  ]),
}));

// The topic is encrypted with the stack's customer-managed key, and its policy names Budgets.
integ.assertions.awsApiCall('SNS', 'getTopicAttributes', { TopicArn: guard.topic.topicArn })
  .expect(ExpectedResult.objectLike({
    Attributes: Match.objectLike({
      KmsMasterKeyId: guard.encryptionKey!.keyArn,
      Policy: Match.stringLikeRegexp('budgets\\.amazonaws\\.com'),
    }),
  }));

// The billing alarm watches the account's estimated charges in USD and notifies the cost topic.
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', { AlarmNames: [guard.billingAlarm!.alarmName] })
  .expect(ExpectedResult.objectLike({
    MetricAlarms: [Match.objectLike({
      Namespace: 'AWS/Billing',
      MetricName: 'EstimatedCharges',
      Dimensions: [{ Name: 'Currency', Value: 'USD' }],
      Threshold: 150,
      AlarmActions: [guard.topic.topicArn],
    })],
  }));

app.synth();
