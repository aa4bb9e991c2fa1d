import { Stack, aws_apigateway as apigw, aws_cognito as cognito, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiAuthorization, ApiRoute, ApiRouteOptions, SecureRestApi } from '../../src/api';
import { EnhancedLambdaFunction } from '../../src/compute';
import { NagFinding, formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" })');
const HEALTH_REASON = 'Uptime probes call the health check without credentials; it returns a constant body and no data.';

function resourcesOfType(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.findResources(type));
}

describe('ApiRoute', () => {
  let stack: Stack;
  let api: SecureRestApi;
  let fn: EnhancedLambdaFunction;
  let getFile: ApiRoute;
  let createFile: ApiRoute;
  let health: ApiRoute;
  let proxy: ApiRoute;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    const app = testApp();
    stack = testStack(app);
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc123');
    api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([pool]), restApiName: 'files-api' });
    fn = new EnhancedLambdaFunction(stack, 'Fn', { code: CODE, alarms: api.alarms });
    getFile = api.addRoute('GetFile', { path: '/files/{fileId}', method: 'get', handler: fn, authorizationScopes: ['files/read'], alarms: true });
    createFile = new ApiRoute(stack, 'CreateFile', {
      api,
      path: '/files',
      method: 'POST',
      handler: fn,
      requestSchema: {
        type: apigw.JsonSchemaType.OBJECT,
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: apigw.JsonSchemaType.STRING, maxLength: 255 } },
      },
      throttling: { rateLimit: 5, burstLimit: 10 },
      apiKeyRequired: true,
      quota: { limit: 1000, period: apigw.Period.DAY },
      alarms: true,
    });
    health = api.addRoute('Health', { path: '/health', method: 'GET', handler: fn, authorizationExempt: true, authorizationExemptReason: HEALTH_REASON });
    proxy = api.addRoute('Proxy', { path: '/legacy/{proxy+}', method: 'ANY', handler: fn, alarms: true });
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('integrates with the function\'s invocationTarget through Lambda proxy, invocable only from the stage', () => {
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.Integration.Type !== 'MOCK');
    expect(methods).toHaveLength(4);
    const aliasRef = stack.resolve(fn.invocationTarget.functionArn);
    for (const [, m] of methods) {
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.Properties.Integration.Uri)).toContain(JSON.stringify(aliasRef));
    }
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission');
    expect(permissions).toHaveLength(4);
    for (const [, p] of permissions) {
      expect(p.Properties.FunctionName).toEqual(aliasRef);
      expect(JSON.stringify(p.Properties.SourceArn)).not.toContain('test-invoke-stage');
    }
  });

  test('attaches the API\'s authorizer to every non-public method, with scopes where given', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizationScopes: ['files/read'],
      RequestParameters: { 'method.request.path.fileId': true },
    });
    for (const route of [getFile, createFile, proxy]) {
      const m = stack.resolve((route.method.node.defaultChild as apigw.CfnMethod).authorizationType);
      expect(m).toBe('COGNITO_USER_POOLS');
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: Match.stringLikeRegexp('^Apihealth') },
      AuthorizationType: 'NONE',
      AuthorizerId: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      RequestParameters: { 'method.request.path.proxy': true },
    });
  });

  test('validates the body against the JSON-schema model at the gateway', () => {
    const [[modelId, model]] = resourcesOfType(template, 'AWS::ApiGateway::Model');
    expect(model.Properties.ContentType).toBe('application/json');
    expect(model.Properties.Schema).toMatchObject({ type: 'object', required: ['name'], additionalProperties: false });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': { Ref: modelId } },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ApiRequestValidator') },
    });
    expect(createFile.requestModel).toBeDefined();
    expect(getFile.requestModel).toBeUndefined();
  });

  test('adds a method setting per route with detailed metrics, execution logs and its throttling', () => {
    const [[, stage]] = resourcesOfType(template, 'AWS::ApiGateway::Stage');
    const settings = stage.Properties.MethodSettings;
    const setting = (path: string, method: string) => settings.find((s: any) => s.ResourcePath === path && s.HttpMethod === method);
    expect(setting('/~1files', 'POST')).toEqual({
      ResourcePath: '/~1files',
      HttpMethod: 'POST',
      MetricsEnabled: true,
      LoggingLevel: 'INFO',
      DataTraceEnabled: false,
      ThrottlingRateLimit: 5,
      ThrottlingBurstLimit: 10,
    });
    expect(setting('/~1files~1{fileId}', 'GET')).toMatchObject({ MetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(setting('/~1health', 'GET')).toMatchObject({ MetricsEnabled: true });
    expect(setting('/~1legacy~1{proxy+}', 'ANY')).toMatchObject({ MetricsEnabled: true });
  });

  test('requires an API key and creates a usage plan with the quota and the method\'s throttle', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: true });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 1000, Period: 'DAY' },
      ApiStages: [{
        ApiId: stack.resolve(api.api.restApiId),
        Stage: stack.resolve(api.stage.stageName),
        Throttle: { '/files/POST': { RateLimit: 5, BurstLimit: 10 } },
      }],
    });
    expect(createFile.usagePlan).toBeDefined();
    expect(getFile.usagePlan).toBeUndefined();
  });

  test('adds 5xx, 4xx and p99 latency alarms with the method dimensions to the routes that ask for them, none to the others', () => {
    const expected: Array<[ApiRoute, string, string]> = [
      [getFile, '/files/{fileId}', 'GET'],
      [createFile, '/files', 'POST'],
      [proxy, '/legacy/{proxy+}', 'ANY'],
    ];
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(health.alarms).toEqual([]);
    expect(alarms.filter((a) => a.Dimensions?.some((d: any) => d.Name === 'Resource' && d.Value === '/health'))).toEqual([]);
    expect(alarms.filter((a) => a.Namespace === 'AWS/ApiGateway')).toHaveLength(3 * (expected.length + 1)); // the routes' and the stage's
    for (const [route, path, method] of expected) {
      expect(route.alarms).toHaveLength(3);
      const ofRoute = alarms.filter((a) => a.Dimensions?.some((d: any) => d.Name === 'Resource' && d.Value === path));
      expect(ofRoute.map((a) => a.MetricName).sort()).toEqual(['4XXError', '5XXError', 'Latency']);
      for (const a of ofRoute) {
        expect(a.Namespace).toBe('AWS/ApiGateway');
        expect(a.Dimensions).toEqual([
          { Name: 'ApiName', Value: 'files-api' },
          { Name: 'Method', Value: method },
          { Name: 'Resource', Value: path },
          { Name: 'Stage', Value: 'v1' },
        ]);
      }
      for (const alarm of route.alarms) expect(api.alarms.alarms).toContain(alarm);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Test-Api-GetFilesFileid5xx' });
  });

  test('routeAlarms gives every route of the API its alarms unless the route says alarms: false', () => {
    const other = testStack(testApp(), 'RouteAlarms');
    const pool = cognito.UserPool.fromUserPoolId(other, 'Pool', 'eu-west-1_abc123');
    const alarmed = new SecureRestApi(other, 'Api', { authorizer: ApiAuthorization.cognito([pool]), routeAlarms: true });
    const handler = new EnhancedLambdaFunction(other, 'Fn', { code: CODE });
    const list = alarmed.addRoute('List', { path: '/items', method: 'GET', handler });
    const quiet = alarmed.addRoute('Create', { path: '/items', method: 'POST', handler, alarms: false });
    expect(alarmed.routeAlarms).toBe(true);
    expect(list.alarms).toHaveLength(3);
    expect(quiet.alarms).toEqual([]);
    const methods = resourcesOfType(Template.fromStack(other), 'AWS::CloudWatch::Alarm')
      .flatMap(([, a]) => (a.Properties.Dimensions ?? []).filter((d: any) => d.Name === 'Method').map((d: any) => d.Value));
    expect(methods).toEqual(['GET', 'GET', 'GET']);
  });

  test('exposes the invoke URL of its path', () => {
    expect(JSON.stringify(stack.resolve(health.url))).toContain('/health');
    expect(health.httpMethod).toBe('GET');
    expect(getFile.httpMethod).toBe('GET'); // normalized from "get"
  });
});

describe('ApiRoute prop validation', () => {
  const stack = testStack(testApp(), 'Invalid');
  const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc123');
  const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([pool]) });
  const tokenApi = new SecureRestApi(stack, 'TokenApi', {
    authorizer: ApiAuthorization.lambdaToken(lambda.Function.fromFunctionName(stack, 'Authorizer', 'authorizer')),
  });
  const fn = new EnhancedLambdaFunction(stack, 'Fn', { code: CODE });
  let n = 0;
  const route = (options: Partial<ApiRouteOptions>, target: SecureRestApi = api) => () =>
    new ApiRoute(stack, `Bad${++n}`, { api: target, path: '/files', method: 'GET', handler: fn, ...options });
  const PATH_RULE = 'path must be "/" or a path starting with "/" whose segments are letters, digits, ".", "_", "-", {param}, or a final {proxy+}';

  test('rejects a path without a leading slash, empty segments, bad characters and a greedy segment not at the end', () => {
    expect(route({ path: 'files' })).toThrow(`ApiRoute "Bad${n + 1}" (Invalid/Bad${n + 1}): ${PATH_RULE}, got "files"`);
    expect(route({ path: '/files//x' })).toThrow(`ApiRoute "Bad${n + 1}" (Invalid/Bad${n + 1}): ${PATH_RULE}, got "/files//x"`);
    expect(route({ path: '/files/' })).toThrow(`${PATH_RULE}, got "/files/"`);
    expect(route({ path: '/fi les' })).toThrow(`${PATH_RULE}, got "/fi les"`);
    expect(route({ path: '/files/{proxy+}/x' })).toThrow(`${PATH_RULE}, got "/files/{proxy+}/x"`);
    expect(route({ path: '/files/{id' })).toThrow(`${PATH_RULE}, got "/files/{id"`);
  });

  test('rejects an unknown HTTP method', () => {
    expect(route({ method: 'FETCH' })).toThrow(
      `ApiRoute "Bad${n + 1}" (Invalid/Bad${n + 1}): method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY, got "FETCH"`);
  });

  test('rejects a throttling rate <= 0 and a burst < 1', () => {
    expect(route({ throttling: { rateLimit: -1 } })).toThrow('throttling.rateLimit must be a number > 0 (requests per second), got -1');
    expect(route({ throttling: { burstLimit: 0.5 } })).toThrow('throttling.burstLimit must be an integer >= 1, got 0.5');
  });

  test('rejects a quota limit < 1 and a quota without an API key', () => {
    expect(route({ apiKeyRequired: true, quota: { limit: 0, period: apigw.Period.DAY } })).toThrow(
      `ApiRoute "Bad${n + 1}" (Invalid/Bad${n + 1}): quota.limit must be an integer >= 1, got 0`);
    expect(route({ quota: { limit: 10, period: apigw.Period.DAY } })).toThrow(
      'quota must be given only with apiKeyRequired: true, got "a quota"');
  });

  test('rejects an authorization-exempt route without a reason, and a reason without the exemption', () => {
    expect(route({ authorizationExempt: true })).toThrow(
      `ApiRoute "Bad${n + 1}" (Invalid/Bad${n + 1}): authorizationExemptReason must be a sentence (20+ characters) saying why the route needs no caller identity when authorizationExempt is true, got undefined`);
    expect(route({ authorizationExempt: true, authorizationExemptReason: 'health' })).toThrow('got "health"');
    expect(route({ authorizationExemptReason: HEALTH_REASON })).toThrow('authorizationExemptReason must be given only with authorizationExempt: true');
  });

  test('rejects authorization scopes without a Cognito authorizer', () => {
    expect(route({ authorizationScopes: ['files/read'] }, tokenApi)).toThrow(
      'authorizationScopes must be used only with a Cognito authorizer, got ["files/read"]');
  });
});
