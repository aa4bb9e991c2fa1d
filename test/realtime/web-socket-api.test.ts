import { Duration, Stack, aws_apigatewayv2 as apigwv2, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnhancedLambdaFunction } from '../../src/compute';
import { EnvironmentConfig } from '../../src/governance';
import { UserDirectory } from '../../src/identity';
import { AlarmSet } from '../../src/monitoring';
import { WebSocketApi, WebSocketApiProps } from '../../src/realtime';
import { expectNagClean, testApp, testStack } from '../support/nag-harness';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });');

function fn(stack: Stack, id: string): EnhancedLambdaFunction {
  return new EnhancedLambdaFunction(stack, id, { code: CODE, deadLetterQueueEnabled: false });
}

function directory(stack: Stack): UserDirectory {
  return new UserDirectory(stack, 'Users', { browserClient: { callbackUrls: ['https://app.example.com/cb'] } });
}

function handlers(stack: Stack) {
  const f = { authorizer: fn(stack, 'Authorize'), connect: fn(stack, 'Connect'), disconnect: fn(stack, 'Disconnect'), message: fn(stack, 'Message') };
  return {
    f,
    props: {
      authorizerFunction: f.authorizer.invocationTarget,
      connectHandler: f.connect.invocationTarget,
      disconnectHandler: f.disconnect.invocationTarget,
      defaultHandler: f.message.invocationTarget,
    },
  };
}

function routes(template: Template): Record<string, any> {
  return Object.fromEntries(Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => [r.Properties.RouteKey, r]));
}

describe('WebSocketApi with default props (prod profile)', () => {
  let stack: Stack;
  let ws: WebSocketApi;
  let users: UserDirectory;
  let template: Template;
  beforeAll(() => {
    stack = testStack();
    users = directory(stack);
    ws = new WebSocketApi(stack, 'Realtime', { userDirectory: users, ...handlers(stack).props });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('$connect needs the Lambda authorizer reading the token from the query string; other routes cannot have one', () => {
    const r = routes(template);
    expect(Object.keys(r).sort()).toEqual(['$connect', '$default', '$disconnect']);
    expect(r.$connect.Properties.AuthorizationType).toBe('CUSTOM');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    for (const key of ['$default', '$disconnect']) {
      expect(r[key].Properties.AuthorizationType).toBe('NONE');
      expect(r[key].Metadata.guard.SuppressedRules).toEqual(['api_gw_v2_authorization_type_configured_check']);
    }
  });

  test('every invoke permission carries a literal SourceAccount', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p: any) => p.Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(4);
    for (const p of permissions) expect(p.SourceAccount).toBe('123456789012');
  });

  test('JSON access logs and INFO execution logs in encrypted log groups; throttling and detailed metrics', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as any;
    expect(stage.Properties.StageName).toBe('v1');
    expect(stage.Properties.AutoDeploy).toBe(true);
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ connectionId: '$context.connectionId', routeKey: '$context.routeKey' });
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual(stack.resolve(ws.accessLogGroup.logGroupArn));
    expect(stage.Properties.DefaultRouteSettings).toEqual({
      DataTraceEnabled: false, DetailedMetricsEnabled: true, LoggingLevel: 'INFO', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200,
    });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup')) as any[]) {
      expect(group.Properties.KmsKeyId).toBeDefined();
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/apigateway/', { Ref: Match.anyValue() }, '/v1']] },
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  test('a connection table with TTL, keyed by connection id', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('alarms on integration and execution errors, client errors, latency and connects (plus the table\'s)', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .filter((a: any) => a.Properties.Namespace === 'AWS/ApiGateway').map((a: any) => a.Properties.MetricName).sort();
    expect(names).toEqual(['ClientError', 'ConnectCount', 'ExecutionError', 'IntegrationError', 'IntegrationLatency']);
    expect(ws.alarms.alarms.length).toBe(7); // five of the stage, two of the connection table
  });

  test('authorizerEnvironment names the pool, issuer and client ids', () => {
    const env = stack.resolve(ws.authorizerEnvironment);
    expect(env.USER_POOL_ID).toEqual(stack.resolve(users.userPoolId));
    expect(env.TOKEN_ISSUER).toEqual(stack.resolve(users.issuer));
    expect(env.CLIENT_IDS).toEqual(stack.resolve(users.browserClient!.userPoolClientId));
    expect(stack.resolve(WebSocketApi.authorizerEnvironmentFor(users))).toEqual(env);
    expect(() => WebSocketApi.authorizerEnvironmentFor(undefined as any)).toThrow(
      'WebSocketApi.authorizerEnvironmentFor: userDirectory must be an IUserDirectory (a UserDirectory), got undefined');
  });
});

describe('WebSocketApi with a rich configuration (dev profile)', () => {
  let stack: Stack;
  let ws: WebSocketApi;
  let shared: AlarmSet;
  let template: Template;
  let notifier: EnhancedLambdaFunction;
  beforeAll(() => {
    stack = testStack();
    EnvironmentConfig.dev().applyTo(stack);
    shared = new AlarmSet(stack, 'Ops');
    const h = handlers(stack);
    notifier = fn(stack, 'Notifier');
    ws = new WebSocketApi(stack, 'Realtime', {
      userDirectory: directory(stack),
      ...h.props,
      identitySource: ['route.request.header.Sec-WebSocket-Protocol'],
      apiName: 'cv-realtime',
      stageName: 'live',
      throttling: { rateLimit: 20, burstLimit: 40 },
      accountCloudWatchRole: false,
      connectAlarmThreshold: 50,
      clientErrorAlarmThreshold: 10,
      integrationLatencyP99: Duration.seconds(2),
      alarms: shared,
    });
    ws.addRoute('sendMessage', h.f.message.invocationTarget);
    ws.grantManageConnections(notifier);
    ws.grantManageConnections(h.f.message);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('the added route has no authorizer and is acknowledged; the header is the identity source', () => {
    const r = routes(template);
    expect(r.sendMessage.Properties.AuthorizationType).toBe('NONE');
    expect(r.sendMessage.Metadata.guard.SuppressedRules).toEqual(['api_gw_v2_authorization_type_configured_check']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { IdentitySource: ['route.request.header.Sec-WebSocket-Protocol'] });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'cv-realtime', RouteSelectionExpression: '$request.body.action' });
  });

  test('throttling, stage name, no account role, alarms in the shared set', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(ws.alarms).toBe(shared);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ConnectCount', Threshold: 50 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ClientError', Threshold: 10 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IntegrationLatency', Threshold: 2000 });
  });

  test('grantManageConnections allows ManageConnections on the stage\'s @connections only', () => {
    const roleId = stack.getLogicalId(notifier.role.node.defaultChild as any);
    const policies = [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))]
      .filter((p: any) => p.Properties.Roles?.[0]?.Ref === roleId) as any[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().includes('execute-api:ManageConnections'));
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('execute-api:ManageConnections');
    const apiId = stack.getLogicalId(ws.api.node.defaultChild as apigwv2.CfnApi);
    expect(statements[0].Resource).toEqual(['POST', 'GET', 'DELETE'].map((m) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-west-1:123456789012:', { Ref: apiId }, `/live/${m}/@connections/*`]],
    })));
  });

  test('the connection handlers may write the table, the default handler read it', () => {
    expect(ws.connectionTable.tableName).toBeDefined();
    const roleActions = (f: EnhancedLambdaFunction) => {
      const roleId = stack.getLogicalId(f.role.node.defaultChild as any);
      return [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))]
        .filter((p: any) => p.Properties.Roles?.[0]?.Ref === roleId)
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    };
    const message = ws.node.scope!.node.findChild('Message') as EnhancedLambdaFunction;
    const connect = ws.node.scope!.node.findChild('Connect') as EnhancedLambdaFunction;
    expect(roleActions(connect)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteItem']));
    expect(roleActions(message)).toContain('dynamodb:GetItem');
    expect(roleActions(message)).not.toContain('dynamodb:PutItem');
    expect(roleActions(notifier)).not.toContain('dynamodb:GetItem');
  });
});

describe('WebSocketApi rejects invalid props', () => {
  function make(props: Partial<WebSocketApiProps>, users?: (s: Stack) => UserDirectory): WebSocketApi {
    const stack = testStack(testApp());
    return new WebSocketApi(stack, 'Realtime', { userDirectory: (users ?? directory)(stack), ...handlers(stack).props, ...props });
  }

  test.each([
    [{ identitySource: [] }, 'WebSocketApi "Realtime" (Test/Realtime): identitySource must be at least one source, got []'],
    [{ identitySource: ['$request.header.Authorization'] },
      'WebSocketApi "Realtime" (Test/Realtime): identitySource[0] must be route.request.header.<name> or route.request.querystring.<name>, got "$request.header.Authorization"'],
    [{ stageName: 'my stage' }, 'WebSocketApi "Realtime" (Test/Realtime): stageName must be 1-128 letters, digits, "_" or "-", got "my stage"'],
    [{ throttling: { rateLimit: 0 } }, 'WebSocketApi "Realtime" (Test/Realtime): throttling.rateLimit must be a number > 0 (requests per second), got 0'],
    [{ throttling: { burstLimit: 1.5 } }, 'WebSocketApi "Realtime" (Test/Realtime): throttling.burstLimit must be an integer >= 1, got 1.5'],
    [{ connectAlarmThreshold: 0 }, 'WebSocketApi "Realtime" (Test/Realtime): connectAlarmThreshold must be a number >= 1, got 0'],
    [{ clientErrorAlarmThreshold: 0 }, 'WebSocketApi "Realtime" (Test/Realtime): clientErrorAlarmThreshold must be a number >= 1, got 0'],
    [{ integrationLatencyP99: Duration.seconds(30) }, 'WebSocketApi "Realtime" (Test/Realtime): integrationLatencyP99 must be 0.001-29 seconds, got "30 seconds"'],
    [{ connectHandler: undefined as any },
      'WebSocketApi "Realtime" (Test/Realtime): connectHandler must be a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget), got undefined'],
    [{ authorizerFunction: undefined as any },
      'WebSocketApi "Realtime" (Test/Realtime): authorizerFunction must be a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget), got undefined'],
    [{ userDirectory: undefined as any }, 'WebSocketApi "Realtime" (Test/Realtime): userDirectory must be an IUserDirectory (a UserDirectory), got undefined'],
  ] as Array<[Partial<WebSocketApiProps>, string]>)('%j', (props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('the directory needs an app client', () => {
    expect(() => make({}, (s) => new UserDirectory(s, 'Users'))).toThrow(
      'WebSocketApi "Realtime" (Test/Realtime): userDirectory must be a directory with at least one app client (the authorizer accepts only its clients\' tokens), got "a directory without app clients"');
  });

  test('route keys are checked', () => {
    const ws = make({});
    const handler = ws.node.scope!.node.findChild('Message') as EnhancedLambdaFunction;
    expect(() => ws.addRoute('$custom', handler.invocationTarget)).toThrow(
      'WebSocketApi "Realtime" (Test/Realtime): routeKey must be 1-128 letters, digits, "_", ".", ":" or "-" (not starting with $), got "$custom"');
    ws.addRoute('send', handler.invocationTarget);
    expect(() => ws.addRoute('send', handler.invocationTarget)).toThrow('WebSocketApi "Realtime" (Test/Realtime): routeKey must be not yet routed, got "send"');
  });
});
