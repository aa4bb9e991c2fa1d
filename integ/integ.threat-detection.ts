import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, aws_sns_subscriptions as subscriptions, aws_sqs as sqs } from 'aws-cdk-lib';
import { EnvironmentConfig, ThreatDetection } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegThreatDetection');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

// Needs a region without a GuardDuty detector or Security Hub (both are one per account and region).
const threats = new ThreatDetection(stack, 'Threats');

// A queue subscribed to the findings topic lets the test read what the topic sends.
const inbox = new sqs.Queue(stack, 'Inbox', {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.DESTROY,
});
threats.topic.addSubscription(new subscriptions.SqsSubscription(inbox, { rawMessageDelivery: true }));

const integ = new IntegTest(app, 'ThreatDetectionIntegTest', { testCases: [stack] });
const detectorId = threats.detectorId!;

// The detector is on, with S3 and Lambda protection and without Runtime Monitoring.
integ.assertions.awsApiCall('GuardDuty', 'listDetectors', {})
  .expect(ExpectedResult.objectLike({ DetectorIds: [detectorId] }));
integ.assertions.awsApiCall('GuardDuty', 'getDetector', { DetectorId: detectorId })
  .expect(ExpectedResult.objectLike({
    Status: 'ENABLED',
    FindingPublishingFrequency: 'FIFTEEN_MINUTES',
    Features: Match.arrayWith([
      Match.objectLike({ Name: 'S3_DATA_EVENTS', Status: 'ENABLED' }),
      Match.objectLike({ Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' }),
      Match.objectLike({ Name: 'RUNTIME_MONITORING', Status: 'DISABLED' }),
    ]),
  }));

// Security Hub runs the Foundational Best Practices and CIS standards.
integ.assertions.awsApiCall('SecurityHub', 'getEnabledStandards', {})
  .expect(ExpectedResult.objectLike({
    StandardsSubscriptions: Match.arrayWith([
      Match.objectLike({ StandardsArn: Match.stringLikeRegexp('standards/aws-foundational-security-best-practices/v/1\\.0\\.0$'), StandardsStatus: 'READY' }),
      Match.objectLike({ StandardsArn: Match.stringLikeRegexp('standards/cis-aws-foundations-benchmark/v/3\\.0\\.0$'), StandardsStatus: 'READY' }),
    ]),
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

// A high-severity sample finding travels from GuardDuty through EventBridge to the topic.
integ.assertions.awsApiCall('GuardDuty', 'createSampleFindings', { DetectorId: detectorId, FindingTypes: ['Backdoor:EC2/C&CActivity.B!DNS'] })
  .next(integ.assertions.awsApiCall('SQS', 'receiveMessage', { QueueUrl: inbox.queueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 })
    .expect(ExpectedResult.objectLike({
      Messages: Match.arrayWith([Match.objectLike({ Body: Match.stringLikeRegexp('"detail-type":"GuardDuty Finding"') })]),
    }))
    .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) }));

app.synth();
