import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { AlarmSet, EnvironmentConfig, OperationsDashboard } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegAlarmSet');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const metric = (metricName: string) => new cloudwatch.Metric({
  namespace: 'CloudVault/Integ',
  metricName,
  statistic: 'Sum',
  period: Duration.minutes(5),
});

const alarms = new AlarmSet(stack, 'Ops');
alarms.addMetricAlarm('FailedOrders', { metric: metric('FailedOrders'), threshold: 5 });
alarms.addMathAlarm('ErrorRate', {
  expression: 'errors / MAX([requests, 1]) * 100',
  usingMetrics: { errors: metric('Errors'), requests: metric('Requests') },
  threshold: 5,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
});
alarms.addCompositeAlarm();
const dashboard = new OperationsDashboard(stack, 'Dashboard');

const integ = new IntegTest(app, 'AlarmSetIntegTest', { testCases: [stack] });
const prefix = `${stack.stackName}-Ops-`;

// The set's alarms exist under the stack-and-set name prefix and notify the set's topic;
// dev keeps actions off. describeAlarms lists them sorted by name.
const notifies = { ActionsEnabled: false, AlarmActions: [alarms.topic.topicArn], OKActions: [alarms.topic.topicArn] };
integ.assertions.awsApiCall('CloudWatch', 'describeAlarms', {
  AlarmNamePrefix: prefix,
  AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
}).expect(ExpectedResult.objectLike({
  MetricAlarms: Match.arrayWith([
    Match.objectLike({ AlarmName: `${prefix}ErrorRate`, Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 2, ...notifies }),
    Match.objectLike({ AlarmName: `${prefix}FailedOrders`, Threshold: 5, MetricName: 'FailedOrders', ...notifies }),
  ]),
  CompositeAlarms: [Match.objectLike({ AlarmName: `${prefix}Any`, ...notifies })],
}));

// The alarm topic is encrypted with the stack's customer-managed key.
integ.assertions.awsApiCall('SNS', 'getTopicAttributes', { TopicArn: alarms.topic.topicArn })
  .expect(ExpectedResult.objectLike({
    Attributes: Match.objectLike({ KmsMasterKeyId: alarms.topic.masterKey!.keyArn }),
  }));

// The dashboard rendered the set at synthesis: a status row of the set's two metric alarms.
integ.assertions.awsApiCall('CloudWatch', 'getDashboard', { DashboardName: dashboard.dashboard.dashboardName })
  .expect(ExpectedResult.objectLike({
    DashboardBody: Match.stringLikeRegexp(`"Ops \\(2 alarms\\)".*:alarm:${prefix}FailedOrders".*:alarm:${prefix}ErrorRate"`),
  }));

app.synth();
