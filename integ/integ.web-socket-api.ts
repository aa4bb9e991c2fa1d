import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig, UserDirectory, WebSocketApi } from '../src';

const app = new App();
// SecureTable (the connection table) renders its customer-managed key per region: a concrete region.
const env = { region: process.env.CDK_INTEG_REGION ?? process.env.CDK_DEFAULT_REGION ?? 'eu-west-1' };
const stack = new Stack(app, 'CvIntegWebSocketApi', { env });
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const users = new UserDirectory(stack, 'Users', { browserClient: { callbackUrls: ['https://app.example.com/callback'] } });
// Stand-in functions: the authorizer denies every caller (this test checks the wiring, not tokens);
// the route handlers answer 200.
const fn = (id: string, code: string) => new EnhancedLambdaFunction(stack, id, { code: lambda.Code.fromInline(code), deadLetterQueueEnabled: false });
const deny = 'exports.handler = async (e) => ({ principalId: "anonymous", policyDocument: { Version: "2012-10-17", '
  + 'Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: e.methodArn }] } });';
const ok = 'exports.handler = async () => ({ statusCode: 200 });';
const realtime = new WebSocketApi(stack, 'Realtime', {
  userDirectory: users,
  authorizerFunction: fn('Authorize', deny).invocationTarget,
  connectHandler: fn('Connect', ok).invocationTarget,
  disconnectHandler: fn('Disconnect', ok).invocationTarget,
  defaultHandler: fn('Message', ok).invocationTarget,
});

const integ = new IntegTest(app, 'WebSocketApiIntegTest', {
  testCases: [stack],
  assertionStack: new Stack(app, 'CvIntegWebSocketApiAssertions', { env }),
});
const ApiId = realtime.api.apiId;

// $connect is the one authorized route, with the Lambda authorizer on the query-string token.
integ.assertions.awsApiCall('ApiGatewayV2', 'getRoutes', { ApiId })
  .expect(ExpectedResult.objectLike({
    Items: Match.arrayWith([Match.objectLike({ RouteKey: '$connect', AuthorizationType: 'CUSTOM' })]),
  }));
integ.assertions.awsApiCall('ApiGatewayV2', 'getAuthorizers', { ApiId })
  .expect(ExpectedResult.objectLike({
    Items: [Match.objectLike({ AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] })],
  }));

// The stage logs JSON access lines to our log group and throttles.
integ.assertions.awsApiCall('ApiGatewayV2', 'getStage', { ApiId, StageName: 'v1' })
  .expect(ExpectedResult.objectLike({
    AccessLogSettings: Match.objectLike({ DestinationArn: realtime.accessLogGroup.logGroupArn }),
    DefaultRouteSettings: Match.objectLike({ LoggingLevel: 'INFO', DetailedMetricsEnabled: true, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
  }));

// Connections expire through TTL.
integ.assertions.awsApiCall('DynamoDB', 'describeTimeToLive', { TableName: realtime.connectionTable!.tableName })
  .expect(ExpectedResult.objectLike({ TimeToLiveDescription: { AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' } }));

app.synth();
