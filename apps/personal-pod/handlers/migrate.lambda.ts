import type { Context } from 'aws-lambda';
import { logger } from './lib/observability';
import { runSqlMigrations } from '../../kit/handlers/sql-migrations';
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
 * Runs the pending schema migrations as the administrative user (IAM token through the proxy).
 * Invoked after each deployment (README); returns the migrations it applied.
 */
export const handler = async (_event: unknown, context: Context): Promise<{ applied: string[] }> => {
  logger.addContext(context);
  return { applied: await runSqlMigrations('personal-pod', MIGRATIONS, logger) };
};
