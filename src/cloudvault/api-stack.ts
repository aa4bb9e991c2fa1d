import { Duration, Stack, StackProps, aws_cognito as cognito, aws_ec2 as ec2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerCode } from './handler-code';
import { CLOUDVAULT_METRICS_NAMESPACE } from './monitoring-stack';
import { ApiAuthorization, SecureRestApi } from '../api';
import { EnhancedLambdaFunction } from '../compute';
import { acknowledge } from '../core/acknowledge';
import { EnvironmentConfig } from '../governance';
import { AlarmSet } from '../monitoring';
import { SecureTable } from '../storage';

/** Properties of the CloudVault API stack. */
export interface CloudVaultApiStackProps extends StackProps {
  /** The one alarm topic of the app. */
  readonly alarmTopic: sns.ITopic;
  /** ARN of the regional WAF web ACL that fronts the API. */
  readonly webAclArn: string;
  /** VPC the handlers run in. */
  readonly vpc: ec2.IVpc;
  /** The single table the handlers read and write. */
  readonly table: SecureTable;
}

// Reported by the health route; resolves from src/cloudvault and lib/cloudvault alike.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../../package.json').version;

/** Environment of every CloudVault handler: Powertools service name and metrics namespace. */
export function handlerEnvironment(service: string): Record<string, string> {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: CLOUDVAULT_METRICS_NAMESPACE, CLOUDVAULT_VERSION: VERSION };
}

/** Users and the REST API: changes with every feature. */
export class CloudVaultApiStack extends Stack {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly groups: cognito.CfnUserPoolGroup[];
  public readonly api: SecureRestApi;
  public readonly health: EnhancedLambdaFunction;
  public readonly folders: EnhancedLambdaFunction;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: CloudVaultApiStackProps) {
    super(scope, id, props);
    const env = EnvironmentConfig.of(this);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });

    this.userPool = new cognito.UserPool(this, 'Users', {
      signInAliases: { email: true },
      selfSignUpEnabled: false,
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Optional outside prod (issue 5), required in prod.
      mfa: env.isProduction ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // The handlers take the tenant only from this claim (custom:tenantId), set by an admin.
      customAttributes: { tenantId: new cognito.StringAttribute({ mutable: false, minLen: 1, maxLen: 64 }) },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: env.deletionProtection,
      removalPolicy: env.removalPolicy,
    });
    this.userPoolClient = this.userPool.addClient('WebClient', {
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      // Users never write custom:tenantId (immutable anyway): the app client may write only these.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
    this.groups = [
      new cognito.CfnUserPoolGroup(this, 'AdminGroup', { userPoolId: this.userPool.userPoolId, groupName: 'admin', description: 'Tenant administrators', precedence: 0 }),
      new cognito.CfnUserPoolGroup(this, 'MemberGroup', { userPoolId: this.userPool.userPoolId, groupName: 'member', description: 'Tenant members', precedence: 10 }),
    ];

    this.api = new SecureRestApi(this, 'Api', {
      authorizer: ApiAuthorization.cognito([this.userPool]),
      webAclArn: props.webAclArn,
      alarms: this.alarms,
    });
    this.health = new EnhancedLambdaFunction(this, 'Health', {
      code: handlerCode('health'),
      environment: handlerEnvironment('health'),
      timeout: Duration.seconds(5),
      deadLetterQueueEnabled: false,
      vpc: props.vpc,
      alarms: this.alarms,
    });
    this.api.addRoute('Health', { path: '/api/health', method: 'GET', handler: this.health, public: true, publicReason: 'Liveness probe for load balancers and uptime checks; returns no data.' });

    // folderService: hierarchy with transactional moves and renames (src/cloudvault/handlers/folders.lambda.ts).
    this.folders = new EnhancedLambdaFunction(this, 'Folders', {
      code: handlerCode('folders'),
      environment: { ...handlerEnvironment('folders'), TABLE_NAME: props.table.tableName },
      memorySize: 512,
      timeout: Duration.seconds(10),
      deadLetterQueueEnabled: false,
      vpc: props.vpc,
      alarms: this.alarms,
    });
    props.table.grantReadWriteData(this.folders);
    this.api.addRoute('ListFolders', { path: '/api/folders', method: 'GET', handler: this.folders });
    this.api.addRoute('CreateFolder', { path: '/api/folders', method: 'POST', handler: this.folders });
    this.api.addRoute('GetFolder', { path: '/api/folders/{id}', method: 'GET', handler: this.folders });
    this.api.addRoute('UpdateFolder', { path: '/api/folders/{id}', method: 'PATCH', handler: this.folders });
    this.api.addRoute('DeleteFolder', { path: '/api/folders/{id}', method: 'DELETE', handler: this.folders });

    if (!env.isProduction) {
      acknowledge(this.userPool, ['AwsSolutions-COG2'],
        'MFA is optional outside prod (the reference app\'s dev/staging profiles) so test users and automated end-to-end runs can sign in with a password; prod requires TOTP MFA.');
    }
  }
}
