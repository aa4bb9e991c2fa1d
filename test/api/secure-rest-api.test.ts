import { Duration, Stack, Validations, aws_apigateway as apigw, aws_cognito as cognito, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { ApiAuthorization, SecureRestApi } from '../../src/api';
import { EnhancedLambdaFunction } from '../../src/compute';
import { NagFinding, formatFindings, nagFindings, testApp, testStack } from '../support/nag-harness';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" })');
const HEALTH_REASON = 'Uptime probes call the health check without credentials; it returns a constant body and no data.';
const WEB_ACL = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform/0123abcd';

function handler(scope: Stack, id: string, api?: SecureRestApi): EnhancedLambdaFunction {
  return new EnhancedLambdaFunction(scope, id, { code: CODE, alarms: api?.alarms });
}

function resourcesOfType(template: Template, type: string): Array<[string, any]> {
  return Object.entries(template.findResources(type));
}

/** Acknowledged rule ids recorded on a construct (what cdk-nag skips there). */
function acknowledgedRules(c: IConstruct): string[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object))
    .map((k) => k.replace(/^annotation::/i, ''))
    .sort();
}

const LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  user: '$context.identity.user',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  responseLatency: '$context.responseLatency',
  errors: '$context.error.message',
};

describe('SecureRestApi with default props (Cognito authorizer, one route)', () => {
  let stack: Stack;
  let api: SecureRestApi;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    const app = testApp();
    stack = testStack(app);
    const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc123');
    api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([pool]) });
    api.addRoute('GetFile', { path: '/files/{fileId}', method: 'GET', handler: handler(stack, 'Fn', api) });
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('writes JSON access logs with the standard context fields to an encrypted log group with retention', () => {
    const [[, stage]] = resourcesOfType(template, 'AWS::ApiGateway::Stage');
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject(LOG_FIELDS);
    const logGroupId = stage.Properties.AccessLogSetting.DestinationArn['Fn::GetAtt'][0];
    const logGroup = template.toJSON().Resources[logGroupId];
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.KmsKeyId['Fn::GetAtt'][0]).toMatch(/^CloudVaultDefaultKey/);
    expect(logGroup.Properties.RetentionInDays).toBe(365); // prod profile: one year
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  test('stage: X-Ray, client certificate, INFO execution logs without bodies, metrics, default throttling, no cache', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      ClientCertificateId: { Ref: Match.stringLikeRegexp('^ApiClientCertificate') },
      CacheClusterEnabled: Match.absent(),
      MethodSettings: Match.arrayWith([{
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'INFO',
        DataTraceEnabled: false,
        MetricsEnabled: true,
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
      }]),
    });
    template.resourceCountIs('AWS::ApiGateway::ClientCertificate', 1);
  });

  test('is a REGIONAL endpoint', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  test('pre-creates the execution log group encrypted and with retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^Api') }, '/v1']] },
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
  });

  test('validates request bodies and parameters on every route', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    for (const [, m] of methods) {
      expect(m.Properties.RequestValidatorId.Ref).toMatch(/^ApiRequestValidator/);
    }
  });

  test('attaches the Cognito authorizer to every method', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
    });
    const [[, authorizer]] = resourcesOfType(template, 'AWS::ApiGateway::Authorizer');
    expect(JSON.stringify(authorizer.Properties.ProviderARNs)).toContain(':userpool/eu-west-1_abc123');
    for (const [, m] of resourcesOfType(template, 'AWS::ApiGateway::Method')) {
      expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(m.Properties.AuthorizerId.Ref).toMatch(/^ApiAuthorizer/);
    }
  });

  test('sets the account CloudWatch role with a customer-managed policy, not the AWS managed one', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const roles = resourcesOfType(template, 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('apigateway.amazonaws.com'));
    expect(roles).toHaveLength(1);
    const [[roleId, role]] = roles;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
    const policyId = role.Properties.ManagedPolicyArns[0].Ref;
    const policy = template.toJSON().Resources[policyId];
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    const [statement] = policy.Properties.PolicyDocument.Statement;
    expect(statement.Action).not.toContain('logs:*');
    expect(statement.Action).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']));
    expect(JSON.stringify(statement.Resource)).toContain(':logs:eu-west-1:123456789012:log-group:*');
    template.hasResource('AWS::ApiGateway::Account', {
      Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    // The stage is only created once the account can log.
    const [[, stage]] = resourcesOfType(template, 'AWS::ApiGateway::Stage');
    const [[accountId]] = resourcesOfType(template, 'AWS::ApiGateway::Account');
    expect(stage.DependsOn).toContain(accountId);
  });

  test('alarms on the stage: 5xx, 4xx and p99 latency with ApiName and Stage dimensions', () => {
    const stageAlarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => a.Properties.Namespace === 'AWS/ApiGateway' && a.Properties.Dimensions.length === 2);
    expect(stageAlarms.map(([, a]) => a.Properties.MetricName).sort()).toEqual(['4XXError', '5XXError', 'Latency']);
    for (const [, a] of stageAlarms) {
      expect(a.Properties.Dimensions).toEqual([
        { Name: 'ApiName', Value: api.api.restApiName },
        { Name: 'Stage', Value: 'v1' },
      ]);
    }
    // Routes have no alarms of their own unless asked: the stage's alarms cover them.
    expect(api.routeAlarms).toBe(false);
    expect(resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => a.Properties.Dimensions?.some((d: any) => d.Name === 'Resource'))).toEqual([]);
  });

  test('acknowledges only the WAF and cache rules, on the stage, because no web ACL was given and the cache is off', () => {
    expect(acknowledgedRules(api.stage.node.defaultChild!)).toEqual([
      'AwsSolutions-APIG3',
      'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      'NIST.800.53.R5-APIGWAssociatedWithWAF',
      'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
      'PCI.DSS.321-APIGWAssociatedWithWAF',
      'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
    ]);
    expect(acknowledgedRules(api.api.node.defaultChild!)).toEqual([]);
  });

  test('exposes the url of the stage', () => {
    expect(stack.resolve(api.url)).toEqual({
      'Fn::Join': ['', ['https://', stack.resolve(api.api.restApiId), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/', stack.resolve(api.stage.stageName), '/']],
    });
  });
});

describe('SecureRestApi with a rich configuration', () => {
  let api: SecureRestApi;
  let template: Template;
  let findings: NagFinding[];

  beforeAll(() => {
    const app = testApp();
    const stack = testStack(app);
    const authorizerFn = handler(stack, 'AuthorizerFn');
    api = new SecureRestApi(stack, 'Api', {
      authorizer: ApiAuthorization.lambdaToken(authorizerFn.invocationTarget, { identityHeader: 'X-Token', resultsCacheTtl: Duration.minutes(1) }),
      restApiName: 'files-api',
      stageName: 'live',
      cors: { allowOrigins: ['https://app.example.com', 'http://localhost:3000'], allowCredentials: true },
      cacheTtl: Duration.minutes(2),
      cacheClusterSize: '1.6',
      webAclArn: WEB_ACL,
      throttling: { rateLimit: 20, burstLimit: 40 },
    });
    const fn = handler(stack, 'Fn', api);
    api.addRoute('GetFile', { path: '/files/{fileId}', method: 'GET', handler: fn });
    api.addRoute('PutFile', {
      path: '/files/{fileId}',
      method: 'PUT',
      handler: fn,
      requestSchema: { type: apigw.JsonSchemaType.OBJECT, required: ['name'], properties: { name: { type: apigw.JsonSchemaType.STRING } } },
      apiKeyRequired: true,
      quota: { limit: 1000, period: apigw.Period.DAY },
      throttling: { rateLimit: 5, burstLimit: 10 },
    });
    api.addRoute('Health', { path: '/health', method: 'GET', handler: fn, authorizationExempt: true, authorizationExemptReason: HEALTH_REASON });
    findings = nagFindings(stack);
    template = Template.fromStack(stack);
  });

  test('is nag-clean under all five packs', () => {
    expect(formatFindings(findings)).toBe('');
  });

  test('uses the Lambda token authorizer on every non-public method', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.X-Token',
      AuthorizerResultTtlInSeconds: 60,
    });
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(3);
    for (const [id, m] of methods) {
      if (id.startsWith('Apihealth')) {
        expect(m.Properties.AuthorizationType).toBe('NONE');
        expect(m.Properties.AuthorizerId).toBeUndefined();
      } else {
        expect(m.Properties.AuthorizationType).toBe('CUSTOM');
        expect(m.Properties.AuthorizerId.Ref).toMatch(/^ApiAuthorizer/);
      }
    }
  });

  test('answers CORS preflights for the allowed origins only', () => {
    const preflights = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThanOrEqual(3);
    const response = preflights[0][1].Properties.Integration.IntegrationResponses[0];
    expect(response.StatusCode).toBe('204');
    expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe("'https://app.example.com'");
    expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Credentials']).toBe("'true'");
    expect(JSON.stringify(preflights)).not.toContain("'*'");
  });

  test('turns on an encrypted cache keyed by the caller token, for GET only', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      CacheClusterEnabled: true,
      CacheClusterSize: '1.6',
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', CachingEnabled: true, CacheDataEncrypted: true, CacheTtlInSeconds: 120, ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
        Match.objectLike({ HttpMethod: 'GET', ResourcePath: '/~1files~1{fileId}', CachingEnabled: true, CacheDataEncrypted: true }),
        Match.objectLike({ HttpMethod: 'PUT', ResourcePath: '/~1files~1{fileId}', CachingEnabled: false }),
      ]),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'CUSTOM',
      RequestParameters: { 'method.request.path.fileId': true, 'method.request.header.X-Token': false },
      Integration: Match.objectLike({ CacheKeyParameters: ['method.request.path.fileId', 'method.request.header.X-Token'] }),
    });
  });

  test('associates the web ACL with the stage and acknowledges neither WAF nor cache rules', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: WEB_ACL,
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith(['/stages/', { Ref: Match.stringLikeRegexp('^ApiDeploymentStagelive') }])] },
    });
    expect(acknowledgedRules(api.stage.node.defaultChild!)).toEqual([]);
  });

  test('uses the given API name in the alarm dimensions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'files-api' }, { Name: 'Stage', Value: 'live' }],
    });
  });

  test('acknowledges COG4 on token-authorized methods and APIG4/COG4 on the public route only, with its reason', () => {
    const routes = api.node.children.filter((c) => c.node.id === 'GetFile' || c.node.id === 'Health');
    const methodOf = (id: string) => (api.node.findChild(id) as any).method.node.defaultChild as IConstruct;
    expect(routes).toHaveLength(2);
    expect(acknowledgedRules(methodOf('GetFile'))).toEqual(['AwsSolutions-COG4']);
    expect(acknowledgedRules(methodOf('Health'))).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG4']);
    const reasons = methodOf('Health').node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(reasons.join(' ')).toContain(HEALTH_REASON);
  });
});

describe('SecureRestApi account logging role', () => {
  test('is created once per stack, and not at all with accountCloudWatchRole: false', () => {
    const app = testApp();
    const shared = testStack(app, 'Shared');
    const pool = cognito.UserPool.fromUserPoolId(shared, 'Pool', 'eu-west-1_abc123');
    for (const id of ['One', 'Two']) {
      const api = new SecureRestApi(shared, id, { authorizer: ApiAuthorization.cognito([pool]) });
      api.addRoute('Get', { path: '/items', method: 'GET', handler: handler(shared, `${id}Fn`, api) });
    }
    const none = testStack(app, 'None');
    const api = new SecureRestApi(none, 'Api', { authorizer: ApiAuthorization.none(HEALTH_REASON), accountCloudWatchRole: false });
    api.addRoute('Get', { path: '/items', method: 'GET', handler: handler(none, 'Fn', api) });

    Template.fromStack(shared).resourceCountIs('AWS::ApiGateway::Account', 1);
    const t = Template.fromStack(none);
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE' });
  });
});

describe('SecureRestApi prop validation', () => {
  const pool = () => cognito.UserPool.fromUserPoolId(testStack(testApp(), 'Pools'), 'Pool', 'eu-west-1_abc123');
  const make = (props: Partial<ConstructorParameters<typeof SecureRestApi>[2]>) => () =>
    new SecureRestApi(testStack(testApp(), 'Invalid'), 'Api', { authorizer: ApiAuthorization.cognito([pool()]), ...props });

  test('rejects a "*" CORS origin without allowAnyOrigin', () => {
    expect(make({ cors: { allowOrigins: ['*'] } })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): cors.allowOrigins must be explicit origins such as "https://app.example.com" ("*" needs cors.allowAnyOrigin: true), got "*"');
  });

  test('accepts "*" with allowAnyOrigin, but not with credentials', () => {
    expect(make({ cors: { allowOrigins: ['*'], allowAnyOrigin: true } })).not.toThrow();
    expect(make({ cors: { allowOrigins: ['*'], allowAnyOrigin: true, allowCredentials: true } })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): cors.allowCredentials must be false when any origin is allowed, got true');
  });

  test('rejects a plain-http origin other than localhost', () => {
    expect(make({ cors: { allowOrigins: ['http://app.example.com'] } })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): cors.allowOrigins must be origins of the form https://host[:port] (http:// only for localhost), got "http://app.example.com"');
  });

  test('rejects a throttling rate <= 0 and a burst < 1', () => {
    expect(make({ throttling: { rateLimit: 0 } })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): throttling.rateLimit must be a number > 0 (requests per second), got 0');
    expect(make({ throttling: { rateLimit: 10, burstLimit: 0 } })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): throttling.burstLimit must be an integer >= 1, got 0');
  });

  test('rejects turning execution logging off', () => {
    expect(make({ executionLoggingLevel: apigw.MethodLoggingLevel.OFF })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): executionLoggingLevel must be INFO or ERROR (execution logging stays on), got "OFF"');
  });

  test('rejects a web ACL that is not REGIONAL', () => {
    expect(make({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/cf/0123' })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): webAclArn must be the ARN of a REGIONAL WAFv2 web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/...), got "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cf/0123"');
  });

  test('rejects an unknown cache size and a cache TTL above one hour', () => {
    expect(make({ cacheClusterSize: '2' })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): cacheClusterSize must be one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237, got "2"');
    expect(make({ cacheTtl: Duration.hours(2) })).toThrow(
      'SecureRestApi "Api" (Invalid/Api): cacheTtl must be 0-3600 seconds, got "7200 seconds"');
  });

  test('rejects a bad stage name', () => {
    expect(make({ stageName: 'v 1' })).toThrow('SecureRestApi "Api" (Invalid/Api): stageName must be 1-128 letters, digits, "_" or "-", got "v 1"');
  });

  test('requires an authorizer (JavaScript callers can omit it)', () => {
    expect(() => new SecureRestApi(testStack(testApp(), 'NoAuth'), 'Api', {} as any)).toThrow(
      'SecureRestApi "Api" (NoAuth/Api): authorizer must be an ApiAuthorization (cognito(), lambdaToken() or none(reason)), got undefined');
  });

  test('ApiAuthorization.none needs a reason', () => {
    expect(() => ApiAuthorization.none('')).toThrow(
      'ApiAuthorization.none: reason must be a sentence (20+ characters) saying why the API needs no authorizer, got ""');
  });

  test('ApiAuthorization.cognito needs a user pool and lambdaToken a sane cache TTL', () => {
    expect(() => ApiAuthorization.cognito([])).toThrow('ApiAuthorization.cognito: userPools must be at least one user pool, got "0 pools"');
    const fn = lambda.Function.fromFunctionName(testStack(testApp(), 'Fns'), 'Fn', 'authorizer');
    expect(() => ApiAuthorization.lambdaToken(fn, { resultsCacheTtl: Duration.hours(2) })).toThrow(
      'ApiAuthorization.lambdaToken: resultsCacheTtl must be 0-3600 seconds, got "7200 seconds"');
  });
});
