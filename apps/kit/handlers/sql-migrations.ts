import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Client } from 'pg';
import { connectionConfig } from './postgres-connection';

/**
 * Applies the pending ones of `migrations` (file name -> SQL, bundled as text) with node-pg-migrate,
 * as the connection's user (IAM token through the proxy in AWS), under node-pg-migrate's advisory
 * lock so that two runs cannot overlap; returns the names it applied.
 */
export async function runSqlMigrations(app: string, migrations: Record<string, string>, logger: Logger): Promise<string[]> {
  // A folder of its own: node-pg-migrate applies every file in it, and /tmp is shared (another
  // app's run on the same machine, a warm container).
  const dir = mkdtempSync(path.join(tmpdir(), `${app}-migrations-`));
  for (const [name, sql] of Object.entries(migrations)) writeFileSync(path.join(dir, name), sql);
  // node-pg-migrate is an ES module; the bundle inlines it.
  const { runner } = await import('node-pg-migrate');
  const client = new Client(connectionConfig());
  await client.connect();
  try {
    const applied = await runner({ dbClient: client, dir, direction: 'up', migrationsTable: 'pgmigrations', log: (m) => logger.info(m) });
    const names = applied.map((m) => m.name);
    logger.info('migrations applied', { applied: names });
    return names;
  } finally {
    await client.end();
  }
}
