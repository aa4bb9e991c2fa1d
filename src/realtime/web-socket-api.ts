import {
  Duration,
  Stack,
  Token,
  aws_apigateway as apigw,
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_authorizers as authorizers,
  aws_apigatewayv2_integrations as integrations,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { accountLogging } from '../api/account-logging';
import { validateThrottling } from '../api/throttling';
import { acknowledge, controlTowerRule } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { IUserDirectory } from '../identity/user-directory';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';
import { SecureTable } from '../storage/secure-table';

/** Properties of a WebSocketApi. */
export interface WebSocketApiProps {
  /** The directory whose tokens the `$connect` authorizer accepts (see `authorizerEnvironment`). */
  readonly userDirectory: IUserDirectory;
  /**
   * Lambda authorizer of `$connect`: verifies the caller's Cognito JWT (signature against the
   * pool's JWKS, `iss`, `token_use`, `exp`, and `client_id`/`aud` among the directory's clients)
   * and returns an IAM policy with the user's id, tenant and groups as context. Give it
   * `authorizerEnvironment`. An `EnhancedLambdaFunction` is passed as its `invocationTarget`.
   */
  readonly authorizerFunction: lambda.IFunction;
  /** Handles `$connect` after the authorizer allowed it (e.g. stores the connection). */
  readonly connectHandler: lambda.IFunction;
  /** Handles `$disconnect` (e.g. deletes the connection). */
  readonly disconnectHandler: lambda.IFunction;
  /** Handles every message that no other route matches. */
  readonly defaultHandler: lambda.IFunction;
  /**
   * Where the authorizer reads the token: browsers cannot set headers on a WebSocket, so the
   * query string by default (`wss://host?token=<jwt>`).
   * @default ['route.request.querystring.token']
   */
  readonly identitySource?: string[];
  /**
   * Name of the API.
   * @default - a name derived from the construct path
   */
  readonly apiName?: string;
  /**
   * Name of the stage.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling of messages (per second and burst).
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttling?: apigw.ThrottleSettings;
  /**
   * A DynamoDB table of yours that holds the connections (partition key of your choice, e.g.
   * `connectionId`); the construct grants the handlers on it as on its own table. Give the handlers
   * its name yourself (e.g. an environment variable).
   * @default - a new connection table unless `createConnectionTable` is false
   */
  readonly connectionTable?: dynamodb.ITable;
  /**
   * Whether the construct creates its connection table (`SecureTable`, `connectionId` partition
   * key, TTL on `expiresAt`). `false` without `connectionTable`: the connections live in a store of
   * yours (e.g. PostgreSQL through `Database.grantConnect`), which you grant the handlers; the
   * construct then grants them nothing but the API's invocations, and `grantManageConnections`
   * still lets a back end post to the connections.
   * @default - true, unless `connectionTable` is given
   */
  readonly createConnectionTable?: boolean;
  /**
   * Key of the access and execution log groups and of the connection table.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the log groups.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether the construct sets the account's API Gateway CloudWatch role that stage logging needs
   * (see `SecureRestApiProps.accountCloudWatchRole`).
   * @default true
   */
  readonly accountCloudWatchRole?: boolean;
  /**
   * `$connect` requests per 5 minutes that raise the connection alarm.
   * @default 1000
   */
  readonly connectAlarmThreshold?: number;
  /**
   * Client errors (4xx) per 5 minutes that raise their alarm.
   * @default 100
   */
  readonly clientErrorAlarmThreshold?: number;
  /**
   * p99 integration latency that raises its alarm.
   * @default Duration.seconds(5)
   */
  readonly integrationLatencyP99?: Duration;
  /**
   * Alarm set for the API's alarms.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
}

// Items of a given table, and its key, spelled out: ITable's own grants add KMS wildcards
// (kms:GenerateDataKey*, kms:ReEncrypt*) that fail AwsSolutions-IAM5 on the handlers.
const ITEM_READ_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem'];
const ITEM_WRITE_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

const IDENTITY_SOURCE = /^route\.request\.(header|querystring)\.[A-Za-z0-9_.-]+$/;
const ROUTE_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * An API Gateway WebSocket API with production defaults: a Lambda authorizer on `$connect`
 * that verifies a Cognito JWT of a `UserDirectory`, `$connect` / `$disconnect` / `$default`
 * routes on your functions, a connection table (`SecureTable`, TTL on `expiresAt`; or a table
 * of yours, or none when the connections live in your own store), JSON
 * access logs and execution logs in KMS-encrypted log groups, stage throttling, detailed
 * metrics, `grantManageConnections` scoped to the stage's `@connections` resources, and
 * alarms on integration and execution errors, client errors, integration latency and the
 * connection rate.
 */
export class WebSocketApi extends Construct {
  /**
   * What an authorizer function needs to verify `userDirectory`'s tokens (`USER_POOL_ID`,
   * `TOKEN_ISSUER`, `CLIENT_IDS` comma-separated), for its `environment` before the API exists.
   */
  public static authorizerEnvironmentFor(userDirectory: IUserDirectory): Record<string, string> {
    new PropsValidator('WebSocketApi.authorizerEnvironmentFor').required('userDirectory', userDirectory, 'object', 'an IUserDirectory (a UserDirectory)');
    return authorizerEnvironment(userDirectory);
  }

  /** The WebSocket API. */
  public readonly api: apigwv2.WebSocketApi;
  /** The stage. */
  public readonly stage: apigwv2.WebSocketStage;
  /** The stage name. */
  public readonly stageName: string;
  /** The `$connect` authorizer. */
  public readonly authorizer: authorizers.WebSocketLambdaAuthorizer;
  /**
   * The connection table this construct created (`connectionId` partition key, `expiresAt` TTL);
   * undefined when `connectionTable` was given or `createConnectionTable` is false.
   */
  public readonly connectionTable?: SecureTable;
  /** The DynamoDB table of the connections: the created one or the one given; undefined when none. */
  public readonly table?: dynamodb.ITable;
  /** JSON access logs of the stage. */
  public readonly accessLogGroup: logs.LogGroup;
  /** Execution logs (`/aws/apigateway/<api-id>/<stage>`), created here to encrypt them. */
  public readonly executionLogGroup: logs.LogGroup;
  /** Key of the log groups and the connection table. */
  public readonly encryptionKey: kms.IKey;
  /** Alarms of the stage. */
  public readonly alarms: AlarmSet;
  /** Stage throttling in force. */
  public readonly throttling: apigw.ThrottleSettings;
  /** The directory whose tokens `$connect` accepts. */
  public readonly userDirectory: IUserDirectory;

  private readonly routeIds: string[] = [];

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    const args = new PropsValidator('WebSocketApi', this);
    args.required('props', props, 'object', 'WebSocketApiProps (an object)');
    args.required('userDirectory', props.userDirectory, 'object', 'an IUserDirectory (a UserDirectory)');
    for (const name of ['authorizerFunction', 'connectHandler', 'disconnectHandler', 'defaultHandler'] as const) {
      args.required(name, props[name], 'object', 'a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget)');
    }
    validate(this, props);
    this.userDirectory = props.userDirectory;
    this.stageName = props.stageName ?? 'v1';
    this.throttling = { rateLimit: props.throttling?.rateLimit ?? 100, burstLimit: props.throttling?.burstLimit ?? 200 };
    this.encryptionKey = props.encryptionKey ?? defaultKey(this);

    this.alarms = alarmSetFor(this, props.alarms);
    if (props.connectionTable === undefined && props.createConnectionTable !== false) {
      this.connectionTable = new SecureTable(this, 'Connections', {
        partitionKey: { name: 'connectionId', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
        encryptionKey: this.encryptionKey,
        alarms: this.alarms,
      });
    }
    this.table = props.connectionTable ?? this.connectionTable?.table;

    this.authorizer = new authorizers.WebSocketLambdaAuthorizer('Authorizer', props.authorizerFunction, {
      identitySource: props.identitySource ?? ['route.request.querystring.token'],
    });
    const integration = (name: string, fn: lambda.IFunction) => new integrations.WebSocketLambdaIntegration(`${name}Integration`, fn);
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      apiName: props.apiName ?? uniqueName(this, 128),
      connectRouteOptions: { integration: integration('Connect', props.connectHandler), authorizer: this.authorizer },
      disconnectRouteOptions: { integration: integration('Disconnect', props.disconnectHandler) },
      defaultRouteOptions: { integration: integration('Default', props.defaultHandler) },
    });
    this.routeIds.push('$disconnect', '$default');

    this.accessLogGroup = encryptedLogGroup(this, 'AccessLogs', { encryptionKey: this.encryptionKey, retention: props.logRetention });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', { webSocketApi: this.api, stageName: this.stageName, autoDeploy: true });
    // Access logs, execution logs and route defaults are set on the L1, where cdk-nag reads them.
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.accessLogSettings = { destinationArn: this.accessLogGroup.logGroupArn, format: accessLogFormat() };
    cfnStage.defaultRouteSettings = {
      dataTraceEnabled: false,
      detailedMetricsEnabled: true,
      loggingLevel: 'INFO',
      throttlingRateLimit: this.throttling.rateLimit,
      throttlingBurstLimit: this.throttling.burstLimit,
    };
    // API Gateway would create this group itself, unencrypted and kept forever.
    this.executionLogGroup = encryptedLogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/apigateway/${this.api.apiId}/${this.stageName}`,
      encryptionKey: this.encryptionKey,
      retention: props.logRetention,
    });
    this.stage.node.addDependency(this.executionLogGroup);
    if (props.accountCloudWatchRole !== false) {
      this.stage.node.addDependency(accountLogging(this, this.api.node.defaultChild!));
    }

    // The handlers keep the connection table; the default route may also answer over @connections.
    if (this.connectionTable) {
      this.connectionTable.grantReadWriteData(props.connectHandler);
      this.connectionTable.grantReadWriteData(props.disconnectHandler);
      this.connectionTable.grantReadData(props.defaultHandler);
    } else if (props.connectionTable) {
      grantItems(props.connectionTable, props.connectHandler, true);
      grantItems(props.connectionTable, props.disconnectHandler, true);
      grantItems(props.connectionTable, props.defaultHandler, false);
    }
    pinSourceAccount(this.api);

    this.addAlarms(props.alarms ? stackRelativeName(this, 64, '') : 'Stage', props);
    this.acknowledgeUnauthorizedRoutes();
  }

  /** `wss://<api-id>.execute-api.<region>.amazonaws.com/<stage>`. */
  public get url(): string {
    return this.stage.url;
  }

  /** `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`: where back ends post to connections. */
  public get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /**
   * What the authorizer function needs to verify tokens: `USER_POOL_ID`, `TOKEN_ISSUER` and
   * `CLIENT_IDS` (comma-separated), for its `environment`.
   */
  public get authorizerEnvironment(): Record<string, string> {
    return authorizerEnvironment(this.userDirectory);
  }

  /** Routes `routeKey` (the `action` of a message, `$request.body.action`) to `handler`. */
  public addRoute(routeKey: string, handler: lambda.IFunction): apigwv2.WebSocketRoute {
    const v = new PropsValidator('WebSocketApi', this);
    v.matches('routeKey', routeKey, ROUTE_KEY, '1-128 letters, digits, "_", ".", ":" or "-" (not starting with $)');
    v.check(!this.routeIds.includes(routeKey), 'routeKey', routeKey, 'not yet routed');
    v.required('handler', handler, 'object', 'a lambda.IFunction (an EnhancedLambdaFunction\'s invocationTarget)');
    const route = this.api.addRoute(routeKey, { integration: new integrations.WebSocketLambdaIntegration(`${routeKey}Integration`, handler) });
    pinSourceAccount(this.api);
    this.routeIds.push(routeKey);
    this.acknowledgeUnauthorizedRoutes();
    return route;
  }

  /**
   * Lets `grantee` send to, read and close connections of this stage (`execute-api:ManageConnections`
   * on `<api>/<stage>/{POST,GET,DELETE}/@connections/*` only).
   */
  public grantManageConnections(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const arns = ['POST', 'GET', 'DELETE'].map((method) => stack.formatArn({
      service: 'execute-api', resource: this.api.apiId, resourceName: `${this.stageName}/${method}/@connections/*`,
    }));
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:ManageConnections'], resourceArns: arns });
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal) && Stack.of(principal) === stack) {
      const apiId = stack.resolve(stack.getLogicalId(this.api.node.defaultChild as apigwv2.CfnApi));
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      acknowledge(principal, ['POST', 'GET', 'DELETE'].map((m) =>
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:${region}:${account}:<${apiId}>/${this.stageName}/${m}/@connections/*]`),
      `Connection ids exist only at run time; the grant is limited to the @connections resources of stage ${this.stageName} of ${this.node.path}.`);
    }
    return grant;
  }

  private addAlarms(id: string, props: WebSocketApiProps): void {
    const metric = (metricName: string, statistic: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: this.api.apiId, Stage: this.stageName },
      statistic,
      period: Duration.minutes(5),
    });
    const latency = props.integrationLatencyP99 ?? Duration.seconds(5);
    this.alarms.addMetricAlarm(`${id}IntegrationErrors`, {
      metric: metric('IntegrationError', 'Sum'),
      threshold: 1,
      description: `${this.node.path}: a route's function answered with an error (5xx)`,
    });
    this.alarms.addMetricAlarm(`${id}ExecutionErrors`, {
      metric: metric('ExecutionError', 'Sum'),
      threshold: 1,
      description: `${this.node.path}: API Gateway failed to run a route (5xx)`,
    });
    this.alarms.addMetricAlarm(`${id}ClientErrors`, {
      metric: metric('ClientError', 'Sum'),
      threshold: props.clientErrorAlarmThreshold ?? 100,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: many client errors (4xx, e.g. refused tokens)`,
    });
    this.alarms.addMetricAlarm(`${id}IntegrationLatencyP99`, {
      metric: metric('IntegrationLatency', 'p99'),
      threshold: latency.toMilliseconds(),
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: p99 integration latency above ${latency.toMilliseconds()} ms`,
    });
    this.alarms.addMetricAlarm(`${id}Connects`, {
      metric: metric('ConnectCount', 'Sum'),
      threshold: props.connectAlarmThreshold ?? 1000,
      description: `${this.node.path}: unusually many $connect requests`,
    });
  }

  // API Gateway authorizes WebSocket APIs on $connect only: later messages travel over the
  // connection that $connect authorized, and a route other than $connect cannot have an authorizer.
  private acknowledgeUnauthorizedRoutes(): void {
    for (const child of this.api.node.children) {
      const cfn = child.node.defaultChild;
      if (!(cfn instanceof apigwv2.CfnRoute) || cfn.routeKey === '$connect' || cfn.node.metadata.some((m) => m.type === 'aws:cdk:acknowledged-rules')) continue;
      acknowledge(cfn, ['AwsSolutions-APIG4', controlTowerRule('api_gw_v2_authorization_type_configured_check')],
        `API Gateway allows an authorizer on the $connect route of a WebSocket API only; route ${cfn.routeKey} runs on a connection that the $connect authorizer already admitted (Cognito JWT).`);
    }
  }
}

/** Lets `grantee` read (and with `write` write and delete) the items of a connection table of the caller's. */
function grantItems(table: dynamodb.ITable, grantee: iam.IGrantable, write: boolean): void {
  const actions = write ? [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS] : ITEM_READ_ACTIONS;
  iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });
  table.encryptionKey?.grant(grantee, ...KEY_READ_ACTIONS, ...(write ? KEY_WRITE_ACTIONS : []));
}

/** `USER_POOL_ID`, `TOKEN_ISSUER` and `CLIENT_IDS` of a directory. */
function authorizerEnvironment(directory: IUserDirectory): Record<string, string> {
  return { USER_POOL_ID: directory.userPoolId, TOKEN_ISSUER: directory.issuer, CLIENT_IDS: directory.clientIds.join(',') };
}

/** JSON access log line of a WebSocket stage. */
function accessLogFormat(): string {
  return JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    connectionId: '$context.connectionId',
    eventType: '$context.eventType',
    routeKey: '$context.routeKey',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    status: '$context.status',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    error: '$context.error.message',
    authorizerError: '$context.authorizer.error',
    principalId: '$context.authorizer.principalId',
  });
}

/**
 * A literal SourceAccount on the API Gateway invoke permissions that the integrations and the
 * authorizer create under `api`: their SourceArn is an Fn::Join that Control Tower's template
 * check (CT.LAMBDA.PR.2) cannot read.
 */
function pinSourceAccount(api: IConstruct): void {
  const account = Stack.of(api).account;
  for (const child of api.node.findAll()) {
    if (child instanceof lambda.CfnPermission && child.principal === 'apigateway.amazonaws.com' && child.sourceAccount === undefined) {
      child.sourceAccount = account;
    }
  }
}

function validate(construct: IConstruct, props: WebSocketApiProps): void {
  const v = new PropsValidator('WebSocketApi', construct);
  v.check(props.userDirectory.clientIds.length > 0, 'userDirectory', 'a directory without app clients',
    'a directory with at least one app client (the authorizer accepts only its clients\' tokens)');
  const sources = props.identitySource ?? [];
  v.check(props.identitySource === undefined || sources.length > 0, 'identitySource', sources, 'at least one source');
  sources.forEach((s, i) => v.matches(`identitySource[${i}]`, s, IDENTITY_SOURCE, 'route.request.header.<name> or route.request.querystring.<name>'));
  v.matches('stageName', props.stageName, /^[A-Za-z0-9_-]{1,128}$/, '1-128 letters, digits, "_" or "-"');
  validateThrottling(v, 'throttling', props.throttling);
  if (props.connectionTable !== undefined) {
    v.required('connectionTable', props.connectionTable, 'object', 'a dynamodb.ITable (e.g. SecureTable.table)');
    v.check(props.createConnectionTable !== true, 'createConnectionTable', props.createConnectionTable,
      'false or omitted when connectionTable is given (the construct uses your table instead of creating one)');
  }
  v.atLeast('connectAlarmThreshold', props.connectAlarmThreshold, 1);
  v.atLeast('clientErrorAlarmThreshold', props.clientErrorAlarmThreshold, 1);
  v.durationRange('integrationLatencyP99', props.integrationLatencyP99, 0.001, 29);
}
