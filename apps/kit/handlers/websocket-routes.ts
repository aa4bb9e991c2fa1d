import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { HttpError } from './http';

/** What API Gateway passes for $connect: the authorizer's context next to the usual fields. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
};

/** What differs between the apps' WebSocket routes; the rest is `webSocketRouteHandler`'s. */
export interface WebSocketRoutes {
  /** The app's Powertools logger, metrics and tracer. */
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** $connect: records the connection under the caller the authorizer vouched for (an HttpError refuses it). */
  connect(connectionId: string, authorizer: Record<string, unknown> | undefined): Promise<void>;
  /** $disconnect: forgets the connection. */
  disconnect(connectionId: string): Promise<void>;
  /** Sends one message to a connection (a gone one is the app's to forget). */
  send(connectionId: string, message: unknown): Promise<unknown>;
}

const Ping = z.object({ action: z.literal('ping') });

/**
 * The handler of an app's WebSocket routes: $connect and $disconnect as the app says, $default
 * answers `{"action":"ping"}` with a pong and anything else with an error message (clients only
 * receive over the socket; they act through the REST API and its checks). Counts connects,
 * disconnects and messages; an HttpError answers its status, anything else 500.
 */
export function webSocketRouteHandler(routes: WebSocketRoutes) {
  const { logger, metrics, tracer } = routes;
  return async (event: WebSocketEvent, context: Context): Promise<APIGatewayProxyResult> => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    tracer.annotateColdStart();
    const { routeKey, connectionId } = event.requestContext;
    metrics.addMetric(routeKey === '$connect' ? 'Connects' : routeKey === '$disconnect' ? 'Disconnects' : 'Messages', MetricUnit.Count, 1);
    try {
      switch (routeKey) {
        case '$connect':
          await routes.connect(connectionId, event.requestContext.authorizer);
          return { statusCode: 200, body: '' };
        case '$disconnect':
          await routes.disconnect(connectionId);
          return { statusCode: 200, body: '' };
        default: {
          let body: unknown;
          try {
            body = JSON.parse(event.body ?? '');
          } catch {
            body = undefined;
          }
          const ping = Ping.safeParse(body);
          await routes.send(connectionId, ping.success ? { type: 'pong' } : { type: 'error', message: 'unknown message; send {"action":"ping"}' });
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
}
