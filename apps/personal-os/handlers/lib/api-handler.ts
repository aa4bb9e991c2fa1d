import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Caller, callerOf } from './auth';
import { HttpError } from './errors';
import { errorResponse } from './http';
import { MetricUnit, logger, metrics, tracer } from './observability';
import { PersonalOsHandler, ROUTES } from '../../infra/routes';

/** What a route function gets. */
export interface ApiRequest {
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
  /** The authenticated caller; a 401 when the authorizer supplied no usable identity. */
  readonly caller: Caller;
}

export type RouteFunction = (req: ApiRequest) => Promise<APIGatewayProxyResult>;
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The Lambda handler of `handler`: one route function per route of infra/routes.ts that names this
 * handler (`'GET /tasks/{id}'`), checked when the module loads so the table and the code cannot
 * drift. Around each request: log context with the request id, a trace subsegment, errors turned
 * into the JSON error shape (5xx logged with the stack, never sent), request metrics.
 */
export function routeHandler(handler: PersonalOsHandler, routes: Record<string, RouteFunction>): ApiHandler {
  const declared = ROUTES.filter((r) => r.handler === handler).map((r) => `${r.method} ${r.path}`).sort();
  const implemented = Object.keys(routes).sort();
  if (declared.join('\n') !== implemented.join('\n')) {
    throw new Error(`${handler}: routes declared [${declared.join(', ')}] but implemented [${implemented.join(', ')}]`);
  }

  return async (event, context) => {
    const started = Date.now();
    logger.addContext(context);
    logger.appendKeys({ correlation_id: event.requestContext?.requestId ?? context.awsRequestId });
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${handler}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    metrics.captureColdStartMetric();

    let caller: Caller | undefined;
    const req: ApiRequest = {
      event,
      context,
      get caller() {
        if (!caller) {
          caller = callerOf(event);
          logger.appendKeys({ user_id: caller.userId });
        }
        return caller;
      },
    };

    let response: APIGatewayProxyResult;
    try {
      const route = routes[`${event.httpMethod} ${event.resource}`];
      if (!route) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${event.httpMethod} is not supported on ${event.resource}`);
      response = await route(req);
    } catch (err) {
      response = errorResponse(err);
      if (err instanceof HttpError) {
        logger.info('request rejected', { code: err.code, message: err.message });
      } else {
        logger.error('unhandled error', err as Error);
        tracer.addErrorAsMetadata(err as Error);
      }
    }

    logger.info('request', { method: event.httpMethod, resource: event.resource, status: response.statusCode, durationMs: Date.now() - started });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    if (response.statusCode >= 400 && response.statusCode < 500) metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
    if (response.statusCode >= 500) metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    if (subsegment && segment) {
      subsegment.close();
      tracer.setSegment(segment);
    }
    // Per-request keys must not leak into the next invocation.
    logger.removeKeys(['correlation_id', 'user_id']);
    return response;
  };
}
