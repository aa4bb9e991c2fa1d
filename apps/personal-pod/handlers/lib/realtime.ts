import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { getPool } from './db';
import { logger, metrics, MetricUnit } from './observability';

let client: ApiGatewayManagementApiClient | undefined;

/** The @connections client, created once per container; WS_CALLBACK_URL is the stage's https URL (or the local adapter's). */
function managementClient(): ApiGatewayManagementApiClient {
  client ??= new ApiGatewayManagementApiClient({ endpoint: process.env.WS_CALLBACK_URL });
  return client;
}

/** Records a connection of the user ($connect). */
export async function addConnection(connectionId: string, userId: string): Promise<void> {
  await getPool().query('INSERT INTO connections (connection_id, user_id) VALUES ($1, $2) ON CONFLICT (connection_id) DO NOTHING', [connectionId, userId]);
}

/** Forgets a connection ($disconnect, or a 410 on send). */
export async function removeConnection(connectionId: string): Promise<void> {
  await getPool().query('DELETE FROM connections WHERE connection_id = $1', [connectionId]);
}

/** Sends `message` to one connection; false when it is gone (410), which is then forgotten. */
export async function sendTo(connectionId: string, message: unknown): Promise<boolean> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
    return true;
  } catch (err) {
    if (err instanceof GoneException || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) {
      await removeConnection(connectionId);
      return false;
    }
    throw err;
  }
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
  const outcomes = await Promise.allSettled(result.rows.map((r) => sendTo(r.connection_id, message)));
  const sent = outcomes.filter((o) => o.status === 'fulfilled' && o.value).length;
  const gone = outcomes.filter((o) => o.status === 'fulfilled' && !o.value).length;
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  for (const o of outcomes) if (o.status === 'rejected') logger.warn('real-time send failed', { error: String(o.reason) });
  metrics.addMetric('RealtimeMessages', MetricUnit.Count, sent);
  if (gone > 0) metrics.addMetric('StaleConnections', MetricUnit.Count, gone);
  return { sent, gone, failed };
}
