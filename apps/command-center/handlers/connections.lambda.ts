import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { callerFromClaims } from './lib/auth';
import { addConnection, removeConnection, sendTo } from './lib/fanout';
import { logger, metrics, MetricUnit, tracer } from './lib/observability';
import { HttpError } from '../../kit/handlers/http';

/** What API Gateway passes for $connect: the authorizer's context next to the usual fields. */
type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
};

const Message = z.object({ action: z.literal('ping') });

/**
 * The WebSocket routes: $connect records the connection under the tenant the authorizer vouched
 * for, $disconnect forgets it, $default answers `{"action":"ping"}` with a pong (clients receive,
 * they do not command over the socket: commands go through the REST API and its role checks).
 */
export const handler = async (event: WebSocketEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  tracer.annotateColdStart();
  const { routeKey, connectionId } = event.requestContext;
  metrics.addMetric(routeKey === '$connect' ? 'Connects' : routeKey === '$disconnect' ? 'Disconnects' : 'Messages', MetricUnit.Count, 1);
  try {
    switch (routeKey) {
      case '$connect': {
        const caller = callerFromClaims(event.requestContext.authorizer);
        await addConnection(connectionId, caller.tenantId, caller.userId);
        logger.info('connected', { connectionId, tenant_id: caller.tenantId });
        return { statusCode: 200, body: '' };
      }
      case '$disconnect':
        await removeConnection(connectionId);
        return { statusCode: 200, body: '' };
      default: {
        let body: unknown;
        try {
          body = JSON.parse(event.body ?? '');
        } catch {
          body = undefined;
        }
        const message = Message.safeParse(body);
        await sendTo(connectionId, message.success ? { type: 'pong' } : { type: 'error', message: 'unknown message; send {"action":"ping"}' });
        return { statusCode: 200, body: '' };
      }
    }
  } catch (err) {
    if (err instanceof HttpError) return { statusCode: err.statusCode, body: err.message };
    logger.error('websocket route failed', err as Error);
    return { statusCode: 500, body: 'internal error' };
  } finally {
    metrics.publishStoredMetrics();
  }
};
