import { Duration, aws_cognito as cognito, aws_lambda as lambda } from 'aws-cdk-lib';
import { PropsValidator } from '../core/validation';

/** How the methods of a SecureRestApi authenticate callers. */
export enum ApiAuthorizationType {
  /** Cognito user pool JWTs (COGNITO_USER_POOLS). */
  COGNITO = 'COGNITO',
  /** A Lambda token authorizer (CUSTOM). */
  LAMBDA_TOKEN = 'LAMBDA_TOKEN',
  /** No authorizer: an explicit, documented opt-out. */
  NONE = 'NONE',
}

/** Options of a Lambda token authorizer. */
export interface LambdaTokenAuthorizationOptions {
  /**
   * Request header that carries the token.
   * @default 'Authorization'
   */
  readonly identityHeader?: string;
  /**
   * How long API Gateway caches the authorizer's policy for a token (0 disables the cache).
   * @default Duration.minutes(5)
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * Regular expression a token must match before the authorizer is invoked.
   * @default - every token is passed to the function
   */
  readonly validationRegex?: string;
}

/**
 * The authorizer of a SecureRestApi. It is required: an API without one must say so with
 * `ApiAuthorization.none(reason)`, and the reason is recorded with the acknowledged findings.
 */
export class ApiAuthorization {
  /** Cognito user pool authorizer: callers send the pool's ID or access token. */
  public static cognito(userPools: cognito.IUserPool[]): ApiAuthorization {
    const v = new PropsValidator('ApiAuthorization.cognito');
    v.required('userPools', userPools, 'array', 'an array of at least one user pool');
    v.check(userPools.length > 0, 'userPools', `${userPools.length} pools`, 'at least one user pool');
    return new ApiAuthorization(ApiAuthorizationType.COGNITO, { userPools: [...userPools] });
  }

  /** Lambda token authorizer: the function turns the token into an IAM policy and context. */
  public static lambdaToken(fn: lambda.IFunction, options: LambdaTokenAuthorizationOptions = {}): ApiAuthorization {
    const v = new PropsValidator('ApiAuthorization.lambdaToken');
    v.required('fn', fn, 'object', 'the authorizer function (a lambda.IFunction)');
    v.required('options', options, 'object', 'LambdaTokenAuthorizationOptions (an object) or omitted');
    v.matches('identityHeader', options.identityHeader, /^[A-Za-z0-9-]{1,128}$/, 'an HTTP header name (letters, digits, "-")');
    v.durationRange('resultsCacheTtl', options.resultsCacheTtl, 0, 3600);
    return new ApiAuthorization(ApiAuthorizationType.LAMBDA_TOKEN, { tokenFunction: fn, ...options });
  }

  /**
   * No authorizer on any method, e.g. a public read-only API. `reason` says why callers need
   * no identity; it becomes the reason of the acknowledged APIG4 / COG4 findings.
   */
  public static none(reason: string): ApiAuthorization {
    new PropsValidator('ApiAuthorization.none').check(typeof reason === 'string' && reason.trim().length >= 20, 'reason', reason,
      'a sentence (20+ characters) saying why the API needs no authorizer');
    return new ApiAuthorization(ApiAuthorizationType.NONE, { reason });
  }

  /** The kind of authorizer. */
  public readonly authorizationType: ApiAuthorizationType;
  /** User pools of a Cognito authorizer. */
  public readonly userPools?: cognito.IUserPool[];
  /** Function of a Lambda token authorizer. */
  public readonly tokenFunction?: lambda.IFunction;
  /** Header that carries the caller's token ('Authorization' unless changed). */
  public readonly identityHeader: string;
  /** Authorizer result cache TTL of a Lambda token authorizer. */
  public readonly resultsCacheTtl?: Duration;
  /** Token validation expression of a Lambda token authorizer. */
  public readonly validationRegex?: string;
  /** Why the API has no authorizer (type NONE only). */
  public readonly reason?: string;

  private constructor(type: ApiAuthorizationType, fields: {
    userPools?: cognito.IUserPool[];
    tokenFunction?: lambda.IFunction;
    identityHeader?: string;
    resultsCacheTtl?: Duration;
    validationRegex?: string;
    reason?: string;
  }) {
    this.authorizationType = type;
    this.userPools = fields.userPools;
    this.tokenFunction = fields.tokenFunction;
    this.identityHeader = fields.identityHeader ?? 'Authorization';
    this.resultsCacheTtl = fields.resultsCacheTtl;
    this.validationRegex = fields.validationRegex;
    this.reason = fields.reason;
  }
}
