import { callerFromClaims } from './lib/auth';
import { addConnection, removeConnection, sendTo } from './lib/fanout';
import { logger, metrics, tracer } from './lib/observability';
import { webSocketRouteHandler } from '../../kit/handlers/websocket-routes';

/**
 * The WebSocket routes: $connect records the connection under the tenant the authorizer vouched
 * for, $disconnect forgets it, $default answers `{"action":"ping"}` with a pong (clients receive,
 * they do not command over the socket: commands go through the REST API and its role checks).
 */
export const handler = webSocketRouteHandler({
  logger,
  metrics,
  tracer,
  connect: async (connectionId, authorizer) => {
    const caller = callerFromClaims(authorizer);
    await addConnection(connectionId, caller.tenantId, caller.userId);
    logger.info('connected', { connectionId, tenant_id: caller.tenantId });
  },
  disconnect: removeConnection,
  send: sendTo,
});
