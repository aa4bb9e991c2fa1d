import { Logger } from '@aws-lambda-powertools/logger';
import { Pool, PoolClient } from 'pg';
import { connectionConfig } from './postgres-connection';

// The function's own service name (POWERTOOLS_SERVICE_NAME, set by the app's stack).
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'postgres-pool' });
let pool: Pool | undefined;

/** The container's pool (RDS Proxy, IAM tokens in AWS), created on first use and reused across invocations. */
export function getPool(): Pool {
  if (!pool) {
    pool = new Pool(connectionConfig());
    // An idle connection the server closed (proxy idle timeout, failover) must not crash the container.
    pool.on('error', (err) => logger.warn('idle database connection lost', { error: String(err) }));
  }
  return pool;
}

/** Runs `fn` in a transaction (BEGIN / COMMIT, ROLLBACK on any error). */
export async function transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await getPool().connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Closes the pool (tests and local mode). */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end();
}
