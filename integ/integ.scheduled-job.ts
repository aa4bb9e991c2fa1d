import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig, ScheduledJob } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegScheduledJob');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Logs the input it was given, so a run of a schedule shows up in the function's log group.
const refresh = new EnhancedLambdaFunction(stack, 'Refresh', {
  code: lambda.Code.fromInline('exports.handler = async (event) => { console.log(JSON.stringify({ received: event })); return {}; };'),
  serviceName: 'refresh',
});

const job = new ScheduledJob(stack, 'Feeds', {
  handler: refresh,
  schedules: [
    // Fires every minute so the run can see an invocation; the others show the cron forms.
    { name: 'every-minute', rate: Duration.minutes(1), input: { mode: 'recent', marker: 'scheduled-job-integ' } },
    { name: 'daily-full', cron: '0 3 * * ? *', input: { mode: 'full' } },
    { name: 'weekly-sunday', cron: '30 4 ? * SUN *', timeZone: 'Europe/Paris', flexibleWindow: Duration.minutes(30), input: { mode: 'full', compact: true } },
  ],
  retryAttempts: 3,
  maxEventAge: Duration.minutes(30),
});

const integ = new IntegTest(app, 'ScheduledJobIntegTest', { testCases: [stack] });
const GroupName = job.scheduleGroup.scheduleGroupName;
const keyArn = job.encryptionKey.keyArn;
const target = {
  Arn: refresh.invocationTarget.functionArn,
  RoleArn: job.role.roleArn,
  DeadLetterConfig: { Arn: job.deadLetterQueue.queueArn },
  RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 1800 },
};

// Each schedule as Scheduler holds it: expression, time zone, window, CMK, the alias as target,
// the retry policy and the DLQ. Reading a schedule encrypted with a CMK needs kms:Decrypt.
const schedules = [
  { Name: 'daily-full', ScheduleExpression: 'cron(0 3 * * ? *)', ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' } },
  {
    Name: 'weekly-sunday',
    ScheduleExpression: 'cron(30 4 ? * SUN *)',
    ScheduleExpressionTimezone: 'Europe/Paris',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
  },
];
for (const expected of schedules) {
  const call = integ.assertions.awsApiCall('Scheduler', 'getSchedule', { GroupName, Name: expected.Name });
  call.expect(ExpectedResult.objectLike({ ...expected, GroupName, State: 'ENABLED', KmsKeyArn: keyArn, Target: Match.objectLike(target) }));
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [keyArn] });
}

// The dead-letter queue is encrypted with the customer-managed key.
integ.assertions.awsApiCall('SQS', 'getQueueAttributes', { QueueUrl: job.deadLetterQueue.queueUrl, AttributeNames: ['KmsMasterKeyId', 'MessageRetentionPeriod'] })
  .expect(ExpectedResult.objectLike({ Attributes: { KmsMasterKeyId: keyArn, MessageRetentionPeriod: '1209600' } }));

// Within a few minutes the every-minute schedule has invoked the function with its input.
integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', { logGroupName: refresh.logGroup.logGroupName, filterPattern: '"scheduled-job-integ"' })
  .expect(ExpectedResult.objectLike({ events: Match.arrayWith([Match.objectLike({ message: Match.stringLikeRegexp('"mode":"recent"') })]) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(6), interval: Duration.seconds(30) });

app.synth();
