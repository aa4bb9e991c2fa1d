import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Caller, callerOf } from './auth';
import { HttpError } from './errors';
import { errorResponse } from './http';
import { enterTenant, withRequestScope } from './tenant-credentials';

// Service name and namespace come from the function's environment (POWERTOOLS_SERVICE_NAME,
// POWERTOOLS_METRICS_NAMESPACE, set by the stack); the defaults keep tests and local mode working.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'cloudvault';

/** One logger, metrics and tracer per container, shared by the handler's modules. */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'CloudVault' });
export const tracer = new Tracer({ serviceName });
export { MetricUnit };

/** What a route handler gets: the raw event, the Lambda context and the caller (resolved on first use). */
export interface ApiRequest {
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
  /** The authenticated caller; throws a 401 when the authorizer supplied no usable identity. */
  readonly caller: Caller;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Wraps a route function with everything every CloudVault API handler needs: log context with the
 * request id as correlation id (and the tenant when known), a trace subsegment with cold-start and
 * tenant annotations, errors turned into the JSON error shape (no stack traces to clients; 5xx
 * logged with the stack), and request / error metrics published once per invocation.
 */
export function withApiHandler(fn: (req: ApiRequest) => Promise<APIGatewayProxyResult>): ApiHandler {
  return async (event, context) => {
    const started = Date.now();
    const correlationId = event.requestContext?.requestId ?? context.awsRequestId;
    logger.addContext(context);
    logger.appendKeys({ correlation_id: correlationId });

    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${context.functionName || serviceName}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    metrics.captureColdStartMetric();

    let caller: Caller | undefined;
    const req: ApiRequest = {
      event,
      context,
      get caller() {
        if (!caller) {
          caller = callerOf(event);
          // Tenant data from here on is read and written with this tenant's session (lib/clients.ts).
          enterTenant(caller.tenantId);
          logger.appendKeys({ tenant_id: caller.tenantId, user_id: caller.userId });
          tracer.putAnnotation('tenantId', caller.tenantId);
        }
        return caller;
      },
    };

    let response: APIGatewayProxyResult;
    try {
      response = await withRequestScope(() => fn(req));
    } catch (err) {
      response = errorResponse(err);
      if (err instanceof HttpError) {
        logger.info('request rejected', { code: err.code, message: err.message });
      } else {
        logger.error('unhandled error', err as Error);
        tracer.addErrorAsMetadata(err as Error);
      }
    }

    const status = response.statusCode;
    logger.info('request', {
      method: event.httpMethod,
      resource: event.resource,
      status,
      durationMs: Date.now() - started,
    });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    if (status >= 400 && status < 500) metrics.addMetric('ClientErrors', MetricUnit.Count, 1);
    if (status >= 500) metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();

    if (subsegment && segment) {
      subsegment.close();
      tracer.setSegment(segment);
    }
    // Per-request keys must not leak into the next invocation of this container.
    logger.removeKeys(['correlation_id', 'tenant_id', 'user_id']);
    return response;
  };
}
