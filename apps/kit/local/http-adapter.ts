/**
 * The local stand-in for API Gateway (REST API, Lambda proxy integration, Cognito user pool
 * authorizer): a node:http request listener that matches a request against the route table,
 * authorizes it, turns it into the APIGatewayProxyEvent API Gateway would send, invokes the
 * route's handler and writes its result back as API Gateway would.
 *
 * Fidelity notes (what a client or handler sees differently from the deployed API):
 * - No stage prefix in the URL: `/api/health`, as behind a custom domain; `requestContext.path`
 *   still carries it (`/v1/api/health`) and `requestContext.stage` is the stage.
 * - Header names keep the client's spelling (as API Gateway does); `headers` holds the last value
 *   of a repeated header, `multiValueHeaders` all of them. `X-Forwarded-For/-Proto/-Port` and
 *   `X-Amzn-Trace-Id` are added like API Gateway adds them; there are no `CloudFront-*` headers
 *   (the API is regional) and `Host` is the local one.
 * - `path` and `pathParameters` are passed as sent (percent-encoded, not decoded), as REST APIs
 *   do; query values are decoded (`+` is a space).
 * - Bodies: text types (text/*, JSON, XML, form) are passed as UTF-8 text; any other content type
 *   is passed base64-encoded with `isBase64Encoded: true`. The deployed API sets no
 *   binaryMediaTypes and would pass such a body as (possibly mangled) text; CloudVault's JSON
 *   routes accept both. Bodies over 10 MiB get API Gateway's 413 (text), events over Lambda's
 *   6 MiB invocation limit get `413 {"message":"Request Too Long"}`.
 * - Authorizer: dev tokens (local/dev-tokens.ts) instead of Cognito tokens, in the `Authorization`
 *   header, raw or as `Bearer <token>`. Missing, malformed or badly signed: 401
 *   `{"message":"Unauthorized"}`; expired: 401 `{"message":"The incoming token has expired"}`
 *   (what the Cognito authorizer answers). No authorization scopes, no result caching.
 * - Unknown paths and known paths with another method: 403
 *   `{"message":"Missing Authentication Token"}`, API Gateway's default answer to both (not 404),
 *   checked before the authorizer as API Gateway does. No OPTIONS/CORS (the API configures none).
 * - Integration: a handler that throws or returns a malformed result gives 502
 *   `{"message":"Internal server error"}`; one that runs longer than 29 s gives 504
 *   `{"message":"Endpoint request timed out"}` (its work is not cancelled, unlike Lambda).
 *   A response over 6 MiB gives 502. A result without content-type is sent as application/json.
 * - Handlers run in this process, concurrently: module state (the Powertools logger's appended
 *   keys, SDK clients) is shared by overlapping requests, where Lambda would give each
 *   concurrent request its own container.
 * - No throttling, WAF, request validator, access logs or X-Ray.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { readBody } from './read-body';
import type { RouteDefinition } from '../infra/route-definition';

/** API Gateway's payload limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda's synchronous invocation payload limit (request event and response). */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** API Gateway's maximum integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** What the authorizer made of a token. */
export type AuthorizerResult =
  | { readonly ok: true; readonly claims: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly expired?: boolean };

/** An answer the local gateway gives itself instead of the handler's (e.g. 501 for a handler not written yet). */
export class GatewayError extends Error {
  constructor(public readonly statusCode: number, message: string) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface ApiGatewayAdapterOptions {
  readonly routes: readonly RouteDefinition[];
  /** Invokes the route's handler with the event and returns its raw result (throw GatewayError for a gateway answer). */
  readonly invoke: (route: RouteDefinition, event: APIGatewayProxyEvent) => Promise<unknown>;
  /** Verifies the token of an authenticated route (the header value without `Bearer `). */
  readonly authorize: (token: string) => AuthorizerResult;
  /** Stage name in `requestContext` (SecureRestApi's default). */
  readonly stage?: string;
  /** Header carrying the token (the authorizer's identity source). */
  readonly identityHeader?: string;
  readonly maxRequestBytes?: number;
  readonly integrationTimeoutMs?: number;
  /** Called once per request when the response is written. */
  readonly onResponse?: (entry: AccessLogEntry) => void;
  /** Integration failures (handler threw, malformed result); default console.error. */
  readonly onIntegrationError?: (route: RouteDefinition, error: unknown) => void;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly resource?: string;
  readonly status: number;
  readonly durationMs: number;
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: RouteDefinition; readonly pathParameters: Record<string, string> | null }
  | { readonly kind: 'none' };

/**
 * The route for `method` and `path` (without query). A path that matches a template only with
 * another method counts as no route, as in API Gateway. Literal segments win over parameters
 * (`/a/b` before `/a/{x}`).
 */
export function matchRoute(routes: readonly RouteDefinition[], method: string, path: string): RouteMatch {
  const segments = path.split('/');
  let best: { route: RouteDefinition; params: Record<string, string>; literals: number } | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let matches = true;
    for (let i = 0; i < template.length && matches; i++) {
      const t = template[i];
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(t);
      if (param) {
        if (segments[i] === '') matches = false;
        else params[param[1]] = segments[i];
      } else if (t === segments[i]) {
        literals++;
      } else {
        matches = false;
      }
    }
    if (matches && (!best || literals > best.literals)) best = { route, params, literals };
  }
  if (!best) return { kind: 'none' };
  return { kind: 'route', route: best.route, pathParameters: Object.keys(best.params).length > 0 ? best.params : null };
}

/** Content types passed to handlers as text; anything else is base64 (see the fidelity notes). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type.startsWith('text/')
    || type === 'application/json' || type.endsWith('+json')
    || type === 'application/xml' || type.endsWith('+xml')
    || type === 'application/x-www-form-urlencoded'
    || type === 'application/javascript';
}

/** `headers` (last value wins) and `multiValueHeaders` from Node's raw header list (names as sent). */
export function proxyHeaders(rawHeaders: readonly string[]): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  // Same header with different spellings: keep the first spelling, as one header.
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    const name = spelling.get(lower) ?? rawHeaders[i];
    spelling.set(lower, name);
    headers[name] = rawHeaders[i + 1];
    (multiValueHeaders[name] ??= []).push(rawHeaders[i + 1]);
  }
  return { headers, multiValueHeaders };
}

/** Query parameters as API Gateway passes them (null when there are none). */
export function proxyQuery(rawQuery: string): Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'> {
  if (rawQuery === '') return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  if (Object.keys(single).length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

/** The token in an Authorization header value: `Bearer <token>` or the raw token. */
export function tokenOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(trimmed);
  const token = bearer ? bearer[1] : trimmed;
  return token === '' || /\s/.test(token) ? undefined : token;
}

/** `09/Apr/2015:12:34:56 +0000`, API Gateway's requestTime. */
function requestTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** A resource id of API Gateway's shape (6 characters, stable per route template). */
function resourceId(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 6);
}

export interface RequestInfo {
  readonly method: string;
  /** Path as sent, without the query string. */
  readonly path: string;
  readonly rawQuery: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly localPort: number;
  readonly requestId: string;
  readonly receivedAt: Date;
}

/** The APIGatewayProxyEvent API Gateway's REST proxy integration would send for this request. */
export function buildProxyEvent(
  info: RequestInfo,
  route: RouteDefinition,
  pathParameters: Record<string, string> | null,
  claims: Readonly<Record<string, string>> | undefined,
  stage: string,
): APIGatewayProxyEvent {
  const { headers, multiValueHeaders } = proxyHeaders(info.rawHeaders);
  const traceId = `Root=1-${Math.floor(info.receivedAt.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  const forwardedFor = headerValue(headers, 'x-forwarded-for');
  const added: Record<string, string> = {
    'X-Forwarded-For': forwardedFor ? `${forwardedFor}, ${info.sourceIp}` : info.sourceIp,
    'X-Forwarded-Proto': 'http',
    'X-Forwarded-Port': String(info.localPort),
    ...(headerValue(headers, 'x-amzn-trace-id') ? {} : { 'X-Amzn-Trace-Id': traceId }),
  };
  for (const [name, value] of Object.entries(added)) {
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    if (existing) delete headers[existing];
    if (existing) delete multiValueHeaders[existing];
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const hasBody = info.body.length > 0;
  const binary = hasBody && !isTextContentType(headerValue(headers, 'content-type'));
  const host = headerValue(headers, 'host') ?? `127.0.0.1:${info.localPort}`;
  return {
    resource: route.path,
    path: info.path,
    httpMethod: info.method,
    headers,
    multiValueHeaders,
    ...proxyQuery(info.rawQuery),
    pathParameters,
    stageVariables: null,
    body: hasBody ? info.body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      ...(claims ? { authorizer: { claims: { ...claims } } } : {}),
      domainName: host,
      domainPrefix: host.split('.')[0].split(':')[0],
      extendedRequestId: randomBytes(8).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 11) + '=',
      httpMethod: info.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: info.sourceIp,
        user: null,
        userAgent: headerValue(headers, 'user-agent') ?? null,
        userArn: null,
      },
      path: `/${stage}${info.path}`,
      protocol: 'HTTP/1.1',
      requestId: info.requestId,
      requestTime: requestTime(info.receivedAt),
      requestTimeEpoch: info.receivedAt.getTime(),
      resourceId: resourceId(route.path),
      resourcePath: route.path,
      stage,
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** An API Gateway-generated answer (gateway responses are JSON with an error type header). */
function gatewayResponse(statusCode: number, message: string, errorType: string): GatewayResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

const INTERNAL_ERROR = () => gatewayResponse(502, 'Internal server error', 'InternalServerErrorException');
// Hop-by-hop and length headers are API Gateway's (here Node's) business, not the handler's.
const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * The HTTP response API Gateway makes of a Lambda proxy result, or undefined when the result is
 * malformed (API Gateway then answers 502). `multiValueHeaders` win over `headers` for a name
 * present in both, as documented for REST APIs.
 */
export function proxyResultToResponse(result: unknown): GatewayResponse | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  const status = typeof r.statusCode === 'string' ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return undefined;
  const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

  const out: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  const put = (name: string, value: string | string[]) => {
    const lower = name.toLowerCase();
    if (DROPPED_RESPONSE_HEADERS.has(lower)) return;
    const existing = names.get(lower);
    if (existing !== undefined) delete out[existing];
    names.set(lower, name);
    out[name] = value;
  };
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') return undefined;
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (!isScalar(value)) return undefined;
      put(name, String(value));
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object') return undefined;
    for (const [name, values] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.every(isScalar)) return undefined;
      put(name, values.map(String));
    }
  }
  if (!names.has('content-type')) put('Content-Type', 'application/json');
  const text = (r.body as string | undefined | null) ?? '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode: status, headers: out, body };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A node:http request listener serving `routes` as API Gateway would (see the notes at the top). */
export function apiGatewayAdapter(options: ApiGatewayAdapterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const stage = options.stage ?? 'v1';
  const identityHeader = options.identityHeader ?? 'Authorization';
  const maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const onIntegrationError = options.onIntegrationError ?? ((route, err) => console.error(`[local] ${route.method} ${route.path} (${route.handler}) failed:`, err));

  async function respond(req: IncomingMessage, requestId: string): Promise<{ response: GatewayResponse; resource?: string }> {
    const receivedAt = new Date();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const rawQuery = q >= 0 ? url.slice(q + 1) : '';
    const method = (req.method ?? 'GET').toUpperCase();

    const body = await readBody(req, maxRequestBytes);
    if (body === undefined) {
      return {
        response: {
          statusCode: 413,
          headers: { 'Content-Type': 'text; charset=utf-8' },
          body: Buffer.from(`HTTP content length exceeded ${maxRequestBytes} bytes.`),
        },
      };
    }

    const match = matchRoute(options.routes, method, path);
    if (match.kind === 'none') {
      return { response: gatewayResponse(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException') };
    }
    const { route, pathParameters } = match;

    let claims: Readonly<Record<string, string>> | undefined;
    if (route.publicReason === undefined) {
      const header = req.headers[identityHeader.toLowerCase()];
      const token = tokenOf(Array.isArray(header) ? header[header.length - 1] : header);
      const result = token === undefined ? { ok: false as const } : options.authorize(token);
      if (!result.ok) {
        return {
          resource: route.path,
          response: result.expired
            ? gatewayResponse(401, 'The incoming token has expired', 'UnauthorizedException')
            : gatewayResponse(401, 'Unauthorized', 'UnauthorizedException'),
        };
      }
      claims = result.claims;
    }

    const event = buildProxyEvent({
      method,
      path,
      rawQuery,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      localPort: req.socket.localPort ?? 0,
      requestId,
      receivedAt,
    }, route, pathParameters, claims, stage);
    if (Buffer.byteLength(JSON.stringify(event)) > MAX_LAMBDA_PAYLOAD_BYTES) {
      return { resource: route.path, response: gatewayResponse(413, 'Request Too Long', 'BadRequestException') };
    }

    let result: unknown;
    try {
      result = await withTimeout(options.invoke(route, event), timeoutMs);
    } catch (err) {
      if (err instanceof GatewayError) {
        return { resource: route.path, response: gatewayResponse(err.statusCode, err.message, 'LocalGatewayException') };
      }
      onIntegrationError(route, err);
      return { resource: route.path, response: INTERNAL_ERROR() };
    }
    if (result === 'timeout') {
      return { resource: route.path, response: gatewayResponse(504, 'Endpoint request timed out', 'IntegrationTimeout') };
    }
    const response = proxyResultToResponse(result);
    if (!response) {
      onIntegrationError(route, new Error(`Malformed Lambda proxy response: ${JSON.stringify(result)?.slice(0, 500)}`));
      return { resource: route.path, response: INTERNAL_ERROR() };
    }
    if (response.body.length > MAX_LAMBDA_PAYLOAD_BYTES) {
      onIntegrationError(route, new Error(`Response of ${response.body.length} bytes exceeds Lambda's ${MAX_LAMBDA_PAYLOAD_BYTES}-byte limit`));
      return { resource: route.path, response: INTERNAL_ERROR() };
    }
    return { resource: route.path, response };
  }

  return (req, res) => {
    const started = Date.now();
    const requestId = randomUUID();
    respond(req, requestId)
      .catch((err): { response: GatewayResponse; resource?: string } => {
        console.error('[local] adapter failure:', err);
        return { response: INTERNAL_ERROR() };
      })
      .then(({ response, resource }) => {
        res.writeHead(response.statusCode, { ...response.headers, 'x-amzn-RequestId': requestId });
        res.end(req.method === 'HEAD' ? undefined : response.body);
        options.onResponse?.({
          requestId,
          method: req.method ?? '',
          path: (req.url ?? '/').split('?')[0],
          resource,
          status: response.statusCode,
          durationMs: Date.now() - started,
        });
      })
      .catch((err) => {
        console.error('[local] could not write the response:', err);
        res.destroy();
      });
  };
}
