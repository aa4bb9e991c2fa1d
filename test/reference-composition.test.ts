import { aws_apigateway as apigw, aws_cognito as cognito, aws_dynamodb as dynamodb, aws_lambda as lambda, aws_s3 as s3 } from 'aws-cdk-lib';
import { ApiAuthorization, EnhancedLambdaFunction, SecureBucket, SecureRestApi, SecureTable } from '../src';
import { CONTROL_TOWER, nagFindings, testStack } from './support/nag-harness';

// The yardstick: one table, one bucket, one function with read/write grants and one REST route.
const inline = 'exports.handler = async () => ({ statusCode: 200, body: "[]" })';

test('a plain aws-cdk-lib composition has 68 findings across the five packs and 14 Control Tower failures', () => {
  const stack = testStack();
  const table = new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const bucket = new s3.Bucket(stack, 'Bucket');
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline(inline) });
  table.grantReadWriteData(fn);
  bucket.grantReadWrite(fn);
  const api = new apigw.RestApi(stack, 'Api');
  api.root.addResource('files').addMethod('GET', new apigw.LambdaIntegration(fn));
  const findings = nagFindings(stack);
  expect(findings.filter((f) => f.pack !== CONTROL_TOWER)).toHaveLength(68);
  expect(findings.filter((f) => f.pack === CONTROL_TOWER)).toHaveLength(14);
});

test('the same composition from cloudvault-constructs has none', () => {
  const stack = testStack();
  const table = new SecureTable(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const bucket = new SecureBucket(stack, 'Bucket');
  const fn = new EnhancedLambdaFunction(stack, 'Fn', { code: lambda.Code.fromInline(inline) });
  table.grantReadWriteData(fn);
  bucket.grantReadWrite(fn);
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'Users', 'eu-west-1_example');
  const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([userPool]) });
  api.addRoute('ListFiles', { path: '/files', method: 'GET', handler: fn });
  expect(nagFindings(stack)).toEqual([]);
});
