import { Signer } from '@aws-sdk/rds-signer';
import type { PoolConfig } from 'pg';

/**
 * How a handler reaches Postgres, from the environment:
 * - in AWS (`DB_IAM_AUTH=true`): the RDS Proxy endpoint, TLS with certificate verification, and a
 *   fresh IAM token (`@aws-sdk/rds-signer`, valid 15 minutes) as the password of each new connection;
 * - locally: a plain password (`DB_PASSWORD`) on loopback, no TLS.
 * Local engines emulate neither the proxy nor IAM auth: this function is the whole seam.
 */
export function connectionConfig(env: NodeJS.ProcessEnv = process.env): PoolConfig {
  const host = required(env, 'DB_HOST');
  const port = Number(env.DB_PORT ?? 5432);
  const user = required(env, 'DB_USER');
  const base: PoolConfig = {
    host,
    port,
    user,
    database: required(env, 'DB_NAME'),
    // One Lambda container serves one request at a time: a second connection only for overlap.
    // The proxy pools across containers. Local mode runs every invocation in one process, where
    // Lambda would give each concurrent request its own container: it sets DB_POOL_MAX higher.
    max: Number(env.DB_POOL_MAX ?? 2),
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 5_000,
  };
  if (env.DB_IAM_AUTH === 'true') {
    const signer = new Signer({ hostname: host, port, username: user, region: env.AWS_REGION });
    // pg calls this for every new connection: tokens expire, reused connections stay open.
    return { ...base, password: () => signer.getAuthToken(), ssl: { rejectUnauthorized: true } };
  }
  return { ...base, password: env.DB_PASSWORD ?? '', ssl: false };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
