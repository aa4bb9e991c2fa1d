import { Duration, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet, EnvironmentConfig } from '../../src';
import { EnhancedLambdaFunction } from '../../src/compute';
import { ScheduledJob, ScheduledJobProps } from '../../src/events';
import { cronError, isTimeZone } from '../../src/events/schedule-expression';
import { expectNagClean, testStack } from '../support/nag-harness';
import { testKey } from '../support/test-key';

const code = lambda.Code.fromInline('exports.handler = async () => ({})');

function statementsOf(template: Template, policyIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  return Object.entries(policies)
    .filter(([logicalId]) => logicalId.startsWith(policyIdPrefix))
    .flatMap(([, p]: any) => p.Properties.PolicyDocument.Statement);
}

describe('ScheduledJob with default props', () => {
  let stack: Stack;
  let job: ScheduledJob;
  let fn: EnhancedLambdaFunction;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    fn = new EnhancedLambdaFunction(stack, 'Refresh', { code });
    job = new ScheduledJob(stack, 'Job', { handler: fn, schedules: [{ name: 'hourly', rate: Duration.hours(1) }] });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('schedules the function in its own group, with retries, a DLQ and a CMK for the input', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'hourly',
      GroupName: job.scheduleGroup.scheduleGroupName,
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshFunction'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobSchedulerRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobDeadLetterQueue'), 'Arn'] } },
        Input: Match.absent(),
      },
    });
  });

  test('creates the schedule after its group and the scheduler role\'s permissions', () => {
    const group = stack.resolve((job.scheduleGroup.node.defaultChild as any).logicalId);
    const policy = stack.resolve((job.role.node.findChild('Policy').node.defaultChild as any).logicalId);
    template.hasResource('AWS::Scheduler::Schedule', { DependsOn: Match.arrayWith([group, policy]) });
    expect(job.scheduleGroup.scheduleGroupName).toMatch(/^Test-Job-[0-9A-F]{8}$/);
  });

  test('creates a KMS-encrypted, TLS-only dead-letter queue kept 14 days and retained in prod', () => {
    template.hasResource('AWS::SQS::Queue', {
      Properties: { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CloudVaultDefaultKey'), 'Arn'] }, MessageRetentionPeriod: 1209600 },
      DeletionPolicy: 'Retain',
    });
    const dlq = stack.resolve((job.deadLetterQueue.node.defaultChild as any).logicalId);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the scheduler role trusts only schedules of this account and group', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobGroup'), 'Arn'] } } },
        }],
      },
      Policies: Match.absent(),
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('the scheduler role may only invoke the function (no other version), send to the DLQ and use the key: no wildcards', () => {
    const statements = statementsOf(template, 'JobSchedulerRolePolicy');
    const byAction = (action: string) => statements.filter((s) => [].concat(s.Action).includes(action as never));
    expect(byAction('lambda:InvokeFunction').map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^RefreshFunction/), 'Arn'] }]);
    expect(byAction('sqs:SendMessage').map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^JobDeadLetterQueue/), 'Arn'] }]);
    expect(byAction('kms:GenerateDataKey').map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^CloudVaultDefaultKey/), 'Arn'] }]);
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(new Set(actions)).toEqual(new Set(['lambda:InvokeFunction', 'sqs:SendMessage', 'kms:GenerateDataKey', 'kms:Decrypt']));
    expect(statements.every((s) => s.Resource !== '*')).toBe(true);
  });

  test('adds the DLQ depth and failed-to-DLQ alarms to the function\'s AlarmSet', () => {
    expect(job.alarms).toBe(fn.alarms);
    expect(fn.alarms.alarms).toHaveLength(6); // 4 of the function + 2 of the job
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobDeadLetterQueue'), 'QueueName'] } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Scheduler',
      MetricName: 'InvocationsFailedToBeSentToDeadLetterCount',
      Dimensions: [{ Name: 'ScheduleGroup', Value: job.scheduleGroup.scheduleGroupName }],
      Threshold: 1,
    });
  });
});

describe('ScheduledJob with several schedules and a rich configuration', () => {
  let stack: Stack;
  let job: ScheduledJob;
  let template: Template;
  let alarms: AlarmSet;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    const fn = new EnhancedLambdaFunction(stack, 'Feeds', { code, timeout: Duration.minutes(5) });
    const key = testKey(stack, 'JobKey', { enableKeyRotation: true });
    alarms = new AlarmSet(stack, 'Ops');
    job = new ScheduledJob(stack, 'Refresh', {
      handler: fn,
      schedules: [
        { name: 'hourly-recent', rate: Duration.hours(1), input: { mode: 'recent', lookbackHours: 2 } },
        { name: 'daily-full', cron: '0 3 * * ? *', input: { mode: 'full' }, description: 'Full refresh at 03:00 UTC' },
        { name: 'weekly-sunday', cron: 'cron(30 4 ? * SUN *)', timeZone: 'Europe/Paris', flexibleWindow: Duration.minutes(30), input: { mode: 'full', compact: true } },
        { name: 'month-end', cron: '0 22 L * ? *', enabled: false },
      ],
      retryAttempts: 3,
      maxEventAge: Duration.minutes(30),
      encryptionKey: key,
      alarms,
      scheduleGroupName: 'feeds-refresh',
    });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates one schedule per definition with its expression, time zone, window, state and input', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 4);
    expect(job.schedules).toHaveLength(4);
    const common = { GroupName: 'feeds-refresh', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobKey'), 'Arn'] } };
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ...common,
      Name: 'hourly-recent',
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Input: '{"mode":"recent","lookbackHours":2}' }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ...common,
      Name: 'daily-full',
      Description: 'Full refresh at 03:00 UTC',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ Input: '{"mode":"full"}' }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ...common,
      Name: 'weekly-sunday',
      ScheduleExpression: 'cron(30 4 ? * SUN *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
      Target: Match.objectLike({ Input: '{"mode":"full","compact":true}' }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'month-end', ScheduleExpression: 'cron(0 22 L * ? *)', State: 'DISABLED' });
  });

  test('applies the retry policy to every schedule', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.map((s: any) => s.Properties.Target.RetryPolicy)).toEqual(
      Array(4).fill({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 1800 }));
  });

  test('names the schedule group and encrypts the DLQ with the given key, destroyed in dev', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'feeds-refresh' });
    template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobKey'), 'Arn'] } }),
      DeletionPolicy: 'Delete',
    });
    expect(job.encryptionKey.node.id).toBe('JobKey');
  });

  test('puts the alarms in the given AlarmSet, with ids prefixed by the job path', () => {
    expect(alarms.alarms.map((a) => a.node.id)).toEqual(['RefreshDeadLettersDepth', 'RefreshFailedToDeadLetter']);
  });
});

describe('ScheduledJob validation', () => {
  const stack = testStack();
  const fn = new EnhancedLambdaFunction(stack, 'Fn', { code });
  let n = 0;
  const make = (props: Partial<ScheduledJobProps>) => () => new ScheduledJob(stack, `Job${n++}`, {
    handler: fn, schedules: [{ name: 'daily', cron: '0 3 * * ? *' }], ...props,
  });
  const id = () => `Job${n}`;

  test.each(([
    [{ retryAttempts: 186 }, 'retryAttempts must be an integer 0-185, got 186'],
    [{ retryAttempts: -1 }, 'retryAttempts must be an integer 0-185, got -1'],
    [{ maxEventAge: Duration.seconds(59) }, 'maxEventAge must be 60-86400 seconds, got "59 seconds"'],
    [{ maxEventAge: Duration.hours(25) }, 'maxEventAge must be 60-86400 seconds, got "90000 seconds"'],
    [{ schedules: [] }, 'schedules must be at least one schedule, got "[]"'],
    [{ scheduleGroupName: 'bad name' }, 'scheduleGroupName must be 1-64 letters, digits, "-", "_" or ".", got "bad name"'],
  ] as Array<[Partial<ScheduledJobProps>, string]>).map(([props, message]) => [message, props]))('fails: %s', (message, props) => {
    expect(make(props as Partial<ScheduledJobProps>)).toThrow(`ScheduledJob "${id()}" (Test/${id()}): ${message}`);
  });

  test.each(([
    [{ name: 'x', cron: '0 3 * * *' }, 'schedules[0].cron must be a cron expression EventBridge Scheduler accepts (6 fields "minutes hours day-of-month month day-of-week year" are required, found 5), got "0 3 * * *"'],
    [{ name: 'x', cron: '0 3 * * * *' }, 'schedules[0].cron must be a cron expression EventBridge Scheduler accepts (exactly one of day-of-month ("*") and day-of-week ("*") must be "?"), got "0 3 * * * *"'],
    [{ name: 'x', cron: '0 25 * * ? *' }, 'schedules[0].cron must be a cron expression EventBridge Scheduler accepts (hours "25": 25 is outside 0-23), got "0 25 * * ? *"'],
    [{ name: 'x' }, 'schedules[0].cron/rate must be exactly one of cron and rate, got "neither"'],
    [{ name: 'x', cron: '0 3 * * ? *', rate: Duration.hours(1) }, 'schedules[0].cron/rate must be exactly one of cron and rate, got "both"'],
    [{ name: 'x', rate: Duration.seconds(90) }, 'schedules[0].rate must be a whole number of minutes, at least 1, got "90 seconds"'],
    [{ name: 'x', rate: Duration.millis(90500) }, 'schedules[0].rate must be a whole number of minutes, at least 1, got "90.5 seconds"'],
    [{ name: 'x', rate: Duration.hours(1), timeZone: 'Europe/Paris' }, 'schedules[0].timeZone must be given only with cron (a rate does not depend on the time zone), got "Europe/Paris"'],
    [{ name: 'x', cron: '0 3 * * ? *', timeZone: 'Europe/Atlantis' }, 'schedules[0].timeZone must be an IANA time zone name such as "UTC", "Europe/Paris" or "America/New_York", got "Europe/Atlantis"'],
    [{ name: 'x', cron: '0 3 * * ? *', flexibleWindow: Duration.minutes(1441) }, 'schedules[0].flexibleWindow must be a whole number of minutes, 1-1440, got "86460 seconds"'],
    [{ name: 'x', cron: '0 3 * * ? *', flexibleWindow: Duration.seconds(30) }, 'schedules[0].flexibleWindow must be a whole number of minutes, 1-1440, got "30 seconds"'],
    [{ name: 'has space', cron: '0 3 * * ? *' }, 'schedules[0].name must be 1-64 letters, digits, "-", "_" or ".", got "has space"'],
    [{ name: 'x', cron: '0 3 * * ? *', input: { blob: 'a'.repeat(8200) } }, 'schedules[0].input must be at most 8192 characters once serialized, got "8211 characters of JSON"'],
  ] as Array<[any, string]>).map(([schedule, message]) => [message, schedule]))('fails: %s', (message, schedule) => {
    expect(make({ schedules: [schedule as any] })).toThrow(`ScheduledJob "${id()}" (Test/${id()}): ${message}`);
  });

  test('schedule names must be unique within the job', () => {
    expect(make({ schedules: [{ name: 'a', cron: '0 3 * * ? *' }, { name: 'a', rate: Duration.hours(1) }] }))
      .toThrow(`ScheduledJob "${id()}" (Test/${id()}): schedules[1].name must be unique within the job, got "a"`);
  });
});

describe('EventBridge Scheduler cron validation', () => {
  test.each([
    '0 3 * * ? *', // daily 03:00
    '0 * * * ? *', // hourly
    '0 4 ? * SUN *', // weekly on Sunday
    '0/15 * * * ? *',
    '*/5 8-18 ? * MON-FRI *',
    '0 11-23/2 * * ? *',
    '0 0 1 1-12/3 ? *',
    '0 12 L * ? *',
    '0 12 LW * ? *',
    '0 12 15W * ? *',
    '0 10 ? * 6L *',
    '0 10 ? * L *',
    '0 10 ? * 3#2 *',
    '0 10 ? * TUE#2 *',
    '0 0 1 JAN,JUL ? 2025-2030',
    '0 18 ? * mon-fri *',
    '0 8 1 * ? */2',
    'cron(0 3 * * ? *)',
    '  0   3 * * ? *  ',
  ])('accepts %s', (expression) => {
    expect(cronError(expression)).toBeUndefined();
  });

  test.each([
    ['0 3 * * ?', '6 fields "minutes hours day-of-month month day-of-week year" are required, found 5'],
    ['0 3 ? * ? *', 'exactly one of day-of-month ("?") and day-of-week ("?") must be "?"'],
    ['60 3 * * ? *', 'minutes "60": 60 is outside 0-59'],
    ['0 3 0 * ? *', 'day-of-month "0": 0 is outside 1-31'],
    ['0 3 * 13 ? *', 'month "13": 13 is outside 1-12 or JAN-DEC'],
    ['0 3 * JAN-FOO ? *', 'month "JAN-FOO": "FOO" is not 1-12 or JAN-DEC'],
    ['0 3 ? * 0 *', 'day-of-week "0": 0 is outside 1-7 or SUN-SAT'],
    ['0 3 ? * MON-FUN *', 'day-of-week "MON-FUN": "FUN" is not 1-7 or SUN-SAT'],
    ['0 3 * * ? 1969', 'year "1969": 1969 is outside 1970-2199'],
    ['0 3 ? * 3#6 *', 'day-of-week "3#6": "#6" must be #1-#5'],
    ['0 3 ? * 3#1,6#3 *', 'day-of-week "3#1,6#3": "#" takes the form day#n (e.g. 3#2 or TUE#2, the second Tuesday) and stands alone, not in a list or range'],
    ['0 3 ? * MON/2 *', 'day-of-week "MON/2": "/" (increments) is not allowed in day-of-week'],
    ['0/0 * * * ? *', 'minutes "0/0": the increment "/0" must be an integer 1-59'],
    ['L 3 * * ? *', 'minutes "L": "L", "W" and "#" are only allowed in day-of-month and day-of-week'],
    ['0 3 2L * ? *', 'day-of-month "2L": "L" and "W" stand alone in day-of-month: L (last day), LW (last weekday) or nW (weekday nearest day n, e.g. 15W)'],
    ['0 3 1,? * ? *', 'day-of-month "1,?": "?" cannot be combined with other values'],
    ['0 3 ? * * ?', 'year "?": "?" is only allowed in day-of-month and day-of-week'],
    ['1-2-3 * * * ? *', 'minutes "1-2-3": "1-2-3" is not a value or a range a-b'],
    ['0 3,,4 * * ? *', 'hours "3,,4": empty list item (check the commas)'],
  ])('rejects %s: %s', (expression, reason) => {
    expect(cronError(expression)).toBe(reason);
  });
});

describe('time zone names', () => {
  test.each(['UTC', 'Europe/Paris', 'America/New_York', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Etc/GMT+5'])('accepts %s', (name) => {
    expect(isTimeZone(name)).toBe(true);
  });
  test.each(['europe/paris', 'Europe/Atlantis', '+01:00', 'CET; DROP', ''])('rejects %s', (name) => {
    expect(isTimeZone(name)).toBe(false);
  });
});
