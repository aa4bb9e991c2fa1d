import { Duration, Stack, aws_iam as iam, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiAuthorization, SecureRestApi } from '../../src/api';
import { HandlerFunction } from '../../src/compute';
import { SafeDeployment } from '../../src/delivery';
import { ScheduledJob, WorkQueue } from '../../src/events';
import { defaultKey } from '../../src/governance/default-key';
import { testStack } from '../support/nag-harness';

const code = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" })');
const REASON = 'A test API whose routes are all exempt from authorization, for the adapter only.';

function plainFunction(stack: Stack, id: string, timeout?: Duration): lambda.Function {
  return new lambda.Function(stack, id, { code, handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, timeout });
}

describe('HandlerFunction.fromFunction', () => {
  test('a plain lambda.Function serves a route, feeds a queue and runs on a schedule', () => {
    const stack = testStack();
    const fn = plainFunction(stack, 'Plain', Duration.seconds(10));
    const handler = HandlerFunction.fromFunction(stack, 'PlainHandler', fn);
    const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.none(REASON) });
    api.addRoute('Get', { path: '/items', method: 'GET', handler });
    new WorkQueue(stack, 'Work', { handler });
    new ScheduledJob(stack, 'Job', { handler, schedules: [{ name: 'hourly', rate: Duration.hours(1) }] });
    const template = Template.fromStack(stack);
    const fnRef = stack.resolve(fn.functionArn);

    expect(handler.invocationTarget).toBe(fn);
    expect(handler.timeout.toSeconds()).toBe(10);
    expect(handler.encryptionKey).toBe(defaultKey(stack));
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      Integration: Match.objectLike({ Uri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([fnRef])] }) }),
    });
    // 6 x the function's own 10 s timeout.
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 60 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction) } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ Arn: fnRef }) });
    // The queue's and the job's alarms land in the adapter's AlarmSet.
    expect(handler.alarms.alarms.map((a) => a.node.id)).toEqual(expect.arrayContaining(['WorkDeadLettersDepth', 'WorkOldestMessageAge']));
  });

  test('an imported function runs with Lambda\'s default 3 s timeout unless told its own', () => {
    const stack = testStack();
    const role = iam.Role.fromRoleArn(stack, 'OrdersRole', 'arn:aws:iam::123456789012:role/orders');
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', role });
    expect(HandlerFunction.fromFunction(stack, 'Default', imported).timeout.toSeconds()).toBe(3);
    const told = HandlerFunction.fromFunction(stack, 'Told', imported, { timeout: Duration.minutes(2) });
    new WorkQueue(stack, 'Work', { handler: told });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720 });
  });

  test('an alias is invoked and is what SafeDeployment shifts', () => {
    const stack = testStack();
    const fn = plainFunction(stack, 'Plain');
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    const handler = HandlerFunction.fromFunction(stack, 'Aliased', fn, { alias });
    expect(handler.invocationTarget).toBe(alias);
    const alarm = handler.alarms.addLambdaAlarms('Plain', fn)[0];
    new SafeDeployment(stack, 'Deploy', { handler, alarms: [alarm] });
    Template.fromStack(stack).hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.anyValue() },
    });
  });

  test('SafeDeployment refuses a handler without an alias, naming it', () => {
    const stack = testStack();
    const handler = HandlerFunction.fromFunction(stack, 'NoAlias', plainFunction(stack, 'Plain'));
    expect(() => new SafeDeployment(stack, 'Deploy', { handler })).toThrow(
      'SafeDeployment "Deploy" (Test/Deploy): handler must have a live alias to shift traffic on (EnhancedLambdaFunction liveAliasEnabled: true), got Test/NoAlias without one');
  });

  test('rejects a timeout Lambda cannot have, naming the construct and the value', () => {
    const stack = testStack();
    const fn = plainFunction(stack, 'Plain');
    expect(() => HandlerFunction.fromFunction(stack, 'Slow', fn, { timeout: Duration.minutes(16) })).toThrow(
      'HandlerFunction "Slow" (Test/Slow): timeout must be 1-900 seconds, got "960 seconds"');
  });
});
