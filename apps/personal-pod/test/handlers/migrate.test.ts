import '../../../kit/test/handler-env';
import { execFile } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { promisify } from 'util';
import { Pool } from 'pg';
import { LocalPostgres, startPostgres } from '../../../kit/local/postgres';
import { POSTGRES } from '../../local/local-personal-pod';

// The migrate function as deployed: its bundle (migrations inlined as text, node-pg-migrate
// bundled) run by Node against a fresh database, twice.
const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'handlers', 'migrate', 'index.mjs');
let postgres: LocalPostgres;
let admin: Pool;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npx projen bundle:handlers`);
  postgres = await startPostgres(POSTGRES);
  admin = new Pool({ host: '127.0.0.1', port: postgres.port, user: 'postgres', password: postgres.env.DB_PASSWORD, database: 'postgres', max: 1 });
  await admin.query('CREATE DATABASE fresh');
}, 180_000);
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});

async function runBundle(): Promise<{ applied: string[] }> {
  const script = `import(${JSON.stringify(pathToFileURL(BUNDLE).href)}).then((m) => m.handler({}, { functionName: 'migrate', awsRequestId: 'test' }))`
    + '.then((r) => process.stdout.write(JSON.stringify(r)))';
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...postgres.env, DB_NAME: 'fresh', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

test('applies the versioned migrations once, then nothing; the app user gets the diary tables only', async () => {
  expect(await runBundle()).toEqual({ applied: ['1733400000000_diary', '1733400000001_app_user', '1733400000002_attachments'] });
  const fresh = new Pool({ host: '127.0.0.1', port: postgres.port, user: 'postgres', password: postgres.env.DB_PASSWORD, database: 'fresh', max: 1 });
  try {
    const tables = await fresh.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.rows.map((r) => r.tablename)).toEqual(['attachments', 'categories', 'connections', 'entries', 'entry_tags', 'entry_versions', 'pgmigrations']);
    const grants = await fresh.query("SELECT DISTINCT table_name FROM information_schema.role_table_grants WHERE grantee = 'personal_pod_app' ORDER BY 1");
    expect(grants.rows.map((r) => r.table_name)).toEqual(['attachments', 'categories', 'connections', 'entries', 'entry_tags', 'entry_versions']);
  } finally {
    await fresh.end();
  }
  expect(await runBundle()).toEqual({ applied: [] });
}, 60_000);
