import type { Context } from 'aws-lambda';
import { logger } from './lib/observability';
import { runSqlMigrations } from '../../kit/handlers/sql-migrations';
// The versioned migration files, bundled as text (esbuild's text loader for .sql).
import commands from '../migrations/1733390000000_commands.sql';
import appUser from '../migrations/1733390000001_app_user.sql';

/** The migrations in order, by file name (node-pg-migrate orders and records them by name). */
const MIGRATIONS: Record<string, string> = {
  '1733390000000_commands.sql': commands,
  '1733390000001_app_user.sql': appUser,
};

/**
 * Runs the pending schema migrations as the administrative user (IAM token through the proxy).
 * Invoked after each deployment (README: "Deploy"); returns the migrations it applied.
 */
export const handler = async (_event: unknown, context: Context): Promise<{ applied: string[] }> => {
  logger.addContext(context);
  return { applied: await runSqlMigrations('command-center', MIGRATIONS, logger) };
};
