import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { Context } from 'aws-lambda';
import { Client } from 'pg';
import { logger } from './lib/observability';
import { connectionConfig } from '../../kit/handlers/postgres-connection';
// The versioned migration files, bundled as text (esbuild's text loader for .sql).
import diary from '../migrations/1733400000000_diary.sql';
import appUser from '../migrations/1733400000001_app_user.sql';
import attachments from '../migrations/1733400000002_attachments.sql';

/** The migrations in order, by file name (node-pg-migrate orders and records them by name). */
const MIGRATIONS: Record<string, string> = {
  '1733400000000_diary.sql': diary,
  '1733400000001_app_user.sql': appUser,
  '1733400000002_attachments.sql': attachments,
};

/**
 * Runs the pending schema migrations with node-pg-migrate as the administrative user (IAM token
 * through the proxy), under its advisory lock so that two runs cannot overlap. Invoked after each
 * deployment (README); returns the migrations it applied.
 */
export const handler = async (_event: unknown, context: Context): Promise<{ applied: string[] }> => {
  logger.addContext(context);
  // A folder of its own: node-pg-migrate applies every file in it, and /tmp outlives an invocation.
  const dir = mkdtempSync(path.join(tmpdir(), 'personal-pod-migrations-'));
  for (const [name, sql] of Object.entries(MIGRATIONS)) writeFileSync(path.join(dir, name), sql);
  // node-pg-migrate is an ES module; the bundle inlines it.
  const { runner } = await import('node-pg-migrate');
  const client = new Client(connectionConfig());
  await client.connect();
  try {
    const applied = await runner({ dbClient: client, dir, direction: 'up', migrationsTable: 'pgmigrations', log: (m) => logger.info(m) });
    logger.info('migrations applied', { applied: applied.map((m) => m.name) });
    return { applied: applied.map((m) => m.name) };
  } finally {
    await client.end();
  }
};
