import { CfnOutput, Duration, Stack, StackProps, aws_cognito as cognito, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_DIR, handlerEnvironment, pascalCase } from './app-settings';
import { ApiHandlerName, ROUTES } from './routes';
import { AlarmSet, ApiAuthorization, EnhancedLambdaFunction, SecureRestApi, SecureTable, UserDirectory } from '../../../src';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

export interface PatchTrackerApiStackProps extends StackProps {
  readonly alarmTopic: sns.ITopic;
  /** ARN of the regional WAF web ACL in front of the API. */
  readonly webAclArn: string;
  readonly patches: SecureTable;
  readonly discussions: SecureTable;
}

/** Users and the read API (patches by status, submitter or series; one patch with its discussion). */
export class PatchTrackerApiStack extends Stack {
  public readonly users: UserDirectory;
  public readonly webClient: cognito.UserPoolClient;
  public readonly api: SecureRestApi;
  public readonly functions: Record<ApiHandlerName, EnhancedLambdaFunction>;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PatchTrackerApiStackProps) {
    super(scope, id, props);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });
    // Readers are invited by an admin (no self sign-up); MFA required in prod (UserDirectory's default).
    this.users = new UserDirectory(this, 'Users', { alarms: this.alarms });
    this.webClient = this.users.userPool.addClient('WebClient', {
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
    });
    this.api = new SecureRestApi(this, 'Api', {
      authorizer: ApiAuthorization.cognito([this.users.userPool]),
      webAclArn: props.webAclArn,
      alarms: this.alarms,
    });

    const names = [...new Set(ROUTES.map((r) => r.handler))];
    this.functions = Object.fromEntries(names.map((name) => {
      const fn = new EnhancedLambdaFunction(this, pascalCase(name), {
        code: bundledHandlerCode(APP_DIR, name),
        environment: { ...handlerEnvironment(name), PATCHES_TABLE: props.patches.tableName, DISCUSSIONS_TABLE: props.discussions.tableName },
        memorySize: 512,
        timeout: Duration.seconds(10),
        deadLetterQueueEnabled: false, // synchronous: the caller gets the error
        alarms: this.alarms,
      });
      props.patches.grantReadData(fn);
      props.discussions.grantReadData(fn);
      return [name, fn];
    })) as Record<ApiHandlerName, EnhancedLambdaFunction>;
    for (const route of ROUTES) {
      this.api.addRoute(route.name, {
        path: route.path,
        method: route.method,
        handler: this.functions[route.handler],
        authorizationExempt: route.publicReason !== undefined,
        authorizationExemptReason: route.publicReason,
      });
    }
    // What a client needs to sign in and call the API.
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the read API' });
    new CfnOutput(this, 'UserPoolId', { value: this.users.userPool.userPoolId, description: 'Cognito user pool of the readers' });
    new CfnOutput(this, 'WebClientId', { value: this.webClient.userPoolClientId, description: 'App client for SRP sign-in' });
  }
}
