import { logger, metrics, MetricUnit } from './observability';
import { getPool } from '../../../kit/handlers/postgres-pool';
import { fanOut, sendTo as sendToConnection } from '../../../kit/handlers/websocket-fanout';

/** Records a connection of the tenant ($connect). */
export async function addConnection(connectionId: string, tenantId: string, userId: string): Promise<void> {
  await getPool().query(
    'INSERT INTO connections (connection_id, tenant_id, user_id) VALUES ($1, $2, $3) ON CONFLICT (connection_id) DO NOTHING',
    [connectionId, tenantId, userId]);
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
 * Sends `message` to every open connection of the tenant, in parallel; stale connections are
 * cleaned up. A failed send is logged, never fails the write that caused it.
 */
export async function broadcast(tenantId: string, message: unknown): Promise<{ sent: number; gone: number; failed: number }> {
  let result;
  try {
    result = await getPool().query<{ connection_id: string }>('SELECT connection_id FROM connections WHERE tenant_id = $1', [tenantId]);
  } catch (err) {
    logger.error('fan-out skipped: connections not readable', { error: String(err) });
    return { sent: 0, gone: 0, failed: 1 };
  }
  const { sent, gone, failed, errors } = await fanOut(result.rows.map((r) => r.connection_id), message, removeConnection);
  for (const error of errors) logger.warn('fan-out send failed', { error: String(error) });
  metrics.addMetric('FanoutMessages', MetricUnit.Count, sent);
  if (gone > 0) metrics.addMetric('StaleConnections', MetricUnit.Count, gone);
  return { sent, gone, failed };
}
