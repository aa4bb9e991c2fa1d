/**
 * Issue 12's yardstick, shared by test/scale.test.ts and bench/scale-app.ts: services `from`..`to`
 * (function + table + bucket + one GET route, with read/write grants) in `stack`, built with the
 * library or with plain aws-cdk-lib L2s.
 */
import {
  Stack, aws_apigateway as apigw, aws_cognito as cognito, aws_dynamodb as dynamodb, aws_lambda as lambda, aws_s3 as s3,
} from 'aws-cdk-lib';
import { ApiAuthorization, EnhancedLambdaFunction, SecureBucket, SecureRestApi, SecureTable } from '../src';

const inline = 'exports.handler = async () => ({ statusCode: 200, body: "[]" })';

export function libraryServices(stack: Stack, from: number, to: number): void {
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'Users', 'eu-west-1_example');
  const api = new SecureRestApi(stack, 'Api', { authorizer: ApiAuthorization.cognito([userPool]) });
  for (let i = from; i < to; i++) {
    const table = new SecureTable(stack, `Table${i}`, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const bucket = new SecureBucket(stack, `Bucket${i}`);
    const fn = new EnhancedLambdaFunction(stack, `Fn${i}`, { code: lambda.Code.fromInline(inline) });
    table.grantReadWriteData(fn);
    bucket.grantReadWrite(fn);
    api.addRoute(`List${i}`, { path: `/s${i}`, method: 'GET', handler: fn });
  }
}

export function l2Services(stack: Stack, from: number, to: number): void {
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'Users', 'eu-west-1_example');
  const api = new apigw.RestApi(stack, 'Api');
  const authorizer = new apigw.CognitoUserPoolsAuthorizer(stack, 'Authorizer', { cognitoUserPools: [userPool] });
  for (let i = from; i < to; i++) {
    const table = new dynamodb.Table(stack, `Table${i}`, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const bucket = new s3.Bucket(stack, `Bucket${i}`);
    const fn = new lambda.Function(stack, `Fn${i}`, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline(inline) });
    table.grantReadWriteData(fn);
    bucket.grantReadWrite(fn);
    api.root.addResource(`s${i}`).addMethod('GET', new apigw.LambdaIntegration(fn), { authorizer, authorizationType: apigw.AuthorizationType.COGNITO });
  }
}
