import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { userIdFromClaims } from './caller';
import { logger, metrics, MetricUnit, tracer } from './observability';
import { HttpError, errorResponse } from '../../../kit/handlers/http';

/** A route of a handler: the event and the caller's user id (from the authorizer only). */
export type Route = (event: APIGatewayProxyEvent, userId: string) => Promise<APIGatewayProxyResult>;

/**
 * The Lambda handler of a route table (`<method> <path>` of infra/routes.ts): Powertools context,
 * the caller from the authorizer's claims, HttpErrors as their status, anything else as a 500
 * without details.
 */
export function dispatch(routes: Record<string, Route>) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    logger.appendKeys({ correlation_id: event.requestContext?.requestId ?? context.awsRequestId });
    metrics.captureColdStartMetric();
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    tracer.annotateColdStart();
    try {
      const route = routes[`${event.httpMethod} ${event.resource}`];
      if (!route) throw new HttpError(404, 'NotFound', 'no such route');
      const userId = userIdFromClaims(event.requestContext?.authorizer?.claims);
      logger.appendKeys({ user_id: userId });
      return await route(event, userId);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.statusCode >= 500) logger.error('request failed', err);
        return errorResponse(err);
      }
      logger.error('request failed', err as Error);
      return errorResponse(new HttpError(500, 'InternalError', 'internal error'));
    } finally {
      metrics.publishStoredMetrics();
      logger.removeKeys(['user_id']);
    }
  };
}

/** A path parameter that must be a UUID; anything else names nothing (404). */
export function uuidParam(event: APIGatewayProxyEvent, name: string, what: string): string {
  const value = event.pathParameters?.[name] ?? '';
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw new HttpError(404, 'NotFound', `${what} not found`);
  return value.toLowerCase();
}

/** A request header, case-insensitively. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  return Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
}
