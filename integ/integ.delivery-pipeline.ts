import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, CfnWaitConditionHandle, Stack, Stage } from 'aws-cdk-lib';
import { EnvironmentConfig, EnvironmentName, DeliveryPipeline } from '../src';

// NOT DEPLOYABLE AS IS: the pipeline needs a real, AVAILABLE CodeConnections connection to a
// GitHub repository holding a CDK app. The snapshot is synthesized with the placeholder below;
// to deploy, run integ:deploy with `-c cloudvault:integ-connection-arn=<arn>` and
// `-c cloudvault:integ-repository=<owner/name>`. Only the pipeline stack is deployed: the stages
// are deployed by the pipeline itself, once it runs.
const app = new App();
const connectionArn = app.node.tryGetContext('cloudvault:integ-connection-arn')
  ?? 'arn:aws:codeconnections:eu-west-1:111111111111:connection/00000000-0000-0000-0000-000000000000';
const repository = app.node.tryGetContext('cloudvault:integ-repository') ?? 'cloudvault-maintainers/cloudvault-constructs';

const stack = new Stack(app, 'CvIntegDeliveryPipeline');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const delivery = new DeliveryPipeline(stack, 'Delivery', { repository, connectionArn });
for (const name of [EnvironmentName.DEV, EnvironmentName.PROD]) {
  const stage = new Stage(app, `CvIntegDelivery-${name}`);
  const appStack = new Stack(stage, 'App');
  EnvironmentConfig.fromName(name).applyTo(appStack);
  new CfnWaitConditionHandle(appStack, 'Placeholder');
  delivery.addEnvironment(name, stage);
}
delivery.buildPipeline();

const integ = new IntegTest(app, 'DeliveryPipelineIntegTest', { testCases: [stack] });

// A V2 pipeline with a KMS-encrypted artifact store: source through the connection, then
// synth and the security step, self-mutation, and the environments with an approval before prod.
integ.assertions.awsApiCall('CodePipeline', 'getPipeline', { name: delivery.pipeline.pipelineName })
  .expect(ExpectedResult.objectLike({
    pipeline: Match.objectLike({
      pipelineType: 'V2',
      artifactStore: Match.objectLike({ type: 'S3', encryptionKey: Match.objectLike({ type: 'KMS' }) }),
      stages: [
        Match.objectLike({
          name: 'Source',
          actions: [Match.objectLike({
            actionTypeId: Match.objectLike({ provider: 'CodeStarSourceConnection' }),
            configuration: Match.objectLike({ ConnectionArn: connectionArn, FullRepositoryId: repository, BranchName: 'main' }),
          })],
        }),
        Match.objectLike({ name: 'Build', actions: [Match.objectLike({ name: 'Synth' }), Match.objectLike({ name: 'Security' })] }),
        Match.objectLike({ name: 'UpdatePipeline' }),
        Match.objectLike({ name: 'CvIntegDelivery-dev' }),
        Match.objectLike({
          name: 'CvIntegDelivery-prod',
          actions: Match.arrayWith([Match.objectLike({ name: 'Approve-prod', actionTypeId: Match.objectLike({ category: 'Approval' }) })]),
        }),
      ],
    }),
  }));

// Pipeline failures are sent to the encrypted topic.
integ.assertions.awsApiCall('CodeStarNotifications', 'describeNotificationRule', { Arn: delivery.notificationRule.notificationRuleArn })
  .expect(ExpectedResult.objectLike({
    EventTypes: [Match.objectLike({ EventTypeId: 'codepipeline-pipeline-pipeline-execution-failed' })],
    Targets: [Match.objectLike({ TargetAddress: delivery.topic.topicArn, TargetType: 'SNS' })],
    Status: 'ENABLED',
  }));

app.synth();
