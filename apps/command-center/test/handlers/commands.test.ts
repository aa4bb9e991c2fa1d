import '../../../kit/test/handler-env';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import Valkey from 'iovalkey';
import { Pool } from 'pg';
import { closePool } from '../../../kit/handlers/postgres-pool';
import { LocalPostgres, startPostgres } from '../../../kit/local/postgres';
import { EventOptions, apiEvent, expectError, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { handler } from '../../handlers/commands.lambda';
import { closeCache } from '../../handlers/lib/cache';
import { POSTGRES } from '../../local/local-command-center';
import { LocalValkey, startValkey } from '../../local/valkey';

// The commands handler against real Postgres (migrated by node-pg-migrate) and a real
// Valkey/Redis: transactions, the audit trail, cache hits and invalidation on write. The handler
// reads its database and cache settings on first use, after beforeAll set them.
let postgres: LocalPostgres;
let valkey: LocalValkey;
let db: Pool;
let cache: Valkey;

beforeAll(async () => {
  [postgres, valkey] = await Promise.all([startPostgres(POSTGRES), startValkey()]);
  Object.assign(process.env, postgres.env, valkey.env);
  db = new Pool({ host: '127.0.0.1', port: postgres.port, user: postgres.env.DB_USER, password: postgres.env.DB_PASSWORD, database: postgres.env.DB_NAME, max: 1 });
  cache = new Valkey(valkey.url);
}, 180_000);
afterAll(async () => {
  await Promise.all([closePool(), closeCache(), db?.end(), cache?.quit()]);
  await Promise.all([postgres?.stop(), valkey?.stop()]);
});

const OPERATOR = { sub: 'op-1', tenantId: 'tenant-1', groups: ['operator'] };
const VIEWER = { sub: 'viewer-1', tenantId: 'tenant-1', groups: ['viewer'] };

async function call(user: { sub: string; tenantId: string; groups: string[] }, opts: Omit<EventOptions, 'identity'>, headers: Record<string, string> = {}) {
  const event: APIGatewayProxyEvent = apiEvent({ ...opts, identity: { sub: user.sub, tenantId: user.tenantId } });
  // As the REST Cognito authorizer passes groups: one comma-separated string.
  (event.requestContext.authorizer!.claims as Record<string, string>)['cognito:groups'] = user.groups.join(',');
  Object.assign(event.headers, headers);
  return parseResponse(await handler(event, lambdaContext('commands')));
}

const create = (body: unknown = { name: 'restart', target: 'web-1' }, headers?: Record<string, string>) =>
  call(OPERATOR, { method: 'POST', resource: '/api/commands', body }, headers);
const setStatus = (id: string, body: unknown, user = OPERATOR) =>
  call(user, { method: 'PUT', resource: '/api/commands/{id}/status', pathParameters: { id }, body });
const list = () => call(VIEWER, { method: 'GET', resource: '/api/commands' });
const events = async (id: string) => (await db.query('SELECT from_status, to_status, actor FROM command_events WHERE command_id = $1 ORDER BY id', [id])).rows;

test('create and every status change write the command and its event in one transaction', async () => {
  const created = await create();
  expect(created.statusCode).toBe(201);
  const id = created.body.id;
  await setStatus(id, { status: 'running' });
  expect(await events(id)).toEqual([
    { from_status: null, to_status: 'pending', actor: 'op-1' },
    { from_status: 'pending', to_status: 'running', actor: 'op-1' },
  ]);
  // A retry of the same change (same status, with or without the version it was made from) is a no-op.
  expect(await setStatus(id, { status: 'running' })).toMatchObject({ statusCode: 200, body: { status: 'running', version: 2 } });
  expect(await setStatus(id, { status: 'running', expectedVersion: 1 })).toMatchObject({ statusCode: 200, body: { version: 2 } });
  expect(await events(id)).toHaveLength(2);
  // A refused transition rolls back: no event, no change.
  expectError(await setStatus(id, { status: 'pending' }), 409, 'Conflict', /running command cannot become pending/);
  expect(await events(id)).toHaveLength(2);
  const row = (await db.query('SELECT status, version, tenant_id FROM commands WHERE id = $1', [id])).rows[0];
  expect(row).toEqual({ status: 'running', version: 2, tenant_id: 'tenant-1' });
});

test('hot reads come from the cache; a write invalidates every cached read of the tenant', async () => {
  const first = await list();
  expect(first.statusCode).toBe(200);
  const keys = await cache.keys('cc:tenant-1:*:list:*');
  expect(keys.length).toBeGreaterThan(0);

  // Served from the cache: a row changed behind the handler's back is not seen...
  const someone = first.body.items[0];
  await db.query("UPDATE commands SET name = 'changed-behind-the-cache' WHERE id = $1", [someone.id]);
  expect((await list()).body).toEqual(first.body);

  // ...until a write through the API bumps the tenant's generation.
  const generation = Number(await cache.get('cc:tenant-1:gen') ?? 0);
  const created = await create({ name: 'drain', target: 'lb-1' });
  expect(Number(await cache.get('cc:tenant-1:gen'))).toBe(generation + 1);
  const after = await list();
  expect(after.body.items.map((c: any) => c.id)).toContain(created.body.id);
  expect(after.body.items.find((c: any) => c.id === someone.id).name).toBe('changed-behind-the-cache');
});

test('a single command is cached per tenant and invalidated by its status change', async () => {
  const { body: command } = await create();
  const get = () => call(VIEWER, { method: 'GET', resource: '/api/commands/{id}', pathParameters: { id: command.id } });
  expect((await get()).body.status).toBe('pending');
  expect(await cache.keys(`cc:tenant-1:*:cmd:${command.id}`)).toHaveLength(1);
  await setStatus(command.id, { status: 'cancelled' });
  expect((await get()).body).toMatchObject({ status: 'cancelled', version: 2 });
  // Another tenant's read neither hits nor fills tenant-1's entries.
  const other = await call({ sub: 'op-2', tenantId: 'tenant-2', groups: ['admin'] }, { method: 'GET', resource: '/api/commands/{id}', pathParameters: { id: command.id } });
  expectError(other, 404, 'NotFound');
  expect(await cache.keys(`cc:tenant-2:*:cmd:${command.id}`)).toHaveLength(0);
});

test('roles: a viewer cannot command; a user without tenant or role is refused', async () => {
  expectError(await call(VIEWER, { method: 'POST', resource: '/api/commands', body: { name: 'x', target: 'y' } }), 403, 'Forbidden', /may read but not command/);
  expectError(await call({ sub: 'u', tenantId: 'tenant-1', groups: ['guests'] }, { method: 'GET', resource: '/api/commands' }), 403, 'Forbidden');
  const event = apiEvent({ method: 'GET', resource: '/api/commands', identity: { sub: 'no-tenant' } });
  (event.requestContext.authorizer!.claims as Record<string, string>)['cognito:groups'] = 'admin';
  expectError(parseResponse(await handler(event, lambdaContext('commands'))), 403, 'Forbidden', /no tenant/);
});

test('bad input: 400 with the problems listed, and no row written', async () => {
  const before = (await db.query('SELECT count(*)::int AS n FROM commands')).rows[0].n;
  const res = await create({ name: '', target: 'web-1', payload: 'not an object' });
  expectError(res, 400, 'BadRequest', /invalid command/);
  expect((await db.query('SELECT count(*)::int AS n FROM commands')).rows[0].n).toBe(before);
  expectError(await create({ name: 'x', target: 'y' }, { 'Idempotency-Key': 'bad key!' }), 400, 'BadRequest');
  expect((await db.query('SELECT count(*)::int AS n FROM commands')).rows[0].n).toBe(before);
});
