import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { EnhancedLambdaFunction, EnvironmentConfig, SafeDeployment } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegSafeDeployment');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run; dev shifts all at once

const fn = new EnhancedLambdaFunction(stack, 'Orders', {
  code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  liveAliasEnabled: true,
});
const deployment = new SafeDeployment(stack, 'Deploy', { handler: fn });

const integ = new IntegTest(app, 'SafeDeploymentIntegTest', { testCases: [stack] });

// The deployment group shifts the live alias, rolls back on failure, stop and every alarm of the function.
integ.assertions.awsApiCall('CodeDeploy', 'getDeploymentGroup', {
  applicationName: deployment.application.applicationName,
  deploymentGroupName: deployment.deploymentGroup.deploymentGroupName,
}).expect(ExpectedResult.objectLike({
  deploymentGroupInfo: Match.objectLike({
    computePlatform: 'Lambda',
    deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    alarmConfiguration: Match.objectLike({ enabled: true, alarms: fn.alarms.alarms.map((a) => ({ name: a.alarmName })) }),
    autoRollbackConfiguration: {
      enabled: true,
      events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    },
  }),
}));

// CodeDeploy's role carries one customer-managed policy, not AWSCodeDeployRoleForLambdaLimited.
integ.assertions.awsApiCall('IAM', 'listAttachedRolePolicies', { RoleName: deployment.role.roleName })
  .expect(ExpectedResult.objectLike({
    AttachedPolicies: [Match.objectLike({ PolicyArn: Match.stringLikeRegexp('^arn:aws[a-z-]*:iam::[0-9]{12}:policy/') })],
  }));

app.synth();
