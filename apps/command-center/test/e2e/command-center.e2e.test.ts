import '../../../kit/test/handler-env';
import { Pool } from 'pg';
import { WebSocket } from 'ws';
import { LocalCommandCenter, startLocalCommandCenter } from '../../local/local-command-center';

// End to end over HTTP and WebSocket in local mode: real handlers, Postgres, Valkey, the kit's
// REST and WebSocket adapters. Two tenants; tenant A has an operator, a viewer and an admin.
let local: LocalCommandCenter;
const tokens: Record<string, string> = {};
const USERS = {
  operatorA: { sub: 'op-a', email: 'op-a@example.com', tenantId: 'tenant-a', groups: ['operator'] },
  viewerA: { sub: 'viewer-a', email: 'viewer-a@example.com', tenantId: 'tenant-a', groups: ['viewer'] },
  adminA: { sub: 'admin-a', email: 'admin-a@example.com', tenantId: 'tenant-a', groups: ['admin', 'viewer'] },
  operatorB: { sub: 'op-b', email: 'op-b@example.com', tenantId: 'tenant-b', groups: ['operator'] },
  noRole: { sub: 'nobody', email: 'nobody@example.com', tenantId: 'tenant-a', groups: [] },
};
type User = keyof typeof USERS;

beforeAll(async () => {
  local = await startLocalCommandCenter({ logErrors: false });
  for (const name of Object.keys(USERS) as User[]) tokens[name] = local.token(USERS[name]);
}, 180_000);
afterAll(async () => {
  await local?.stop();
});

async function call(user: User | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${local.apiUrl}${path}`, {
    method,
    headers: {
      ...(user ? { authorization: `Bearer ${tokens[user]}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const create = (user: User, name = 'restart', target = 'web-1') => call(user, 'POST', '/api/commands', { name, target, payload: { graceful: true } });

/** A WebSocket client that collects the messages it receives. */
async function connect(user: User): Promise<{ socket: WebSocket; messages: any[]; next: (predicate: (m: any) => boolean) => Promise<any> }> {
  const socket = new WebSocket(`${local.wsUrl}?token=${tokens[user]}`);
  const messages: any[] = [];
  const waiters: Array<{ predicate: (m: any) => boolean; resolve: (m: any) => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    messages.push(message);
    for (const w of waiters.splice(0)) {
      if (w.predicate(message)) w.resolve(message);
      else waiters.push(w);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const next = (predicate: (m: any) => boolean) => {
    const found = messages.find(predicate);
    return found ? Promise.resolve(found) : new Promise<any>((resolve) => waiters.push({ predicate, resolve }));
  };
  return { socket, messages, next };
}

async function close(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}

describe('commands over HTTP', () => {
  test('an operator creates, reads, lists and advances a command', async () => {
    const created = await create('operatorA', 'deploy', 'api-cluster');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'deploy', target: 'api-cluster', status: 'pending', version: 1, createdBy: 'op-a', payload: { graceful: true } });

    const read = await call('viewerA', 'GET', `/api/commands/${created.body.id}`);
    expect(read).toEqual({ status: 200, body: created.body });
    const list = await call('viewerA', 'GET', '/api/commands');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: any) => c.id)).toContain(created.body.id);

    const running = await call('operatorA', 'PUT', `/api/commands/${created.body.id}/status`, { status: 'running' });
    expect(running.body).toMatchObject({ status: 'running', version: 2 });
    const done = await call('adminA', 'PUT', `/api/commands/${created.body.id}/status`, { status: 'succeeded', expectedVersion: 2 });
    expect(done).toMatchObject({ status: 200, body: { status: 'succeeded', version: 3 } });
    // The cached read was invalidated by the writes.
    expect((await call('viewerA', 'GET', `/api/commands/${created.body.id}`)).body.status).toBe('succeeded');
    const succeeded = await call('viewerA', 'GET', '/api/commands?status=succeeded&limit=5');
    expect(succeeded.body.items.map((c: any) => c.id)).toContain(created.body.id);
  });

  test('a retried create with the same Idempotency-Key returns the first command', async () => {
    const key = 'retry-key-0001';
    const first = await call('operatorA', 'POST', '/api/commands', { name: 'scale', target: 'workers' }, { 'Idempotency-Key': key });
    const second = await call('operatorA', 'POST', '/api/commands', { name: 'scale', target: 'workers' }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(second).toEqual({ status: 200, body: first.body });
  });

  test('another tenant\'s command does not exist (404), neither to read nor to change', async () => {
    const own = await create('operatorA');
    expect((await call('operatorB', 'GET', `/api/commands/${own.body.id}`)).status).toBe(404);
    expect((await call('operatorB', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'cancelled' })).status).toBe(404);
    expect((await call('operatorB', 'GET', '/api/commands')).body.items.map((c: any) => c.id)).not.toContain(own.body.id);
    expect((await call('viewerA', 'GET', `/api/commands/${own.body.id}`)).body.status).toBe('pending');
  });

  test('a viewer reads but cannot command (403), and nothing changes', async () => {
    const own = await create('operatorA');
    const before = await call('viewerA', 'GET', '/api/commands?limit=100');
    const refusedCreate = await create('viewerA');
    expect(refusedCreate.status).toBe(403);
    expect(refusedCreate.body.error.code).toBe('Forbidden');
    expect((await call('viewerA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'running' })).status).toBe(403);
    expect((await call('viewerA', 'GET', '/api/commands?limit=100')).body).toEqual(before.body);
    expect((await call('viewerA', 'GET', `/api/commands/${own.body.id}`)).body.status).toBe('pending');
    // A user in no role group, and no token at all.
    expect((await call('noRole', 'GET', '/api/commands')).status).toBe(403);
    expect((await call(undefined, 'GET', '/api/commands')).status).toBe(401);
  });

  test('bad input is refused (4xx) and nothing changes', async () => {
    const own = await create('operatorA');
    const before = await call('viewerA', 'GET', '/api/commands?limit=100');
    for (const body of [{}, { name: '', target: 'x' }, { name: 'x', target: 'y', extra: 1 }, { name: 'x'.repeat(101), target: 'y' }, 'not json']) {
      const res = await call('operatorA', 'POST', '/api/commands', body);
      expect(res.status).toBe(400);
    }
    expect((await call('operatorA', 'POST', '/api/commands', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call('operatorA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'exploded' })).status).toBe(400);
    expect((await call('operatorA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'succeeded' })).status).toBe(409); // pending cannot succeed
    expect((await call('operatorA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'running', expectedVersion: 7 })).status).toBe(409);
    expect((await call('operatorA', 'GET', '/api/commands?limit=0')).status).toBe(400);
    expect((await call('operatorA', 'GET', '/api/commands/not-a-uuid')).status).toBe(404);
    expect((await call('viewerA', 'GET', '/api/commands?limit=100')).body).toEqual(before.body);
    expect((await call('viewerA', 'GET', `/api/commands/${own.body.id}`)).body).toMatchObject({ status: 'pending', version: 1 });
  });
});

describe('real-time delivery over WebSocket', () => {
  test('a status change reaches every connected client of the tenant, and no client of another tenant', async () => {
    const [a1, a2, b1] = await Promise.all([connect('viewerA'), connect('operatorA'), connect('operatorB')]);
    try {
      const own = await create('operatorA', 'failover', 'db-primary');
      await call('operatorA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'running' });
      const isChange = (m: any) => m.type === 'command.status' && m.command.id === own.body.id && m.command.status === 'running';
      const [m1, m2] = await Promise.all([a1.next(isChange), a2.next(isChange)]);
      expect(m1.command).toMatchObject({ id: own.body.id, status: 'running', version: 2 });
      expect(m2).toEqual(m1);

      // Tenant B's client gets its own tenant's news only: a ping round trip after the change
      // proves its connection works and that nothing of tenant A arrived before it.
      const b = await create('operatorB', 'own', 'b-host');
      await call('operatorB', 'PUT', `/api/commands/${b.body.id}/status`, { status: 'running' });
      await b1.next((m) => m.type === 'command.status' && m.command.id === b.body.id);
      b1.socket.send(JSON.stringify({ action: 'ping' }));
      await b1.next((m) => m.type === 'pong');
      expect(b1.messages.some((m) => m.command?.id === own.body.id)).toBe(false);
      expect(a1.messages.some((m) => m.command?.id === b.body.id)).toBe(false);
    } finally {
      await Promise.all([close(a1.socket), close(a2.socket), close(b1.socket)]);
    }
  });

  test('a connection without a valid token is refused at $connect', async () => {
    for (const url of [local.wsUrl, `${local.wsUrl}?token=forged.token.value`]) {
      const socket = new WebSocket(url);
      socket.on('error', () => undefined); // ws reports the refused upgrade as an error too
      const status = await new Promise<number | undefined>((resolve) => {
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        socket.once('open', () => resolve(undefined));
      });
      expect(status).toBe(401);
    }
  });

  test('a connection that went away is cleaned up on the next fan-out (410 Gone)', async () => {
    const client = await connect('viewerA');
    const { DB_HOST: host, DB_PORT: port, DB_USER: user, DB_PASSWORD: password, DB_NAME: database } = local.env;
    const pool = new Pool({ host, port: Number(port), user, password, database, max: 1 });
    try {
      // A stale row: a connection the database remembers but API Gateway no longer has.
      await pool.query("INSERT INTO connections (connection_id, tenant_id, user_id) VALUES ('gone-connection=', 'tenant-a', 'ghost')");
      const own = await create('operatorA');
      await call('operatorA', 'PUT', `/api/commands/${own.body.id}/status`, { status: 'cancelled' });
      await client.next((m) => m.command?.id === own.body.id && m.command.status === 'cancelled');
      const rows = await pool.query("SELECT 1 FROM connections WHERE connection_id = 'gone-connection='");
      expect(rows.rowCount).toBe(0);
    } finally {
      await pool.end();
      await close(client.socket);
    }
  });
});
