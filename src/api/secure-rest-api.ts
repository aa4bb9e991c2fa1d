import {
  Duration,
  Lazy,
  Token,
  aws_apigateway as apigw,
  aws_kms as kms,
  aws_logs as logs,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { accountLogging } from './account-logging';
import { ApiAuthorization, ApiAuthorizationType } from './api-authorization';
import { ApiRoute, ApiRouteOptions } from './api-route';
import { ISecureRestApi } from './i-secure-rest-api';
import { validateThrottling } from './throttling';
import { acknowledge, complianceRuleIds } from '../core/acknowledge';
import { stackRelativeName, uniqueName } from '../core/names';
import { PropsValidator } from '../core/validation';
import { defaultKey } from '../governance/default-key';
import { encryptedLogGroup } from '../governance/encrypted-log-group';
import { AlarmSet } from '../monitoring/alarm-set';
import { alarmSetFor } from '../monitoring/alarm-set-for';

/** Cross-origin settings of a SecureRestApi (preflight OPTIONS methods on every resource). */
export interface ApiCorsOptions {
  /** Origins allowed to call the API, e.g. `['https://app.example.com']`. */
  readonly allowOrigins: string[];
  /**
   * Allow `['*']` as the origin list. Only for APIs meant to be called from any web page.
   * @default false
   */
  readonly allowAnyOrigin?: boolean;
  /**
   * Methods browsers may use.
   * @default ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
   */
  readonly allowMethods?: string[];
  /**
   * Request headers browsers may send.
   * @default ['Content-Type', 'Authorization', 'X-Api-Key']
   */
  readonly allowHeaders?: string[];
  /**
   * Whether browsers may send cookies and credentials (not allowed with any origin).
   * @default false
   */
  readonly allowCredentials?: boolean;
  /**
   * How long browsers may cache a preflight answer.
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}

/** Properties of a SecureRestApi. */
export interface SecureRestApiProps {
  /**
   * How methods authenticate callers (required; opting out takes `ApiAuthorization.none(reason)`).
   */
  readonly authorizer: ApiAuthorization;
  /**
   * Name of the REST API (also the `ApiName` dimension of its metrics).
   * @default - a name derived from the construct path
   */
  readonly restApiName?: string;
  /**
   * Description of the API.
   * @default - none
   */
  readonly description?: string;
  /**
   * Name of the stage, the first path segment of the invoke URL.
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Key encrypting the access and execution log groups. It must let CloudWatch Logs use it.
   * @default - the stack's default customer-managed key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the access and execution log groups.
   * @default - the EnvironmentConfig's logRetention
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Stage-wide throttling (requests per second and burst), for every method without its own.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttling?: apigw.ThrottleSettings;
  /**
   * Cross-origin access for browsers.
   * @default - no CORS (same-origin and server-to-server callers only)
   */
  readonly cors?: ApiCorsOptions;
  /**
   * Execution log level (INFO or ERROR; turning execution logging off is not supported).
   * @default apigw.MethodLoggingLevel.INFO
   */
  readonly executionLoggingLevel?: apigw.MethodLoggingLevel;
  /**
   * Log full request and response bodies in the execution logs. They can hold personal data and
   * tokens: enable only briefly to debug, never in production.
   * @default false
   */
  readonly dataTraceEnabled?: boolean;
  /**
   * ARN of a REGIONAL WAFv2 web ACL to associate with the stage (e.g. the WebFirewall's).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Turns on the encrypted stage cache with this TTL (0-3600 s). Authenticated responses are
   * cached per caller: the token header is part of every authenticated method's cache key.
   * @default - no cache (responses are never shared between callers)
   */
  readonly cacheTtl?: Duration;
  /**
   * Size of the stage cache in GB ('0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237');
   * turns on the cache like `cacheTtl`.
   * @default '0.5' when the cache is on
   */
  readonly cacheClusterSize?: string;
  /**
   * Whether the construct sets the account's API Gateway CloudWatch role (AWS::ApiGateway::Account),
   * which execution and access logging need. The setting is one per account and region and the
   * last stack deployed wins; every role this library creates can write the logs of every API
   * in the region, and is retained on deletion, so several stacks may set it. Set false where
   * someone else owns the setting (a platform stack, Control Tower); deployment then needs it
   * to be in place already.
   * @default true
   */
  readonly accountCloudWatchRole?: boolean;
  /**
   * AlarmSet for the stage's and the routes' alarms.
   * @default - a new AlarmSet named after the construct
   */
  readonly alarms?: AlarmSet;
  /**
   * Give every route its own 5xx / 4xx / p99 latency alarms (three alarms per route; a route's
   * `alarms` option overrides this). Off by default: the stage's alarms cover every route together
   * and an EnhancedLambdaFunction alarms on its own errors and duration, so per-route alarms
   * mostly repeat them at three resources a route. Turn on where one route's failures would hide
   * in the stage's average (a rarely called route beside a busy one).
   * @default false
   */
  readonly routeAlarms?: boolean;
}

const CACHE_SIZES = ['0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237'];
const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const ORIGIN = /^(https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?|http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?)$/;

/**
 * A regional API Gateway REST API with production defaults: a required authorizer (Cognito or
 * Lambda token, opting out needs a reason), JSON access logs and execution logs in
 * KMS-encrypted log groups with retention, X-Ray tracing, detailed metrics, stage throttling,
 * a request validator, a client certificate for backends, optional WAF association, optional
 * encrypted cache, CORS with explicit origins, and 5xx / 4xx / p99 latency alarms for the
 * stage (and, with `routeAlarms`, for every route). Add routes with `addRoute()`.
 *
 * REST rather than HTTP API: WAF association, request validation, usage-plan quotas and
 * caching exist only for REST APIs.
 */
export class SecureRestApi extends Construct implements ISecureRestApi {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** The deployed stage. */
  public readonly stage: apigw.Stage;
  /** The stage name. */
  public readonly stageName: string;
  /** JSON access logs of the stage. */
  public readonly accessLogGroup: logs.LogGroup;
  /** Execution logs (`API-Gateway-Execution-Logs_<api-id>/<stage>`), created here to encrypt them. */
  public readonly executionLogGroup: logs.LogGroup;
  /** Key of both log groups. */
  public readonly encryptionKey: kms.IKey;
  /** Alarms of the stage and its routes. */
  public readonly alarms: AlarmSet;
  /** Whether routes get their own alarms unless they say otherwise. */
  public readonly routeAlarms: boolean;
  /** The authorizer configuration every non-public route uses. */
  public readonly authorization: ApiAuthorization;
  /** Validator of request bodies and parameters, used by every route. */
  public readonly requestValidator: apigw.RequestValidator;
  /** Client certificate API Gateway presents to HTTP backends. */
  public readonly clientCertificate: apigw.CfnClientCertificate;
  /** Stage-wide throttling in force. */
  public readonly throttling: apigw.ThrottleSettings;
  /** Execution log level of the stage and its routes. */
  public readonly executionLoggingLevel: apigw.MethodLoggingLevel;
  /** Whether execution logs include bodies. */
  public readonly dataTraceEnabled: boolean;
  /** Whether the encrypted stage cache is on. */
  public readonly cachingEnabled: boolean;
  /** TTL of cached responses, when the cache is on. */
  public readonly cacheTtl?: Duration;
  /** The WAF association, when `webAclArn` was given. */
  public readonly webAclAssociation?: wafv2.CfnWebACLAssociation;
  private readonly routeMethodSettings: apigw.CfnStage.MethodSettingProperty[] = [];
  private authorizerInstance?: apigw.IAuthorizer;

  constructor(scope: Construct, id: string, props: SecureRestApiProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('SecureRestApi', this);
    args.required('props', props, 'object', 'SecureRestApiProps (an object)');
    args.required('authorizer', props.authorizer, 'object', 'an ApiAuthorization (cognito(), lambdaToken() or none(reason))');
    validate(this, props);
    this.authorization = props.authorizer;
    this.stageName = props.stageName ?? 'v1';
    this.throttling = { rateLimit: props.throttling?.rateLimit ?? 100, burstLimit: props.throttling?.burstLimit ?? 200 };
    this.executionLoggingLevel = props.executionLoggingLevel ?? apigw.MethodLoggingLevel.INFO;
    this.dataTraceEnabled = props.dataTraceEnabled ?? false;
    this.cachingEnabled = props.cacheTtl !== undefined || props.cacheClusterSize !== undefined;
    this.cacheTtl = this.cachingEnabled ? (props.cacheTtl ?? Duration.minutes(5)) : undefined;

    this.encryptionKey = props.encryptionKey ?? defaultKey(this);
    this.accessLogGroup = encryptedLogGroup(this, 'AccessLogs', { encryptionKey: this.encryptionKey, retention: props.logRetention });

    this.clientCertificate = new apigw.CfnClientCertificate(this, 'ClientCertificate', {
      description: `Client certificate API Gateway presents to HTTP backends of ${this.node.path}`,
    });

    const cors = props.cors;
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.restApiName ?? uniqueName(this, 128),
      description: props.description,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // The account-level role is created below without the AWS managed policy (AwsSolutions-IAM4).
      cloudWatchRole: false,
      deployOptions: {
        stageName: this.stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: this.executionLoggingLevel,
        dataTraceEnabled: this.dataTraceEnabled,
        throttlingRateLimit: this.throttling.rateLimit,
        throttlingBurstLimit: this.throttling.burstLimit,
        clientCertificateId: this.clientCertificate.ref,
        cacheClusterEnabled: this.cachingEnabled ? true : undefined,
        cacheClusterSize: this.cachingEnabled ? (props.cacheClusterSize ?? '0.5') : undefined,
        cachingEnabled: this.cachingEnabled ? true : undefined,
        cacheDataEncrypted: this.cachingEnabled ? true : undefined,
        cacheTtl: this.cacheTtl,
      },
      defaultCorsPreflightOptions: cors ? {
        allowOrigins: cors.allowOrigins,
        allowMethods: cors.allowMethods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowHeaders: cors.allowHeaders ?? ['Content-Type', 'Authorization', 'X-Api-Key'],
        allowCredentials: cors.allowCredentials ?? false,
        maxAge: cors.maxAge ?? Duration.minutes(10),
      } : undefined,
    });
    this.stage = this.api.deploymentStage;

    // API Gateway would create this group itself on first use, unencrypted and kept forever.
    this.executionLogGroup = encryptedLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${this.stageName}`,
      encryptionKey: this.encryptionKey,
      retention: props.logRetention,
    });
    this.stage.node.addDependency(this.executionLogGroup);

    // Routes add their method settings later; the stage renders them at synth.
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    const stageSettings = (cfnStage.methodSettings ?? []) as apigw.CfnStage.MethodSettingProperty[];
    cfnStage.methodSettings = Lazy.any({ produce: () => [...stageSettings, ...this.routeMethodSettings] });

    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    if (props.accountCloudWatchRole !== false) {
      this.stage.node.addDependency(accountLogging(this, this.api.node.defaultChild!));
    }

    if (props.webAclArn) {
      this.webAclAssociation = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.stage.stageArn,
        webAclArn: props.webAclArn,
      });
    }

    this.alarms = alarmSetFor(this, props.alarms);
    this.routeAlarms = props.routeAlarms ?? false;
    this.alarms.addApiGatewayAlarms(props.alarms ? `${stackRelativeName(this, 64, '')}Stage` : 'Stage', { apiName: this.api.restApiName, stageName: this.stageName });

    this.acknowledgeChoices(cfnStage, props);
  }

  /** The stage's invoke URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1/`. */
  public get url(): string {
    return this.api.url;
  }

  /** The invoke URL of `path` (which starts with "/"). */
  public urlForPath(path: string): string {
    return this.stage.urlForPath(path);
  }

  /** Binds a path and method to a function (see ApiRoute). */
  public addRoute(id: string, options: ApiRouteOptions): ApiRoute {
    return new ApiRoute(this, id, { ...options, api: this });
  }

  /**
   * The API's authorizer, created on first use so that an API whose routes are all public
   * has no unattached authorizer.
   * @internal
   */
  public _authorizer(): apigw.IAuthorizer | undefined {
    const auth = this.authorization;
    if (auth.authorizationType === ApiAuthorizationType.NONE) return undefined;
    if (!this.authorizerInstance) {
      this.authorizerInstance = auth.authorizationType === ApiAuthorizationType.COGNITO
        ? new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
          cognitoUserPools: auth.userPools!,
          identitySource: apigw.IdentitySource.header(auth.identityHeader),
        })
        : new apigw.TokenAuthorizer(this, 'Authorizer', {
          handler: auth.tokenFunction!,
          identitySource: apigw.IdentitySource.header(auth.identityHeader),
          resultsCacheTtl: auth.resultsCacheTtl,
          validationRegex: auth.validationRegex,
        });
    }
    return this.authorizerInstance;
  }

  /**
   * Adds a method-level setting to the stage.
   * @internal
   */
  public _addMethodSetting(setting: apigw.CfnStage.MethodSettingProperty): void {
    this.routeMethodSettings.push(setting);
  }

  private acknowledgeChoices(cfnStage: apigw.CfnStage, props: SecureRestApiProps): void {
    if (!props.webAclArn) {
      acknowledge(cfnStage, ['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF', 'PCI.DSS.321-APIGWAssociatedWithWAF'],
        'No webAclArn was given. Web ACLs and their rule sets are owned by the WebFirewall construct (security area), one per workload; pass its webAclArn to associate it. Until then the stage still enforces authorization, request validation and throttling.');
    }
    if (!this.cachingEnabled) {
      acknowledge(cfnStage, complianceRuleIds('APIGWCacheEnabledAndEncrypted'),
        'The stage cache is off by design: responses are authenticated and per tenant, and a cache shared between callers could serve one tenant\'s data to another. Opt in with cacheTtl, which turns on an encrypted cache keyed by the caller\'s token.');
    }
  }
}

/** JSON access log line with the standard context fields plus latency and error details. */
function accessLogFormat(): apigw.AccessLogFormat {
  const F = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(JSON.stringify({
    requestId: F.contextRequestId(),
    extendedRequestId: F.contextExtendedRequestId(),
    ip: F.contextIdentitySourceIp(),
    caller: F.contextIdentityCaller(),
    user: F.contextIdentityUser(),
    requestTime: F.contextRequestTime(),
    httpMethod: F.contextHttpMethod(),
    resourcePath: F.contextResourcePath(),
    status: F.contextStatus(),
    protocol: F.contextProtocol(),
    responseLength: F.contextResponseLength(),
    integrationLatency: F.contextIntegrationLatency(),
    responseLatency: F.contextResponseLatency(),
    errors: F.contextErrorMessage(),
    errorType: F.contextErrorResponseType(),
    authorizerError: F.contextAuthorizerError(),
    xrayTraceId: F.contextXrayTraceId(),
  }));
}

function validate(construct: IConstruct, props: SecureRestApiProps): void {
  const v = new PropsValidator('SecureRestApi', construct);
  v.check(props.authorizer?.authorizationType !== undefined, 'authorizer', props.authorizer,
    'an ApiAuthorization (cognito(), lambdaToken() or none(reason))');
  v.matches('stageName', props.stageName, /^[A-Za-z0-9_-]{1,128}$/, '1-128 letters, digits, "_" or "-"');
  validateThrottling(v, 'throttling', props.throttling);
  v.check(props.executionLoggingLevel === undefined || props.executionLoggingLevel !== apigw.MethodLoggingLevel.OFF,
    'executionLoggingLevel', props.executionLoggingLevel, 'INFO or ERROR (execution logging stays on)');
  v.matches('webAclArn', props.webAclArn, /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/,
    'the ARN of a REGIONAL WAFv2 web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/...)');
  v.durationRange('cacheTtl', props.cacheTtl, 0, 3600);
  if (props.cacheClusterSize !== undefined) {
    v.check(CACHE_SIZES.includes(props.cacheClusterSize), 'cacheClusterSize', props.cacheClusterSize, `one of ${CACHE_SIZES.join(', ')}`);
  }
  const cors = props.cors;
  if (cors) {
    v.check(cors.allowOrigins.length > 0, 'cors.allowOrigins', cors.allowOrigins, 'at least one origin');
    for (const origin of cors.allowOrigins) {
      if (origin === '*') {
        v.check(cors.allowAnyOrigin === true, 'cors.allowOrigins', origin,
          'explicit origins such as "https://app.example.com" ("*" needs cors.allowAnyOrigin: true)');
        v.check(cors.allowOrigins.length === 1, 'cors.allowOrigins', cors.allowOrigins, '["*"] alone when any origin is allowed');
        v.check(cors.allowCredentials !== true, 'cors.allowCredentials', cors.allowCredentials, 'false when any origin is allowed');
      } else if (!Token.isUnresolved(origin)) {
        v.check(ORIGIN.test(origin), 'cors.allowOrigins', origin,
          'origins of the form https://host[:port] (http:// only for localhost)');
      }
    }
    for (const method of cors.allowMethods ?? []) {
      v.check(CORS_METHODS.includes(method), 'cors.allowMethods', method, `one of ${CORS_METHODS.join(', ')}`);
    }
    for (const header of cors.allowHeaders ?? []) {
      v.check(/^[A-Za-z0-9-]+$/.test(header), 'cors.allowHeaders', header, 'header names (letters, digits, "-")');
    }
    v.durationRange('cors.maxAge', cors.maxAge, 0, 86400);
  }
}
