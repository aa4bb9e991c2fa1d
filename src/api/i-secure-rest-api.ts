import { Duration, aws_apigateway as apigw } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ApiAuthorization } from './api-authorization';
import { AlarmSet } from '../monitoring/alarm-set';

/**
 * What an ApiRoute needs of the API it joins. SecureRestApi implements it; ApiRoute depends on
 * this interface, not on the class, so the two files do not import each other.
 */
export interface ISecureRestApi extends IConstruct {
  /** The REST API. */
  readonly api: apigw.RestApi;
  /** The deployed stage. */
  readonly stage: apigw.Stage;
  /** The stage name. */
  readonly stageName: string;
  /** Alarms of the stage and its routes. */
  readonly alarms: AlarmSet;
  /** Whether routes get their own 5xx / 4xx / p99 latency alarms unless they say otherwise. */
  readonly routeAlarms: boolean;
  /** The authorizer configuration every route not exempt from authorization uses. */
  readonly authorization: ApiAuthorization;
  /** Validator of request bodies and parameters, used by every route. */
  readonly requestValidator: apigw.RequestValidator;
  /** Stage-wide throttling in force. */
  readonly throttling: apigw.ThrottleSettings;
  /** Execution logging level of the stage's methods. */
  readonly executionLoggingLevel: apigw.MethodLoggingLevel;
  /** Whether full request/response data is logged. */
  readonly dataTraceEnabled: boolean;
  /** Whether the stage cache is on (GET answers only). */
  readonly cachingEnabled: boolean;
  /** Time to live of cached answers, when caching is on. */
  readonly cacheTtl?: Duration;

  /** The invoke URL of `path` (which starts with "/"). */
  urlForPath(path: string): string;

  /**
   * The authorizer routes attach, if any.
   * @internal
   */
  _authorizer(): apigw.IAuthorizer | undefined;

  /**
   * Adds a route's method setting to the stage.
   * @internal
   */
  _addMethodSetting(setting: apigw.CfnStage.MethodSettingProperty): void;
}
