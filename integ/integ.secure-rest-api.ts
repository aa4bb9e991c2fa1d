import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack, aws_cognito as cognito, aws_lambda as lambda } from 'aws-cdk-lib';
import { ApiAuthorization, EnhancedLambdaFunction, EnvironmentConfig, SecureRestApi } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegSecureRestApi');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const users = new cognito.UserPool(stack, 'Users', { removalPolicy: RemovalPolicy.DESTROY });
// Note: the API Gateway account CloudWatch role and setting are retained after teardown on
// purpose (other APIs of the account may log through them).
const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([users]) });
const handler = new EnhancedLambdaFunction(stack, 'Handler', {
  code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "ok" }) });'),
  alarms: api.alarms,
});
api.addRoute('Health', {
  path: '/health',
  method: 'GET',
  handler,
  authorizationExempt: true,
  authorizationExemptReason: 'Uptime probes call the health check without credentials; it returns a constant body and no data.',
});
api.addRoute('ListFiles', { path: '/files', method: 'GET', handler, alarms: true }); // the route's own 5xx / 4xx / p99 alarms

const integ = new IntegTest(app, 'SecureRestApiIntegTest', { testCases: [stack] });

// The public health route reaches the function through its invocationTarget.
integ.assertions.httpApiCall(api.urlForPath('/health'))
  .expect(ExpectedResult.objectLike({ status: 200, body: { status: 'ok' } }));

// An authenticated route rejects a caller without a token at the gateway.
integ.assertions.httpApiCall(api.urlForPath('/files'))
  .expect(ExpectedResult.objectLike({ status: 401 }));

// The stage runs with tracing, the client certificate and JSON access logs.
integ.assertions.awsApiCall('APIGateway', 'getStage', { restApiId: api.api.restApiId, stageName: api.stageName })
  .expect(ExpectedResult.objectLike({
    tracingEnabled: true,
    clientCertificateId: Match.stringLikeRegexp('.+'),
    accessLogSettings: Match.objectLike({ format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') }),
  }));

app.synth();
