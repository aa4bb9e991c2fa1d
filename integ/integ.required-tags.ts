import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack, aws_kms as kms, aws_sqs as sqs } from 'aws-cdk-lib';
import { EnvironmentConfig, RequiredTags } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegRequiredTags');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const tags = { environment: 'integ', project: 'cloudvault', owner: 'platform-team', costCenter: 'CC-1234' };
RequiredTags.applyTo(stack, tags);

const key = new kms.Key(stack, 'Key', {
  enableKeyRotation: true,
  pendingWindow: Duration.days(7),
  removalPolicy: EnvironmentConfig.of(stack).removalPolicy,
});
const queue = new sqs.Queue(stack, 'Queue', {
  encryption: sqs.QueueEncryption.KMS,
  encryptionMasterKey: key,
  enforceSSL: true,
  removalPolicy: EnvironmentConfig.of(stack).removalPolicy,
});

const integ = new IntegTest(app, 'RequiredTagsIntegTest', { testCases: [stack] });

// A plain aws-cdk-lib resource below the scope carries all four required tags once deployed.
integ.assertions.awsApiCall('SQS', 'listQueueTags', { QueueUrl: queue.queueUrl })
  .expect(ExpectedResult.objectLike({
    Tags: Match.objectLike({ Environment: 'integ', Project: 'cloudvault', Owner: 'platform-team', CostCenter: 'CC-1234' }),
  }));

app.synth();
