import { ArnFormat, RemovalPolicy, Stack, Token, aws_apigateway as apigw, aws_iam as iam } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';

const ACCOUNT_LOGGING_ID = 'CloudVaultApiGatewayAccount';

/**
 * The account's API Gateway CloudWatch role, once per stack. API Gateway writes execution and
 * access logs with it. Instead of the AWS managed AmazonAPIGatewayPushToCloudWatchLogs
 * (every logs action it lists on "*") the role gets a customer-managed policy with the write
 * and describe actions on this account's and region's log groups. It cannot be narrower: the
 * setting is account-wide and serves every API in the region, whose log groups this
 * stack does not know. Role, policy and setting are retained on deletion, since other APIs
 * may still log through them.
 */
export function accountLogging(scope: IConstruct, api: IConstruct): IConstruct {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(ACCOUNT_LOGGING_ID);
  if (existing) return existing;
  const container = new Construct(stack, ACCOUNT_LOGGING_ID);
  const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const policy = new iam.ManagedPolicy(container, 'Policy', {
    description: 'API Gateway account CloudWatch role: write execution and access logs of this account and region',
    statements: [new iam.PolicyStatement({
      sid: 'WriteApiGatewayLogs',
      actions: [
        'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams',
        'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents',
      ],
      resources: [logGroups],
    })],
  });
  const role = new iam.Role(container, 'Role', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: 'API Gateway account CloudWatch role (execution and access logging)',
    managedPolicies: [policy],
  });
  const account = new apigw.CfnAccount(container, 'Account', { cloudWatchRoleArn: role.roleArn });
  // The account setting can only be written once the region has an API (`api`: the L1 of one).
  account.node.addDependency(api, policy);
  for (const r of [role, policy]) r.applyRemovalPolicy(RemovalPolicy.RETAIN);
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);

  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const accountId = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  acknowledge(policy, [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${accountId}:log-group:*]`],
    'The API Gateway CloudWatch role is one per account and region and writes the execution and access logs of every REST API there, whose log group names this stack cannot know. The policy is limited to CloudWatch Logs write and describe actions in this account and region.');
  return container;
}
