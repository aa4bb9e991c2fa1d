import { Duration, Stack, aws_apigatewayv2 as apigwv2, aws_dynamodb as dynamodb, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnhancedLambdaFunction } from '../../src/compute';
import { EnvironmentConfig } from '../../src/governance';
import { UserDirectory } from '../../src/identity';
import { AlarmSet } from '../../src/monitoring';
import { WebSocketApi, WebSocketApiProps } from '../../src/realtime';
import { SecureTable } from '../../src/storage';
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
    expect(ws.table).toBe(ws.connectionTable!.table);
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

/** The statements of the policies attached to `f`'s role. */
function roleStatements(stack: Stack, template: Template, f: EnhancedLambdaFunction): any[] {
  const roleId = stack.getLogicalId(f.role.node.defaultChild as any);
  return [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))]
    .filter((p: any) => p.Properties.Roles?.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat());

describe('WebSocketApi with a connection table of the caller\'s', () => {
  let stack: Stack;
  let ws: WebSocketApi;
  let mine: SecureTable;
  let template: Template;
  let f: ReturnType<typeof handlers>['f'];
  beforeAll(() => {
    stack = testStack();
    mine = new SecureTable(stack, 'Sessions', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const h = handlers(stack);
    f = h.f;
    ws = new WebSocketApi(stack, 'Realtime', { userDirectory: directory(stack), ...h.props, connectionTable: mine.table });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('creates no table of its own and exposes the one given', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    expect(ws.connectionTable).toBeUndefined();
    expect(ws.table).toBe(mine.table);
  });

  test('the connection handlers may write the given table\'s items and use its key, the default handler read them', () => {
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(mine.table.node.defaultChild as any), 'Arn'] };
    const onTable = (handler: EnhancedLambdaFunction) => roleStatements(stack, template, handler)
      .filter((st) => JSON.stringify(st.Resource) === JSON.stringify(tableArn));
    expect(actionsOf(onTable(f.connect))).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']));
    expect(actionsOf(onTable(f.disconnect))).toEqual(expect.arrayContaining(['dynamodb:DeleteItem']));
    expect(actionsOf(onTable(f.message))).toContain('dynamodb:GetItem');
    expect(actionsOf(onTable(f.message))).not.toContain('dynamodb:PutItem');
    // kms:Encrypt only for writers (the functions' log groups need Decrypt and GenerateDataKey of their own).
    expect(actionsOf(roleStatements(stack, template, f.connect))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']));
    expect(actionsOf(roleStatements(stack, template, f.message))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:DescribeKey']));
    expect(actionsOf(roleStatements(stack, template, f.message))).not.toContain('kms:Encrypt');
    // No KMS wildcards (ITable's own grants add kms:GenerateDataKey* and kms:ReEncrypt*).
    expect(actionsOf(roleStatements(stack, template, f.connect)).filter((a) => a.includes('*'))).toEqual([]);
  });
});

describe('WebSocketApi without a connection table (connections in a store of the caller\'s)', () => {
  let stack: Stack;
  let ws: WebSocketApi;
  let template: Template;
  let f: ReturnType<typeof handlers>['f'];
  beforeAll(() => {
    stack = testStack();
    const h = handlers(stack);
    f = h.f;
    ws = new WebSocketApi(stack, 'Realtime', { userDirectory: directory(stack), ...h.props, createConnectionTable: false });
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs and the Control Tower rules', () => {
    expectNagClean(stack);
  });

  test('creates no table and grants the handlers no DynamoDB access', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(ws.connectionTable).toBeUndefined();
    expect(ws.table).toBeUndefined();
    for (const handler of [f.connect, f.disconnect, f.message]) {
      expect(actionsOf(roleStatements(stack, template, handler)).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    }
    // The routes still run the handlers.
    expect(Object.keys(routes(template)).sort()).toEqual(['$connect', '$default', '$disconnect']);
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
    [{ connectionTable: 'connections' as any }, 'WebSocketApi "Realtime" (Test/Realtime): connectionTable must be a dynamodb.ITable (e.g. SecureTable.table), got "connections"'],
    [{ connectionTable: dynamodb.Table.fromTableName(new Stack(), 'T', 'connections'), createConnectionTable: true },
      'WebSocketApi "Realtime" (Test/Realtime): createConnectionTable must be false or omitted when connectionTable is given (the construct uses your table instead of creating one), got true'],
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
