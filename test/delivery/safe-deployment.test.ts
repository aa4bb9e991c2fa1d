import { Duration, Stack, aws_cloudwatch as cloudwatch, aws_codedeploy as codedeploy, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmSet, EnvironmentConfig } from '../../src';
import { EnhancedLambdaFunction } from '../../src/compute';
import { SafeDeployment, SafeDeploymentProps, TrafficShiftKind } from '../../src/delivery';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

const code = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })');

function statements(template: Template, policyPathPart: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  return Object.entries(policies)
    .filter(([id]) => id.includes(policyPathPart))
    .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: any } }): string {
  return stack.getLogicalId(construct.node.defaultChild);
}

describe('SafeDeployment with default props (prod profile)', () => {
  let stack: Stack;
  let fn: EnhancedLambdaFunction;
  let deployment: SafeDeployment;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    fn = new EnhancedLambdaFunction(stack, 'Orders', { code, liveAliasEnabled: true });
    deployment = new SafeDeployment(stack, 'Deploy', { handler: fn });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('shifts traffic on the live alias with a canary in prod', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
    });
    template.hasResource('AWS::Lambda::Alias', {
      Properties: Match.objectLike({ Name: 'live' }),
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.objectLike({ DeploymentGroupName: { Ref: logicalId(stack, deployment.deploymentGroup) } }) },
    });
  });

  test('rolls back on failure, stop and every alarm of the function\'s AlarmSet', () => {
    const expected = fn.alarms.alarms.map((a) => ({ Name: { Ref: logicalId(stack, a) } }));
    expect(expected).toHaveLength(4);
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AlarmConfiguration: { Enabled: true, Alarms: expected },
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    expect(deployment.rollbackAlarms).toEqual(fn.alarms.alarms);
  });

  test('service role has no AWS managed policy, only scoped statements in a customer-managed policy', () => {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })] } } });
    expect(Object.values(roles)).toHaveLength(1);
    expect((Object.values(roles)[0] as any).Properties.ManagedPolicyArns).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const s = statements(template, 'DeployServiceRole');
    expect(s).toEqual([
      {
        Sid: 'ShiftLiveAliasTraffic',
        Effect: 'Allow',
        Action: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        Resource: [{ 'Fn::GetAtt': [logicalId(stack, fn.function), 'Arn'] }, { Ref: logicalId(stack, fn.liveAlias!) }],
      },
      {
        Sid: 'ReadRollbackAlarms',
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: fn.alarms.alarms.map((a) => ({ 'Fn::GetAtt': [logicalId(stack, a), 'Arn'] })),
      },
    ]);
  });
});

describe('SafeDeployment with a rich configuration', () => {
  let stack: Stack;
  let template: Template;
  let deployment: SafeDeployment;
  let extra: cloudwatch.Alarm;
  let fn: EnhancedLambdaFunction;
  let pre: EnhancedLambdaFunction;
  let post: EnhancedLambdaFunction;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.staging().applyTo(stack);
    const shared = new AlarmSet(stack, 'Shared');
    fn = new EnhancedLambdaFunction(stack, 'Api', { code, alarms: shared, liveAliasEnabled: true });
    pre = new EnhancedLambdaFunction(stack, 'PreTraffic', { code });
    post = new EnhancedLambdaFunction(stack, 'PostTraffic', { code });
    deployment = new SafeDeployment(stack, 'Deploy', {
      handler: fn,
      trafficShift: { kind: TrafficShiftKind.LINEAR, percentage: 20, intervalMinutes: 3 },
      alarms: fn.alarms.alarms.slice(0, 2),
      preHook: pre.function,
      postHook: post.function,
      application: new codedeploy.LambdaApplication(stack, 'App', { applicationName: 'cloudvault' }),
    });
    extra = shared.addMetricAlarm('Latency', { metric: fn.function.metricDuration(), threshold: 1000 });
    deployment.addAlarm(extra);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expectNagClean(stack);
  });

  test('creates the custom linear config and uses it', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearInterval: 3, LinearPercentage: 20 } },
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      ApplicationName: { Ref: logicalId(stack, deployment.application) },
      DeploymentConfigName: { Ref: Match.stringLikeRegexp('DeployDeploymentConfig') },
    });
  });

  test('rolls back on the given alarms plus the added one', () => {
    const names = [...fn.alarms.alarms.slice(0, 2), extra].map((a) => ({ Name: { Ref: logicalId(stack, a) } }));
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { AlarmConfiguration: { Enabled: true, Alarms: names } });
    const s = statements(template, 'DeployServiceRole').find((x) => x.Sid === 'ReadRollbackAlarms');
    expect(s.Resource).toHaveLength(3);
  });

  test('registers the hooks, lets CodeDeploy invoke them and lets them report back', () => {
    template.hasResource('AWS::Lambda::Alias', {
      Properties: Match.objectLike({ FunctionName: { Ref: logicalId(stack, fn.function) } }),
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: Match.objectLike({
          BeforeAllowTrafficHook: { Ref: logicalId(stack, pre.function) },
          AfterAllowTrafficHook: { Ref: logicalId(stack, post.function) },
        }),
      },
    });
    const s = statements(template, 'DeployServiceRole');
    expect(s).toEqual(expect.arrayContaining([
      { Sid: 'InvokePreTrafficHook', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack, pre.function), 'Arn'] } },
      { Sid: 'InvokePostTrafficHook', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack, post.function), 'Arn'] } },
    ]));
    expect(statements(template, 'PreTrafficRole')).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus' }),
    ]));
  });
});

describe('SafeDeployment picks the deployment config from the EnvironmentConfig', () => {
  test.each([
    ['dev', EnvironmentConfig.dev(), 'CodeDeployDefault.LambdaAllAtOnce'],
    ['staging', EnvironmentConfig.staging(), 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute'],
  ])('%s', (_name, config, expected) => {
    const stack = testStack();
    config.applyTo(stack);
    new SafeDeployment(stack, 'Deploy', { handler: new EnhancedLambdaFunction(stack, 'Fn', { code, liveAliasEnabled: true }) });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: expected });
  });

  test('a given config wins over the profile', () => {
    const stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    new SafeDeployment(stack, 'Deploy', {
      handler: new EnhancedLambdaFunction(stack, 'Fn', { code, liveAliasEnabled: true }),
      deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent30Minutes' });
  });

  test('a custom canary becomes a TimeBasedCanary config', () => {
    const stack = testStack();
    new SafeDeployment(stack, 'Deploy', {
      handler: new EnhancedLambdaFunction(stack, 'Fn', { code, liveAliasEnabled: true }),
      trafficShift: { kind: TrafficShiftKind.CANARY, percentage: 5, intervalMinutes: 2880 },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryInterval: 2880, CanaryPercentage: 5 } },
    });
  });
});

describe('SafeDeployment rejects invalid props', () => {
  const alarm = (stack: Stack, id: string) => new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'X', metricName: 'Y', period: Duration.minutes(1) }), threshold: 1, evaluationPeriods: 1,
  });
  const cases: Array<[string, (stack: Stack) => Partial<SafeDeploymentProps>, string]> = [
    ['canary percentage 0', () => ({ trafficShift: { kind: TrafficShiftKind.CANARY, percentage: 0, intervalMinutes: 5 } }),
      'SafeDeployment "Deploy" (Test/Deploy): trafficShift.percentage must be an integer 1-99, got 0'],
    ['linear percentage 100', () => ({ trafficShift: { kind: TrafficShiftKind.LINEAR, percentage: 100, intervalMinutes: 5 } }),
      'SafeDeployment "Deploy" (Test/Deploy): trafficShift.percentage must be an integer 1-99, got 100'],
    ['interval 0 minutes', () => ({ trafficShift: { kind: TrafficShiftKind.CANARY, percentage: 10, intervalMinutes: 0 } }),
      'SafeDeployment "Deploy" (Test/Deploy): trafficShift.intervalMinutes must be an integer 1-2880, got 0'],
    ['interval 2881 minutes', () => ({ trafficShift: { kind: TrafficShiftKind.LINEAR, percentage: 10, intervalMinutes: 2881 } }),
      'SafeDeployment "Deploy" (Test/Deploy): trafficShift.intervalMinutes must be an integer 1-2880, got 2881'],
    ['an unknown shift kind', () => ({ trafficShift: { kind: 'BLUE' as TrafficShiftKind, percentage: 10, intervalMinutes: 5 } }),
      'SafeDeployment "Deploy" (Test/Deploy): trafficShift.kind must be CANARY or LINEAR, got "BLUE"'],
    ['both a config and a shift', () => ({
      deploymentConfig: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
      trafficShift: { kind: TrafficShiftKind.CANARY, percentage: 10, intervalMinutes: 5 },
    }), 'SafeDeployment "Deploy" (Test/Deploy): deploymentConfig/trafficShift must be at most one of deploymentConfig and trafficShift, got "both"'],
    ['no alarms', () => ({ alarms: [] }),
      'SafeDeployment "Deploy" (Test/Deploy): alarms must be 1-10 alarms (CodeDeploy\'s limit): with a shared AlarmSet, pass the function\'s own alarms through the alarms prop, got "0 alarms"'],
    ['eleven alarms', (stack) => ({ alarms: Array.from({ length: 11 }, (_, i) => alarm(stack, `A${i}`)) }),
      'SafeDeployment "Deploy" (Test/Deploy): alarms must be 1-10 alarms (CodeDeploy\'s limit): with a shared AlarmSet, pass the function\'s own alarms through the alarms prop, got "11 alarms"'],
    ['a composite alarm', (stack) => ({
      alarms: [new cloudwatch.CompositeAlarm(stack, 'Any', { alarmRule: cloudwatch.AlarmRule.anyOf(alarm(stack, 'M')) })],
    }), 'SafeDeployment "Deploy" (Test/Deploy): alarms must be metric alarms (not composite alarms), got "Test/Any"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    const stack = testStack(testApp());
    const fn = new EnhancedLambdaFunction(stack, 'Fn', { code, liveAliasEnabled: true });
    expect(() => new SafeDeployment(stack, 'Deploy', { handler: fn, ...props(stack) })).toThrow(message);
  });

  test('a function without a live alias', () => {
    const stack = testStack(testApp());
    const fn = new EnhancedLambdaFunction(stack, 'Fn', { code });
    expect(() => new SafeDeployment(stack, 'Deploy', { handler: fn })).toThrow(
      'SafeDeployment "Deploy" (Test/Deploy): handler must have a live alias to shift traffic on (EnhancedLambdaFunction liveAliasEnabled: true), got Test/Fn without one');
  });

  test('an eleventh alarm through addAlarm', () => {
    const stack = testStack(testApp());
    const fn = new EnhancedLambdaFunction(stack, 'Fn', { code, liveAliasEnabled: true });
    const deployment = new SafeDeployment(stack, 'Deploy', { handler: fn, alarms: Array.from({ length: 10 }, (_, i) => alarm(stack, `A${i}`)) });
    expect(() => deployment.addAlarm(alarm(stack, 'Eleventh'))).toThrow(
      'SafeDeployment "Deploy" (Test/Deploy): alarms must be at most 10 (CodeDeploy\'s limit): pass the function\'s own alarms through the alarms prop, got "11 alarms"');
  });
});
