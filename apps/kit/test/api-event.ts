/**
 * API Gateway (REST, Cognito user pool authorizer) events and Lambda contexts for calling
 * an app's handlers directly in tests.
 */
import { randomUUID } from 'crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export interface Identity {
  readonly tenantId?: string;
  readonly sub: string;
  readonly email?: string;
  /** The `email_verified` claim (default true). */
  readonly emailVerified?: boolean;
  /** Cognito groups, passed as the REST authorizer passes `cognito:groups` (`admin`, `[admin member]`); default none. */
  readonly groups?: readonly string[];
}

export interface EventOptions {
  readonly method: string;
  /** The route template, e.g. `/api/folders/{id}`. */
  readonly resource: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is (for malformed bodies). */
  readonly body?: unknown;
  /** Omit for an anonymous call. */
  readonly identity?: Identity;
}

export function apiEvent(opts: EventOptions): APIGatewayProxyEvent {
  const path = Object.entries(opts.pathParameters ?? {}).reduce((p, [k, v]) => p.replace(`{${k}}`, v), opts.resource);
  const claims = opts.identity
    ? {
      sub: opts.identity.sub,
      email: opts.identity.email ?? `${opts.identity.sub}@example.com`,
      // As the REST authorizer passes it: a string. Addresses are verified unless a test says otherwise.
      email_verified: String(opts.identity.emailVerified ?? true),
      ...(opts.identity.tenantId ? { 'custom:tenantId': opts.identity.tenantId } : {}),
      ...(opts.identity.groups?.length ? { 'cognito:groups': opts.identity.groups.length === 1 ? opts.identity.groups[0] : `[${opts.identity.groups.join(' ')}]` } : {}),
    }
    : undefined;
  return {
    httpMethod: opts.method,
    resource: opts.resource,
    path,
    pathParameters: opts.pathParameters ?? null,
    queryStringParameters: opts.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    stageVariables: null,
    isBase64Encoded: false,
    body: opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    requestContext: {
      requestId: randomUUID(),
      resourcePath: opts.resource,
      httpMethod: opts.method,
      path: `/prod${path}`,
      stage: 'prod',
      authorizer: claims ? { claims } : undefined,
    } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A handler response with its JSON body parsed. */
export interface ParsedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly body: any;
}

export function parseResponse(res: APIGatewayProxyResult): ParsedResponse {
  return { statusCode: res.statusCode, headers: res.headers ?? {}, body: res.body ? JSON.parse(res.body) : undefined };
}

/**
 * Asserts the one error shape of every route of the apps: the status, the code, optionally the
 * message, and nothing else in the body (no stack traces, internals or password hashes).
 */
export function expectError(res: ParsedResponse, status: number, code: string, message?: RegExp): void {
  expect({ status: res.statusCode, code: res.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  if (message) expect(res.body.error.message).toMatch(message);
  expect(JSON.stringify(res.body)).not.toMatch(/at .+\.ts:\d+|node_modules|scrypt\$/);
}
