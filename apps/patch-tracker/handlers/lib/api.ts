/**
 * The read API's plumbing: JSON responses, the one error shape `{ error: { code, message } }`,
 * the caller check and one dispatch per handler built from infra/routes.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger, metrics, MetricUnit } from './observability';
import type { RouteDefinition } from '../../../kit/infra/route-definition';

export class HttpError extends Error {
  constructor(public readonly statusCode: number, public readonly code: string, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}
export const badRequest = (message: string) => new HttpError(400, 'BAD_REQUEST', message);
export const notFound = (message = 'Not found') => new HttpError(404, 'NOT_FOUND', message);

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { ...HEADERS }, body: JSON.stringify(body) };
}

export type RouteFunction = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * The handler of `routes` (those of one handler file): dispatch on method and resource, a 401 when
 * the authorizer supplied no identity (the data is public, but only to signed-in users), typed
 * errors as 4xx, anything else a 500 without internals; a request metric per invocation.
 */
export function routeHandler(routes: readonly RouteDefinition[], functions: Record<string, RouteFunction>) {
  return async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
    if (context) logger.addContext(context);
    logger.appendKeys({ correlation_id: event.requestContext?.requestId });
    let response: APIGatewayProxyResult;
    try {
      const route = routes.find((r) => r.path === event.resource && r.method === event.httpMethod);
      if (!route) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${event.httpMethod} is not supported on ${event.resource}`);
      const subject = event.requestContext?.authorizer?.claims?.sub;
      if (!route.publicReason && (typeof subject !== 'string' || subject === '')) throw new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
      response = await functions[route.name](event);
    } catch (err) {
      if (err instanceof HttpError) {
        response = json(err.statusCode, { error: { code: err.code, message: err.message } });
      } else {
        logger.error('unhandled error', err as Error);
        response = json(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
      }
    }
    logger.info('request', { method: event.httpMethod, resource: event.resource, status: response.statusCode });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    if (response.statusCode >= 400 && response.statusCode < 500) metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
    if (response.statusCode >= 500) metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return response;
  };
}
