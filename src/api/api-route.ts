import { Stack, aws_apigateway as apigw, aws_cloudwatch as cloudwatch, aws_lambda as lambda } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ISecureRestApi } from './i-secure-rest-api';
import { validateThrottling } from './throttling';
import { IHandlerFunction } from '../compute/i-handler-function';
import { acknowledge } from '../core/acknowledge';
import { stackRelativeName } from '../core/names';
import { PropsValidator } from '../core/validation';

/** A usage-plan quota: requests an API key may make per period. */
export interface ApiRouteQuota {
  /** Requests allowed per period (an integer >= 1). */
  readonly limit: number;
  /** The period the limit applies to. */
  readonly period: apigw.Period;
}

/** What an ApiRoute binds: path, method, handler and the route's own settings. */
export interface ApiRouteOptions {
  /** Resource path, e.g. `/files/{fileId}`: "/"-separated segments of letters, digits, ".", "_", "-", `{param}` or a final `{proxy+}`. */
  readonly path: string;
  /** HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY. */
  readonly method: string;
  /** Function that serves the route (Lambda proxy integration on its `invocationTarget`: the live alias when it has one). */
  readonly handler: IHandlerFunction;
  /**
   * JSON schema the request body must match; API Gateway rejects other bodies with 400.
   * @default - no body model (parameters are still validated)
   */
  readonly requestSchema?: apigw.JsonSchema;
  /**
   * Throttling of this method.
   * @default - the API's stage throttling
   */
  readonly throttling?: apigw.ThrottleSettings;
  /**
   * Whether callers must send an API key (x-api-key) of the route's usage plan.
   * @default false
   */
  readonly apiKeyRequired?: boolean;
  /**
   * Quota of the route's usage plan (needs `apiKeyRequired`). API Gateway counts a key's
   * requests to the whole stage: give the plan's keys to callers of this route only.
   * @default - no quota
   */
  readonly quota?: ApiRouteQuota;
  /**
   * Serve the route without the API's authorizer (e.g. a health check). Needs `authorizationExemptReason`.
   * @default false
   */
  readonly authorizationExempt?: boolean;
  /**
   * Why the route needs no caller identity; recorded with the acknowledged APIG4 / COG4 findings.
   * @default - none (required when `authorizationExempt` is true)
   */
  readonly authorizationExemptReason?: string;
  /**
   * OAuth scopes a Cognito access token must carry (Cognito authorizer only).
   * @default - any valid ID or access token of the pools
   */
  readonly authorizationScopes?: string[];
  /**
   * Give this route its own 5xx / 4xx / p99 latency alarms in the API's AlarmSet.
   * @default - the API's `routeAlarms` (off unless set)
   */
  readonly alarms?: boolean;
}

/** Properties of an ApiRoute. */
export interface ApiRouteProps extends ApiRouteOptions {
  /** The API the route belongs to. */
  readonly api: ISecureRestApi;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];
const SEGMENT = /^([A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\}|\{[A-Za-z0-9._-]+\+\})$/;

/**
 * A path and HTTP method of a SecureRestApi served by an IHandlerFunction: Lambda proxy
 * integration on the function's `invocationTarget`, the API's authorizer unless the route is
 * explicitly exempt from authorization, gateway-side validation of parameters and (optionally) a JSON-schema body,
 * per-method throttling and detailed metrics, an optional API key with a usage-plan quota, and
 * (with `alarms`, or the API's `routeAlarms`) 5xx / 4xx / p99 latency alarms of the method in
 * the API's AlarmSet.
 */
export class ApiRoute extends Construct {
  /** The API Gateway method. */
  public readonly method: apigw.Method;
  /** The resource the method is on. */
  public readonly resource: apigw.IResource;
  /** The body model, when `requestSchema` was given. */
  public readonly requestModel?: apigw.Model;
  /** The route's usage plan, when `apiKeyRequired` is set. Add keys with `usagePlan.addApiKey()`. */
  public readonly usagePlan?: apigw.UsagePlan;
  /** Alarms of the method (also in the API's AlarmSet); empty when the route has none. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The resource path. */
  public readonly path: string;
  /** The HTTP method (upper case). */
  public readonly httpMethod: string;
  private readonly api: ISecureRestApi;

  constructor(scope: Construct, id: string, props: ApiRouteProps) {
    super(scope, id);
    // Required arguments, checked at run time for JavaScript callers (no TypeError further in).
    const args = new PropsValidator('ApiRoute', this);
    args.required('props', props, 'object', 'ApiRouteProps (an object)');
    args.required('api', props.api, 'object', 'an ISecureRestApi (a SecureRestApi)');
    args.required('path', props.path, 'string', 'a resource path such as /files/{id}');
    args.required('method', props.method, 'string', 'an HTTP method such as GET');
    args.required('handler', props.handler, 'object', 'an IHandlerFunction (EnhancedLambdaFunction or HandlerFunction.fromFunction)');
    const api = props.api;
    const httpMethod = props.method.toUpperCase();
    validate(this, props, httpMethod);
    this.api = api;
    this.path = props.path;
    this.httpMethod = httpMethod;

    const pathParams = [...props.path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => `method.request.path.${m[1]}`);
    const authorizer = props.authorizationExempt ? undefined : api._authorizer();
    const requestParameters: Record<string, boolean> = {};
    for (const p of pathParams) requestParameters[p] = true;
    // With the stage cache on, only GET answers are cached (a method override would cache writes too).
    const cached = api.cachingEnabled && httpMethod === 'GET';
    const cacheKeyParameters = [...pathParams];
    if (cached && authorizer) {
      // Cached answers are keyed by the caller's token, so one caller never gets another's.
      const tokenHeader = `method.request.header.${api.authorization.identityHeader}`;
      requestParameters[tokenHeader] = false;
      cacheKeyParameters.push(tokenHeader);
    }

    if (props.requestSchema) {
      this.requestModel = new apigw.Model(this, 'RequestModel', {
        restApi: api.api,
        contentType: 'application/json',
        schema: props.requestSchema,
        description: `Request body of ${httpMethod} ${props.path}`,
      });
    }

    this.resource = api.api.root.resourceForPath(props.path);
    const integration = new apigw.LambdaIntegration(props.handler.invocationTarget, {
      proxy: true,
      // Only the deployed stage may invoke the alias, not console test calls.
      allowTestInvoke: false,
      cacheKeyParameters: cached && cacheKeyParameters.length > 0 ? cacheKeyParameters : undefined,
    });
    this.method = this.resource.addMethod(httpMethod, integration, {
      authorizer,
      authorizationType: authorizer ? authorizer.authorizationType : apigw.AuthorizationType.NONE,
      authorizationScopes: props.authorizationScopes,
      apiKeyRequired: props.apiKeyRequired ?? false,
      requestValidator: api.requestValidator,
      requestModels: this.requestModel ? { 'application/json': this.requestModel } : undefined,
      requestParameters: Object.keys(requestParameters).length > 0 ? requestParameters : undefined,
    });
    pinSourceAccount(this.method); // LambdaIntegration scopes its invoke permission to the method
    // The token authorizer's invoke permission is created when the first route binds it.
    if (authorizer && api.authorization.tokenFunction) pinSourceAccount(api.authorization.tokenFunction);

    const throttling = {
      rateLimit: props.throttling?.rateLimit ?? api.throttling.rateLimit,
      burstLimit: props.throttling?.burstLimit ?? api.throttling.burstLimit,
    };
    // Every field is set: a method setting does not inherit the stage-wide one.
    api._addMethodSetting({
      resourcePath: encodeResourcePath(props.path),
      httpMethod,
      metricsEnabled: true,
      loggingLevel: api.executionLoggingLevel,
      dataTraceEnabled: api.dataTraceEnabled,
      throttlingRateLimit: throttling.rateLimit,
      throttlingBurstLimit: throttling.burstLimit,
      cachingEnabled: api.cachingEnabled ? cached : undefined,
      cacheDataEncrypted: api.cachingEnabled ? true : undefined,
      cacheTtlInSeconds: cached ? api.cacheTtl?.toSeconds() : undefined,
    });

    if (props.apiKeyRequired) {
      this.usagePlan = new apigw.UsagePlan(this, 'UsagePlan', {
        description: `API keys of ${httpMethod} ${props.path}`,
        quota: props.quota ? { limit: props.quota.limit, period: props.quota.period } : undefined,
        apiStages: [{ api: api.api, stage: api.stage, throttle: [{ method: this.method, throttle: throttling }] }],
      });
    }

    this.alarms = (props.alarms ?? api.routeAlarms) ? addRouteAlarms(api, httpMethod, props.path) : [];

    this.acknowledgeChoices(props, api);
  }

  /** The invoke URL of the route's path on the API's stage. */
  public get url(): string {
    return this.api.urlForPath(this.path);
  }

  private acknowledgeChoices(props: ApiRouteProps, api: ISecureRestApi): void {
    const cfnMethod = this.method.node.defaultChild!;
    const unauthenticatedReason = props.authorizationExempt ? props.authorizationExemptReason : api.authorization.reason;
    if (unauthenticatedReason) {
      acknowledge(cfnMethod, ['AwsSolutions-APIG4', 'AwsSolutions-COG4'], `Unauthenticated by design: ${unauthenticatedReason}`);
    } else if (api.authorization.tokenFunction) {
      acknowledge(cfnMethod, ['AwsSolutions-COG4'],
        'The method is authorized by the API\'s Lambda token authorizer (ApiAuthorization.lambdaToken), the identity provider chosen for this API; COG4 only recognizes Cognito user pool authorizers.');
    }
  }
}

/** Method-setting paths encode "/" as "~1" (e.g. "/~1files~1{id}"); the root is "/". */
function encodeResourcePath(path: string): string {
  return path === '/' ? '/' : `/~1${path.slice(1).split('/').join('~1')}`;
}

/** 5xx / 4xx / p99 latency of one method, in the API's AlarmSet. */
function addRouteAlarms(api: ISecureRestApi, httpMethod: string, path: string): cloudwatch.IAlarm[] {
  // A set shared by several APIs needs the API in the alarm id, or two APIs' routes would collide.
  const alarmPrefix = api.alarms.node.scope === api ? '' : stackRelativeName(api, 64, '');
  return api.alarms.addApiGatewayAlarms(alarmPrefix + alarmId(httpMethod, path), {
    apiName: api.api.restApiName,
    stageName: api.stageName,
    resourcePath: path,
    httpMethod,
  });
}

/** `GET /files/{id}` -> `GetFilesId`. */
function alarmId(method: string, path: string): string {
  const words = `${method} ${path}`.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const id = words.map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join('');
  return path === '/' ? `${id}Root` : id;
}

function validate(construct: IConstruct, props: ApiRouteProps, httpMethod: string): void {
  const v = new PropsValidator('ApiRoute', construct);
  const path = props.path;
  const segments = path.split('/').slice(1);
  const validPath = path === '/' || (path.startsWith('/') && segments.every((s, i) =>
    SEGMENT.test(s) && (!s.endsWith('+}') || i === segments.length - 1)));
  v.check(validPath, 'path', path,
    '"/" or a path starting with "/" whose segments are letters, digits, ".", "_", "-", {param}, or a final {proxy+}');
  v.check(METHODS.includes(httpMethod), 'method', props.method, `one of ${METHODS.join(', ')}`);
  validateThrottling(v, 'throttling', props.throttling);
  v.check(props.authorizationExempt !== true || (props.authorizationExemptReason ?? '').trim().length >= 20, 'authorizationExemptReason', props.authorizationExemptReason,
    'a sentence (20+ characters) saying why the route needs no caller identity when authorizationExempt is true');
  v.check(props.authorizationExempt === true || props.authorizationExemptReason === undefined, 'authorizationExemptReason', props.authorizationExemptReason, 'given only with authorizationExempt: true');
  v.check(props.quota === undefined || props.apiKeyRequired === true, 'quota', 'a quota', 'given only with apiKeyRequired: true');
  if (props.quota) {
    v.check(Number.isInteger(props.quota.limit) && props.quota.limit >= 1, 'quota.limit', props.quota.limit, 'an integer >= 1');
  }
  v.check(props.authorizationScopes === undefined || props.api.authorization.userPools !== undefined, 'authorizationScopes',
    props.authorizationScopes, 'used only with a Cognito authorizer');
}

/**
 * Adds this account as `SourceAccount` to the API Gateway invoke permissions of `fn`. Their
 * `SourceArn` (the API's execute-api ARN) is an Fn::Join that AWS Control Tower's template check
 * (CT.LAMBDA.PR.2) cannot read; a literal account satisfies it and closes the confused-deputy gap
 * for any other account's API.
 */
function pinSourceAccount(fn: IConstruct): void {
  const account = Stack.of(fn).account;
  for (const child of fn.node.children) {
    if (child instanceof lambda.CfnPermission && child.principal === 'apigateway.amazonaws.com' && child.sourceAccount === undefined) {
      child.sourceAccount = account;
    }
  }
}
