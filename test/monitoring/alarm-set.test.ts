import { Duration, Stack, aws_cloudwatch as cloudwatch, aws_dynamodb as dynamodb, aws_lambda as lambda, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet, EnvironmentConfig, OperationsDashboard } from '../../src';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

const metric = new cloudwatch.Metric({ namespace: 'CloudVault', metricName: 'Uploads', statistic: 'Sum', period: Duration.minutes(5) });

describe('AlarmSet with its own topic and every preset', () => {
  let stack: Stack;
  let set: AlarmSet;
  let dashboard: OperationsDashboard;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    set = new AlarmSet(stack, 'Ops');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1'), timeout: Duration.seconds(10),
    });
    set.addLambdaAlarms('Fn', fn);
    set.addApiGatewayAlarms('Api', { apiName: 'files-api', stageName: 'prod', resourcePath: '/files', httpMethod: 'GET' });
    const table = new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    set.addDynamoDbAlarms('Table', table, { maxReadCapacity: 100 });
    set.addSqsAlarms('Queue', new sqs.Queue(stack, 'Queue'), { maxVisibleMessages: 50, maxMessageAge: Duration.minutes(15) });
    set.addMetricAlarm('NoUploads', { metric, threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD });
    set.addMathAlarm('ErrorRate', { expression: 'e / i * 100', usingMetrics: { e: fn.metricErrors(), i: fn.metricInvocations() }, threshold: 5 });
    set.addCompositeAlarm();
    dashboard = new OperationsDashboard(stack, 'Dashboard', { dashboardName: 'cloudvault-ops' });
    template = Template.fromStack(stack);
  });

  test('the set (topic, alarms, composite) and the dashboard are nag-clean', () => {
    // The plain Lambda function, table and queue above only feed metrics; they are not under test.
    expectNagClean(set);
    expectNagClean(dashboard);
  });

  test('the topic is encrypted with a customer-managed key and TLS-only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the topic policy lets only CloudWatch of this account publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        })]),
      },
    });
  });

  test('the key lets CloudWatch alarms publish to the encrypted topic', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]) },
    });
  });

  test('every alarm notifies the topic on ALARM and OK', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms.length).toBe(set.alarms.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toHaveLength(1);
      expect(alarm.Properties.ActionsEnabled).toBe(true);
    }
  });

  test('presets alarm on the right metrics and thresholds', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 8000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Threshold: 0.01,
      Dimensions: Match.arrayWith([{ Name: 'Method', Value: 'GET' }, { Name: 'Resource', Value: '/files' }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: 5000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConsumedReadCapacityUnits', Threshold: 24000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Uploads', ComparisonOperator: 'LessThanThreshold' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ Expression: 'e / i * 100' })]) });
  });

  test('alarm names carry stack, set and alarm id, so they never collide', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Test-Ops-FnErrors' });
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.AlarmName);
    expect(new Set(names).size).toBe(names.length);
  });

  test('the composite alarm fires when any alarm of the set does', () => {
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))[0] as any;
    expect(composite.Properties.AlarmName).toBe('Test-Ops-Any');
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    expect(rule.match(/ALARM\(/g)).toHaveLength(set.alarms.length);
    expect(rule.match(/ OR /g)).toHaveLength(set.alarms.length - 1);
  });

  test('the dashboard renders the set: a status widget and one graph per alarm', () => {
    const resource = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as any;
    const body = JSON.stringify(stack.resolve(resource.Properties.DashboardBody));
    expect(body).toContain('Ops (');
    expect(body.match(/\\"type\\":\\"metric\\"/g)?.length).toBe(set.alarms.length);
    expect(body).toContain('\\"type\\":\\"alarm\\"');
  });
});

describe('AlarmSet nag results', () => {
  test('default and dev-profile sets are nag-clean', () => {
    const stack = testStack();
    new AlarmSet(stack, 'Prod').addMetricAlarm('Uploads', { metric, threshold: 1 });
    const dev = new Stack(stack.node.root as any, 'Dev', { env: { account: '123456789012', region: 'eu-west-1' } });
    EnvironmentConfig.dev().applyTo(dev);
    const quiet = new AlarmSet(dev, 'Quiet');
    quiet.addMetricAlarm('Uploads', { metric, threshold: 1 });
    expect(quiet.actionsEnabled).toBe(false);
    Template.fromStack(dev).hasResourceProperties('AWS::CloudWatch::Alarm', { ActionsEnabled: false });
    expectNagClean(stack);
    expectNagClean(dev);
  });

  test('a given topic is used instead of creating one', () => {
    const stack = testStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:pager');
    const set = new AlarmSet(stack, 'Paging', { topic });
    set.addMetricAlarm('Uploads', { metric, threshold: 1 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:pager'] });
  });
});

describe('AlarmSet rejects invalid input', () => {
  let stack: Stack;
  let set: AlarmSet;
  beforeEach(() => {
    stack = testStack();
    set = new AlarmSet(stack, 'Ops');
  });

  test('a negative Lambda errors threshold', () => {
    const fn = lambda.Function.fromFunctionName(stack, 'Fn', 'fn');
    expect(() => set.addLambdaAlarms('Fn', fn, { errorsThreshold: -1 })).toThrow('AlarmSet "Ops/Fn" (Test/Ops/Fn): errorsThreshold must be a number >= 0, got -1');
  });
  test('a non-finite threshold', () => {
    expect(() => set.addMetricAlarm('X', { metric, threshold: NaN })).toThrow('AlarmSet "Ops/X" (Test/Ops/X): threshold must be a finite number, got NaN');
  });
  test('more datapoints than evaluation periods', () => {
    expect(() => set.addMetricAlarm('X', { metric, threshold: 1, evaluationPeriods: 2, datapointsToAlarm: 3 }))
      .toThrow('AlarmSet "Ops/X" (Test/Ops/X): datapointsToAlarm must be an integer 1-2, got 3');
  });
  test('an error percentage above 100', () => {
    expect(() => set.addApiGatewayAlarms('Api', { apiName: 'a', stageName: 'prod', serverErrorPercent: 150 }))
      .toThrow('AlarmSet "Ops/Api" (Test/Ops/Api): serverErrorPercent must be 0-100, got 150');
  });
  test('a method without a resource path', () => {
    expect(() => set.addApiGatewayAlarms('Api', { apiName: 'a', stageName: 'prod', httpMethod: 'GET' }))
      .toThrow('AlarmSet "Ops/Api" (Test/Ops/Api): httpMethod must be given together with resourcePath (both or neither), got "GET"');
  });
  test('a duplicate set name in one stack', () => {
    expect(() => new AlarmSet(stack, 'Other', { alarmSetName: 'Ops' }))
      .toThrow('AlarmSet "Other" (Test/Other): alarmSetName must be unique within the stack (alarm names would collide), got "Ops"');
  });
  test('a set name with spaces', () => {
    expect(() => new AlarmSet(stack, 'Bad', { alarmSetName: 'my alarms' }))
      .toThrow('AlarmSet "Bad" (Test/Bad): alarmSetName must be 1-64 letters, digits, "_", "." or "-", got "my alarms"');
  });
  test('a composite alarm of an empty set', () => {
    expect(() => set.addCompositeAlarm()).toThrow('AlarmSet "Ops" (Test/Ops): alarms must be at least one alarm before addCompositeAlarm(), got 0');
  });
});

describe('OperationsDashboard across stacks', () => {
  test('renders the AlarmSets of other stacks it is given, including alarms added after it', () => {
    const app = testApp();
    const api = testStack(app, 'Api');
    const ops = testStack(app, 'Ops');
    const apiAlarms = new AlarmSet(api, 'ApiAlarms');
    const dashboard = new OperationsDashboard(ops, 'Dashboard', { alarmSets: [apiAlarms] });
    apiAlarms.addMetricAlarm('Uploads', { metric, threshold: 1 });
    const template = Template.fromStack(ops);
    const body = JSON.stringify(ops.resolve(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody));
    expect(body).toContain('ApiAlarms (1 alarms)');
    expect(body.match(/\\"type\\":\\"metric\\"/g)?.length).toBe(1);
    expect(dashboard.dashboard).toBeDefined();
  });
});
