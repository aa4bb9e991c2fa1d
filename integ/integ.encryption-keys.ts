import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack, aws_logs as logs } from 'aws-cdk-lib';
import { EnvironmentConfig, EncryptionKeys, KeyPurpose } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegEncryptionKeys');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run (keys: 7-day pending window)

const keys = new EncryptionKeys(stack, 'Keys', { rotationPeriodDays: 180 });

// A log group can only be created with a key whose policy lets CloudWatch Logs use it.
const logGroup = new logs.LogGroup(stack, 'EncryptedLogs', {
  encryptionKey: keys.logs,
  retention: logs.RetentionDays.ONE_DAY,
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'EncryptionKeysIntegTest', { testCases: [stack] });

for (const purpose of keys.purposes) {
  const key = keys.keyFor(purpose);
  // Every key is a customer-managed symmetric key with rotation on, every 180 days.
  integ.assertions.awsApiCall('KMS', 'getKeyRotationStatus', { KeyId: key.keyId })
    .expect(ExpectedResult.objectLike({ KeyRotationEnabled: true, RotationPeriodInDays: 180 }));
  integ.assertions.awsApiCall('KMS', 'describeKey', { KeyId: key.keyId })
    .expect(ExpectedResult.objectLike({
      KeyMetadata: Match.objectLike({ KeyManager: 'CUSTOMER', KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }),
    }));
  // ... reachable by its purpose alias.
  integ.assertions.awsApiCall('KMS', 'listAliases', { KeyId: key.keyId })
    .expect(ExpectedResult.objectLike({ Aliases: [Match.objectLike({ AliasName: `alias/CvIntegEncryptionKeys/Keys/${purpose}` })] }));
}

const keyPolicy = (purpose: KeyPurpose, statements: object[]) =>
  integ.assertions.awsApiCall('KMS', 'getKeyPolicy', { KeyId: keys.keyFor(purpose).keyId, PolicyName: 'default' })
    .expect(ExpectedResult.objectLike({ Policy: Match.serializedJson(Match.objectLike({ Statement: Match.arrayWith(statements) })) }));

// Services use the keys only for this account: CloudWatch Logs for this account's log groups,
// publishers of topics and queues by source account, AWS Backup only through its service.
keyPolicy(KeyPurpose.LOGS, [Match.objectLike({
  Sid: 'AllowCloudWatchLogsForThisAccount',
  Effect: 'Allow',
  Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.stringLikeRegexp(':log-group:\\*$') } },
})]);
keyPolicy(KeyPurpose.MESSAGING, [
  Match.objectLike({ Sid: 'AllowAwsServicesToPublishForThisAccount', Effect: 'Allow', Condition: { StringEquals: { 'aws:SourceAccount': Match.stringLikeRegexp('^[0-9]{12}$') } } }),
  Match.objectLike({ Sid: 'AllowCloudWatchAlarmsToPublish', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
  Match.objectLike({ Sid: 'AllowUseThroughSnsAndSqs', Effect: 'Allow' }),
]);
keyPolicy(KeyPurpose.BACKUP, [
  Match.objectLike({ Sid: 'AllowUseThroughAwsBackup', Condition: { StringEquals: Match.objectLike({ 'kms:ViaService': Match.stringLikeRegexp('^backup\\.') }) } }),
  Match.objectLike({ Sid: 'AllowGrantsForAwsBackup', Condition: Match.objectLike({ Bool: { 'kms:GrantIsForAWSResource': 'true' } }) }),
]);
keyPolicy(KeyPurpose.STORAGE, [Match.objectLike({ Sid: 'AllowS3ReportsForThisAccount', Principal: { Service: 's3.amazonaws.com' } })]);

// The log group was created encrypted with the logs key.
integ.assertions.awsApiCall('CloudWatchLogs', 'describeLogGroups', { logGroupNamePrefix: logGroup.logGroupName })
  .expect(ExpectedResult.objectLike({ logGroups: [Match.objectLike({ kmsKeyId: keys.logs!.keyArn })] }));

app.synth();
