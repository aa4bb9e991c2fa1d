import { Duration, Stack, StackProps, aws_cognito as cognito, aws_dynamodb as dynamodb, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ApiAuthorization, SecureRestApi } from '../api';
import { EnhancedLambdaFunction } from '../compute';
import { EnvironmentConfig } from '../governance';
import { AlarmSet, OperationsDashboard } from '../monitoring';
import { SecureBucket, SecureTable } from '../storage';

/**
 * The data and API core of CloudVault, composed only from the library's constructs (plus the
 * Cognito user pool the API authorizes against). The full reference app (network, security,
 * events, recovery, cost, pipeline stacks and the real handlers) builds on this.
 */
export class CloudVaultCoreStack extends Stack {
  public readonly table: SecureTable;
  public readonly files: SecureBucket;
  public readonly api: SecureRestApi;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const env = EnvironmentConfig.of(this);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: 'CloudVault' });

    // Single table: tenant-scoped keys; GSIs for user-by-email, folder hierarchy, file search, share links.
    this.table = new SecureTable(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      stream: true,
      timeToLiveAttribute: 'expiresAt',
      globalSecondaryIndexes: [
        { indexName: 'UserByEmail', partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING } },
        { indexName: 'FolderChildren', partitionKey: { name: 'gsi2pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'gsi2sk', type: dynamodb.AttributeType.STRING } },
        { indexName: 'FileSearch', partitionKey: { name: 'gsi3pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'gsi3sk', type: dynamodb.AttributeType.STRING } },
        { indexName: 'ShareLinks', partitionKey: { name: 'gsi4pk', type: dynamodb.AttributeType.STRING } },
      ],
      alarms: this.alarms,
    });
    this.files = new SecureBucket(this, 'Files', { eventBridgeEnabled: true, alarms: this.alarms });

    const userPool = new cognito.UserPool(this, 'Users', {
      signInAliases: { email: true },
      selfSignUpEnabled: false,
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: env.isProduction ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: env.deletionProtection,
      removalPolicy: env.removalPolicy,
    });

    this.api = new SecureRestApi(this, 'Api', {
      authorizer: ApiAuthorization.cognito([userPool]),
      alarms: this.alarms,
    });
    const health = new EnhancedLambdaFunction(this, 'Health', {
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "ok" }) });'),
      timeout: Duration.seconds(5),
      deadLetterQueueEnabled: false,
      alarms: this.alarms,
    });
    this.api.addRoute('Health', { path: '/api/health', method: 'GET', handler: health, public: true, publicReason: 'Liveness probe for load balancers and uptime checks; returns no data.' });

    new OperationsDashboard(this, 'Dashboard');
  }
}
