import { userIdFromClaims } from './lib/caller';
import { logger, metrics, tracer } from './lib/observability';
import { addConnection, removeConnection, sendTo } from './lib/realtime';
import { webSocketRouteHandler } from '../../kit/handlers/websocket-routes';

/**
 * The WebSocket routes: $connect records the connection under the user the authorizer vouched
 * for, $disconnect forgets it, $default answers `{"action":"ping"}` with a pong (clients receive
 * entry events; they change entries through the REST API).
 */
export const handler = webSocketRouteHandler({
  logger,
  metrics,
  tracer,
  connect: (connectionId, authorizer) => addConnection(connectionId, userIdFromClaims(authorizer)),
  disconnect: removeConnection,
  send: sendTo,
});
