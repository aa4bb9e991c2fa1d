import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EnvironmentConfig, SecretStore } from '../src';

const app = new App();
const stack = new Stack(app, 'CvIntegSecretStore');
EnvironmentConfig.dev().applyTo(stack); // integ stacks are torn down after the run

const store = new SecretStore(stack, 'Secrets', { rotationDays: 7 });
const apiKey = store.addApiKeySecret('PartnerApiKey', { description: 'Integ test API key' });
const rotation = store.rotationFunction!;

const integ = new IntegTest(app, 'SecretStoreIntegTest', { testCases: [stack] });
const SecretId = apiKey.secretArn;

// Rotation is on, every 7 days, with the store's function, and the secret uses the customer-managed key.
integ.assertions.awsApiCall('SecretsManager', 'describeSecret', { SecretId })
  .expect(ExpectedResult.objectLike({
    RotationEnabled: true,
    KmsKeyId: store.encryptionKey.keyArn,
    RotationLambdaARN: rotation.invocationTarget.functionArn,
    RotationRules: Match.objectLike({ AutomaticallyAfterDays: 7 }),
  }));

// Creating the schedule starts a first rotation: once the function has run its four steps, the
// generated value is AWSPREVIOUS and the current one, written by the function, is a well-formed key.
const rotated = integ.assertions.awsApiCall('SecretsManager', 'listSecretVersionIds', { SecretId })
  .expect(ExpectedResult.objectLike({ Versions: Match.arrayWith([Match.objectLike({ VersionStages: ['AWSPREVIOUS'] })]) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(15) });
const value = integ.assertions.awsApiCall('SecretsManager', 'getSecretValue', { SecretId, VersionStage: 'AWSCURRENT' })
  .expect(ExpectedResult.objectLike({ SecretString: Match.stringLikeRegexp('^[A-Za-z0-9]{48}$') }));
value.provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [store.encryptionKey.keyArn] });
rotated.next(value);

// The resource policy denies principals of other accounts.
integ.assertions.awsApiCall('SecretsManager', 'getResourcePolicy', { SecretId })
  .expect(ExpectedResult.objectLike({
    ResourcePolicy: Match.serializedJson(Match.objectLike({
      Statement: Match.arrayWith([Match.objectLike({
        Sid: 'DenyOtherAccounts',
        Effect: 'Deny',
        Action: 'secretsmanager:*',
        Condition: { StringNotEquals: { 'aws:PrincipalAccount': Match.stringLikeRegexp('^[0-9]{12}$') }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
      })]),
    })),
  }));

// Only Secrets Manager, for this account, may invoke the rotation function.
integ.assertions.awsApiCall('Lambda', 'getPolicy', { FunctionName: rotation.function.functionName })
  .expect(ExpectedResult.objectLike({
    Policy: Match.serializedJson(Match.objectLike({
      Statement: [Match.objectLike({
        Effect: 'Allow',
        Principal: { Service: 'secretsmanager.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Condition: { StringEquals: { 'AWS:SourceAccount': Match.stringLikeRegexp('^[0-9]{12}$') } },
      })],
    })),
  }));

app.synth();
