import { logger, metrics, MetricUnit } from './observability';
import { getPool } from '../../../kit/handlers/postgres-pool';
import { fanOut, sendTo as sendToConnection } from '../../../kit/handlers/websocket-fanout';

/** Records a connection of the user ($connect). */
export async function addConnection(connectionId: string, userId: string): Promise<void> {
  await getPool().query('INSERT INTO connections (connection_id, user_id) VALUES ($1, $2) ON CONFLICT (connection_id) DO NOTHING', [connectionId, userId]);
}

/** Forgets a connection ($disconnect, or a 410 on send). */
export async function removeConnection(connectionId: string): Promise<void> {
  await getPool().query('DELETE FROM connections WHERE connection_id = $1', [connectionId]);
}

/** Sends `message` to one connection; false when it is gone (410), which is then forgotten. */
export function sendTo(connectionId: string, message: unknown): Promise<boolean> {
  return sendToConnection(connectionId, message, removeConnection);
}

/**
 * Sends `message` to every open connection of the user (their other devices and tabs), in
 * parallel; stale connections are cleaned up. A failed send is logged, never fails the write.
 */
export async function notifyUser(userId: string, message: unknown): Promise<{ sent: number; gone: number; failed: number }> {
  let result;
  try {
    result = await getPool().query<{ connection_id: string }>('SELECT connection_id FROM connections WHERE user_id = $1', [userId]);
  } catch (err) {
    logger.error('real-time event skipped: connections not readable', { error: String(err) });
    return { sent: 0, gone: 0, failed: 1 };
  }
  const { sent, gone, failed, errors } = await fanOut(result.rows.map((r) => r.connection_id), message, removeConnection);
  for (const error of errors) logger.warn('real-time send failed', { error: String(error) });
  metrics.addMetric('RealtimeMessages', MetricUnit.Count, sent);
  if (gone > 0) metrics.addMetric('StaleConnections', MetricUnit.Count, gone);
  return { sent, gone, failed };
}
