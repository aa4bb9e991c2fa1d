import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegEnhancedLambdaFunction');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const fn = new EnhancedLambdaFunction(stack, 'Echo', {
  code: lambda.Code.fromInline(
    'exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ echo: event.message, service: process.env.POWERTOOLS_SERVICE_NAME }) });',
  ),
  serviceName: 'echo',
  liveAliasEnabled: true,
});

const integ = new IntegTest(app, 'EnhancedLambdaFunctionIntegTest', { testCases: [stack] });

// The live alias answers with the function's code and sees the Powertools environment.
integ.assertions.invokeFunction({ functionName: fn.invocationTarget.functionArn, payload: JSON.stringify({ message: 'hello' }) })
  .expect(ExpectedResult.objectLike({
    StatusCode: 200,
    Payload: Match.serializedJson(Match.objectLike({ statusCode: 200, body: Match.serializedJson({ echo: 'hello', service: 'echo' }) })),
  }));

// What the deployed function must show: ARM64, Node.js 24, active tracing, encrypted environment, DLQ, JSON logs.
integ.assertions.awsApiCall('Lambda', 'getFunctionConfiguration', { FunctionName: fn.function.functionName })
  .expect(ExpectedResult.objectLike({
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    TracingConfig: { Mode: 'Active' },
    KMSKeyArn: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:'),
    DeadLetterConfig: { TargetArn: Match.stringLikeRegexp('^arn:aws[a-z-]*:sqs:') },
    LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
  }));

// Its log group is encrypted with the customer-managed key.
integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: fn.logGroup.logGroupName })
  .expect(ExpectedResult.objectLike({ logGroups: [Match.objectLike({ kmsKeyId: Match.stringLikeRegexp('^arn:aws[a-z-]*:kms:') })] }));

app.synth();
