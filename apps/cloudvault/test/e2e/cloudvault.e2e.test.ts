/**
 * End-to-end: CloudVault in local mode (local/local-cloudvault.ts: the real handlers behind the
 * API Gateway adapter, DynamoDB Local, the S3 emulator, the SQS emulator and the SES sink), called
 * over real HTTP with fetch, as a client would. One local stack for the whole file.
 *
 * Tenants: alice (tenant-a, admin), carol (tenant-a, member), bob (tenant-b, admin: the strongest
 * caller another tenant can have).
 */
import { createHash } from 'crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DevUser } from '../../../kit/local/dev-tokens';
import { ROUTES, RouteDefinition } from '../../infra/routes';
import { CLOUDVAULT_HANDLERS, LocalCloudVault, startLocalCloudVault } from '../../local/local-cloudvault';

const ALICE: DevUser = { sub: 'alice', email: 'alice@tenant-a.example', tenantId: 'tenant-a', groups: ['admin'] };
const CAROL: DevUser = { sub: 'carol', email: 'carol@tenant-a.example', tenantId: 'tenant-a', groups: ['member'] };
const BOB: DevUser = { sub: 'bob', email: 'bob@tenant-b.example', tenantId: 'tenant-b', groups: ['admin'] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let local: LocalCloudVault;
const tokens: Record<'alice' | 'carol' | 'bob', string> = { alice: '', carol: '', bob: '' };
const localLog: string[] = [];

beforeAll(async () => {
  local = await startLocalCloudVault({ port: 0, log: (line) => localLog.push(line) });
  tokens.alice = await local.addUser(ALICE);
  tokens.carol = await local.addUser(CAROL);
  tokens.bob = await local.addUser(BOB);
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

/** Runs only when the handler exists (helpers are writing them); see the report for skipped ones. */
const describeWith = (handler: string) => (CLOUDVAULT_HANDLERS.exists(handler) ? describe : describe.skip);

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

interface Res {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON body, or undefined when it is not JSON. */
  readonly body: any;
}

interface CallOptions {
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (malformed bodies), with content-type application/json unless headers say otherwise. */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly redirect?: 'manual' | 'follow';
}

async function call(token: string | undefined, method: string, path: string, opts: CallOptions = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined || opts.raw !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = opts.raw ?? JSON.stringify(opts.json);
  }
  const res = await fetch(`${local.url}${path}`, { method, headers, body, redirect: opts.redirect ?? 'manual' });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A client calling with the token `token()` returns (read at call time: tokens are issued in beforeAll). */
const withToken = (token: () => string) => ({
  get: (path: string, opts?: CallOptions) => call(token(), 'GET', path, opts),
  post: (path: string, json?: unknown, opts?: CallOptions) => call(token(), 'POST', path, { ...opts, json }),
  patch: (path: string, json?: unknown, opts?: CallOptions) => call(token(), 'PATCH', path, { ...opts, json }),
  delete: (path: string, opts?: CallOptions) => call(token(), 'DELETE', path, opts),
  call: (method: string, path: string, opts?: CallOptions) => call(token(), method, path, opts),
});
const as = (who: keyof typeof tokens) => withToken(() => tokens[who]);
type Caller = ReturnType<typeof as>;
const alice = as('alice');
const carol = as('carol');
const bob = as('bob');

/** The error shape every handler answers with, without internals. */
function expectError(res: Res, status: number, code?: string, message?: RegExp): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { error: expect.any(Object) } });
  if (code) expect(res.body.error.code).toBe(code);
  if (message) expect(res.body.error.message).toMatch(message);
  expect(res.text).not.toMatch(/\.ts:\d+|node_modules|\bat [A-Za-z.]+ \(/);
}

// ---------------------------------------------------------------------------------------------
// State snapshots: "nothing changed" is asserted on the storage itself, not through the API
// ---------------------------------------------------------------------------------------------

/** Every item of the tenant's partition, in key order. */
async function partition(tenantId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.documentClient.send(new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
      ConsistentRead: true,
      ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Keys and ETags of every object of the tenant (files, thumbnails, quarantine, backups). */
async function objects(tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for (const prefix of ['tenants', 'thumbnails', 'quarantine', 'backups']) {
    let token: string | undefined;
    do {
      const page = await local.s3.client.send(new ListObjectsV2Command({ Bucket: local.bucket, Prefix: `${prefix}/${tenantId}/`, ContinuationToken: token }));
      out.push(...(page.Contents ?? []).map((o) => `${o.Key} ${o.ETag} ${o.Size}`));
      token = page.NextContinuationToken;
    } while (token);
  }
  return out.sort();
}

async function snapshot(tenantId: string): Promise<{ items: Record<string, unknown>[]; objects: string[] }> {
  await local.idle();
  return { items: await partition(tenantId), objects: await objects(tenantId) };
}

// ---------------------------------------------------------------------------------------------
// Health and the authorizer
// ---------------------------------------------------------------------------------------------

/** A path for the route with every `{param}` filled with `value`. */
const pathOf = (route: RouteDefinition, value: string) => route.path.replace(/\{[^}]+\}/g, value);
const AUTHENTICATED = ROUTES.filter((r) => r.publicReason === undefined);

describe('health and the authorizer', () => {
  test('GET /api/health answers without a token', async () => {
    const res = await call(undefined, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: expect.any(String) });
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
  });

  test.each(AUTHENTICATED.map((r) => [`${r.method} ${r.path}`, r] as const))('anonymous %s: 401, the handler never runs', async (_name, route) => {
    const before = await snapshot('tenant-a');
    const res = await call(undefined, route.method, pathOf(route, '00000000-0000-4000-8000-000000000000'), route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
    expect(await snapshot('tenant-a')).toEqual(before);
  });

  test('expired, forged and foreign tokens: 401 on an authenticated route', async () => {
    const expired = local.tokens.issue(ALICE, { ttlSeconds: -1 });
    expect((await call(expired, 'GET', '/api/folders')).body).toEqual({ message: 'The incoming token has expired' });
    // Alice's token with the tenant claim changed to tenant-b: the signature no longer matches.
    const [h, p, s] = tokens.alice.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, 'custom:tenantId': 'tenant-b' })).toString('base64url')}.${s}`;
    expect((await call(forged, 'GET', '/api/folders')).status).toBe(401);
    expect((await call('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.', 'GET', '/api/folders')).status).toBe(401);
  });

  test('unknown paths and methods: API Gateway\'s 403 Missing Authentication Token', async () => {
    expect((await alice.get('/api/unknown')).body).toEqual({ message: 'Missing Authentication Token' });
    expect((await alice.call('PUT', '/api/folders')).status).toBe(403);
  });
});

// ---------------------------------------------------------------------------------------------
// Folders
// ---------------------------------------------------------------------------------------------

async function createFolder(who: Caller, name: string, parentId?: string): Promise<string> {
  const res = await who.post('/api/folders', { name, ...(parentId ? { parentId } : {}) });
  expect([res.status, res.body]).toEqual([201, expect.objectContaining({ id: expect.stringMatching(UUID), name })]);
  return res.body.id;
}

describe('folders', () => {
  test('create a tree, read it, rename and move, delete recursively', async () => {
    const projects = await createFolder(alice, 'Projects');
    const apollo = await createFolder(alice, 'Apollo', projects);
    const archive = await createFolder(alice, 'Archive');

    const tree = await alice.get('/api/folders');
    expect(tree.status).toBe(200);
    const names = (nodes: any[]): any[] => nodes.map((n) => ({ name: n.name, children: names(n.children) }));
    expect(names(tree.body.folders)).toEqual(expect.arrayContaining([
      { name: 'Projects', children: [{ name: 'Apollo', children: [] }] },
      { name: 'Archive', children: [] },
    ]));

    // Rename and move in one request; the tree follows.
    const moved = await alice.patch(`/api/folders/${apollo}`, { name: 'Apollo 11', parentId: archive });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: apollo, name: 'Apollo 11', parentId: archive });
    expect((await alice.get(`/api/folders/${archive}`)).body.children).toEqual([{ id: apollo, name: 'Apollo 11', kind: 'FOLDER' }]);
    expect((await alice.get(`/api/folders/${projects}`)).body).toMatchObject({ childCount: 0, children: [] });

    // A folder cannot move into its own subtree; names are unique per parent (case-insensitive).
    expectError(await alice.patch(`/api/folders/${archive}`, { parentId: apollo }), 409, 'FOLDER_CYCLE');
    expectError(await alice.post('/api/folders', { name: 'apollo 11', parentId: archive }), 409, 'NAME_CONFLICT');

    // Not empty: 409 unless recursive.
    expectError(await alice.delete(`/api/folders/${archive}`), 409, 'FOLDER_NOT_EMPTY');
    const deleted = await alice.delete(`/api/folders/${archive}?recursive=true`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toEqual([apollo, archive]);
    expectError(await alice.get(`/api/folders/${apollo}`), 404, 'NOT_FOUND');
    await alice.delete(`/api/folders/${projects}`);
  });

  test('each tenant sees only its own tree', async () => {
    const a = await createFolder(alice, 'Alice only');
    const b = await createFolder(bob, 'Bob only');
    const ids = (res: Res) => JSON.stringify(res.body);
    expect(ids(await alice.get('/api/folders'))).toContain(a);
    expect(ids(await alice.get('/api/folders'))).not.toContain(b);
    expect(ids(await bob.get('/api/folders'))).not.toContain(a);
    // Two users of one tenant share its tree.
    expect(ids(await carol.get('/api/folders'))).toContain(a);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad inputs: 4xx with the error shape, and nothing changes
// ---------------------------------------------------------------------------------------------

describe('bad inputs get 4xx and change nothing', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await createFolder(alice, 'Validation target');
  });

  // Every row has all six columns (test.each passes `done` for a missing last one).
  const cases: ReadonlyArray<[string, string, string, CallOptions, number, RegExp | undefined]> = [
    ['malformed JSON', 'POST', '/api/folders', { raw: '{"name": "x",' }, 400, /not valid JSON/],
    ['a JSON array', 'POST', '/api/folders', { json: ['x'] }, 400, undefined],
    ['an empty body', 'POST', '/api/folders', { raw: '' }, 400, undefined],
    ['an oversized name', 'POST', '/api/folders', { json: { name: 'n'.repeat(256) } }, 400, /at most 255/],
    ['path traversal "../etc"', 'POST', '/api/folders', { json: { name: '../etc' } }, 400, /body\.name/],
    ['a "/" in the name', 'POST', '/api/folders', { json: { name: 'a/b' } }, 400, /body\.name/],
    ['a "\\" in the name', 'POST', '/api/folders', { json: { name: '..\\..\\windows' } }, 400, /body\.name/],
    ['a NUL byte in the name', 'POST', '/api/folders', { json: { name: 'a\u0000b' } }, 400, /control characters/],
    ['a name of the wrong type', 'POST', '/api/folders', { json: { name: 42 } }, 400, /must be a string/],
    ['a parentId of the wrong type', 'POST', '/api/folders', { json: { name: 'ok', parentId: 7 } }, 400, /body\.parentId/],
    ['a tenantId in the body', 'POST', '/api/folders', { json: { name: 'ok', tenantId: 'tenant-b' } }, 400, /tenantId/],
    ['a path id that is not a UUID', 'GET', '/api/folders/..%2F..%2Fetc', {}, 400, /path\.id/],
    ['a bad query value', 'DELETE', '/api/folders/{folder}?recursive=yes', {}, 400, /query\.recursive/],
    ['an empty PATCH', 'PATCH', '/api/folders/{folder}', { json: {} }, 400, undefined],
    ['a PATCH with a traversal name', 'PATCH', '/api/folders/{folder}', { json: { name: '..' } }, 400, /body\.name/],
  ];

  test.each(cases)('%s: %s %s', async (_case, method, path, opts, status, message) => {
    const before = await snapshot('tenant-a');
    const res = await alice.call(method, path.replace('{folder}', folder), opts);
    expectError(res, status, undefined, message);
    expect(await snapshot('tenant-a')).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Analytics
// ---------------------------------------------------------------------------------------------

describeWith('analytics')('analytics', () => {
  test('events are recorded per tenant, reported live and by the daily aggregation job', async () => {
    for (const type of ['login', 'search', 'search']) {
      const res = await alice.post('/api/analytics', { type, properties: { source: 'e2e' } });
      expect([res.status, res.body]).toEqual([202, { id: expect.any(String) }]);
    }
    expect((await bob.post('/api/analytics', { type: 'login' })).status).toBe(202);
    const today = new Date().toISOString().slice(0, 10);

    const report = await alice.get(`/api/analytics?from=${today}&to=${today}`);
    expect(report.status).toBe(200);
    expect(report.body.totals).toMatchObject({ events: { login: 1, search: 2 }, eventCount: 3 });
    expect(report.body.days).toEqual([expect.objectContaining({ day: today, source: 'live' })]);
    expect((await bob.get(`/api/analytics?from=${today}&to=${today}`)).body.totals).toMatchObject({ events: { login: 1 }, eventCount: 1 });

    // The scheduled job, run on demand through local mode, stores today's aggregate.
    const job = await call(undefined, 'POST', '/local/jobs/analytics-aggregator', { json: { day: today } });
    expect(job.status).toBe(200);
    expect(job.body.result.days).toEqual([expect.objectContaining({ day: today, tenants: 2, eventCount: 4 })]);
    const daily = (await partition('tenant-a')).find((i) => i.sk === `DAILY#${today}`);
    expect(daily).toMatchObject({ eventCount: 3 });
  });

  test('bad events and ranges are 400s', async () => {
    expectError(await alice.post('/api/analytics', { type: 'hack' }), 400, 'VALIDATION_FAILED', /body\.type/);
    expectError(await alice.post('/api/analytics', { type: 'login', tenantId: 'tenant-b' }), 400, 'VALIDATION_FAILED');
    expectError(await alice.get('/api/analytics?from=2026-02-01&to=2026-01-01'), 400, 'VALIDATION_FAILED', /query\.to/);
  });
});

// ---------------------------------------------------------------------------------------------
// Notifications: API -> SQS -> worker -> in-app item and SES e-mail
// ---------------------------------------------------------------------------------------------

describeWith('notifications')('notifications', () => {
  test('an admin notifies a user of the tenant in-app and by e-mail through the queue', async () => {
    const sent = await alice.post('/api/notifications', {
      userId: 'carol',
      channels: ['in-app', 'email'],
      template: 'generic',
      data: { subject: 'Hello', message: 'Welcome to CloudVault' },
    }); // no address in the request: the e-mail goes to carol's stored one (addUser)
    expect([sent.status, sent.body]).toEqual([202, { id: expect.stringMatching(UUID) }]);
    await local.idle();

    const list = await carol.get('/api/notifications');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ id: sent.body.id, template: 'generic', read: false })]);
    const email = local.ses.emails.find((e) => JSON.stringify(e.body).includes('Welcome to CloudVault'));
    expect(email?.body.Destination.ToAddresses).toEqual([CAROL.email]);
    // Naming an address is refused: the API is no relay to arbitrary addresses.
    expectError(await alice.post('/api/notifications', { userId: 'carol', channels: ['email'], template: 'generic', data: { subject: 's', message: 'm' }, email: 'x@evil.example' }), 400, 'VALIDATION_FAILED', /email/);
    // Alice (the sender) has no such item; bob's tenant none at all.
    expect((await alice.get('/api/notifications')).body.items).toEqual([]);
    expect((await bob.get('/api/notifications')).body.items).toEqual([]);
  });

  test('e-mail goes only to verified addresses, free text by e-mail only from admins, and per user at a bounded rate', async () => {
    // Mallory changed her address to a victim's; Cognito has not verified it (keepOriginal keeps the old one in prod).
    const mallory = await local.addUser({ sub: 'mallory', email: 'victim@elsewhere.example', tenantId: 'tenant-a', groups: ['member'], emailVerified: false });
    const sent = local.ses.emails.length;
    expectError(await call(mallory, 'POST', '/api/notifications', { json: { channels: ['email'], template: 'quota-warning', data: { usedPercent: '99' } } }),
      400, 'VALIDATION_FAILED', /has none/);
    expectError(await carol.post('/api/notifications', { channels: ['email'], template: 'generic', data: { subject: 'Invoice', message: 'pay now' } }), 403, 'FORBIDDEN');
    expectError(await carol.post('/api/notifications', { channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'see https://evil.example' } }),
      400, 'VALIDATION_FAILED', /must not contain links/);
    await local.idle();
    expect(local.ses.emails.length).toBe(sent);
  });

  test('a member may only notify themself; bad messages are 400s', async () => {
    expectError(await carol.post('/api/notifications', { userId: 'alice', channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } }), 403, 'FORBIDDEN');
    // Only users of the caller's tenant can be notified: an unknown user and another tenant's user are 404s.
    expectError(await alice.post('/api/notifications', { userId: 'nobody', channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } }), 404, 'NOT_FOUND');
    expectError(await alice.post('/api/notifications', { userId: 'bob', channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } }), 404, 'NOT_FOUND');
    expectError(await alice.post('/api/notifications', { channels: ['sms'], template: 'generic', data: { subject: 's', message: 'm' } }), 400, 'VALIDATION_FAILED', /body\.channels/);
    expectError(await alice.post('/api/notifications', { channels: ['in-app'], template: 'generic', data: { subject: 's' } }), 400, 'VALIDATION_FAILED', /needs "message"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------------------------

describeWith('backup')('backup', () => {
  test('an admin exports the tenant\'s items to S3 in the background, verified; members may not', async () => {
    const started = await alice.post('/api/backup');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'RUNNING', verified: false, objectKey: expect.stringMatching(/^backups\/tenant-a\//) });
    await local.idle(); // the export queue's worker
    const done = await alice.get(`/api/backup?id=${started.body.backupId}`);
    expect(done.body).toMatchObject({ status: 'COMPLETED', verified: true, itemCount: expect.any(Number) });
    const exported = await local.s3.client.send(new GetObjectCommand({ Bucket: local.bucket, Key: started.body.objectKey }));
    const document = JSON.parse(await exported.Body!.transformToString());
    expect(document.tenantId).toBe('tenant-a');
    expect(document.items.every((i: { pk: string }) => i.pk === 'TENANT#tenant-a')).toBe(true);

    expectError(await carol.post('/api/backup'), 403, 'FORBIDDEN');
    expectError(await alice.post('/api/backup', { tenantId: 'tenant-b' }), 400);
  });
});

// ---------------------------------------------------------------------------------------------
// Files: uploads through presigned URLs, processing, listing, versions
// ---------------------------------------------------------------------------------------------

const MiB = 1024 * 1024;

interface Uploaded {
  readonly id: string;
  readonly bytes: Buffer;
}

/** POST /api/files and the upload it describes (one PUT, or every part and the completion), then waits for processing. */
interface UploadResult {
  readonly id: string;
  readonly version: number;
  /** The POST /api/files answer. */
  readonly body: any;
}

async function upload(who: Caller, request: Record<string, unknown>, bytes: Buffer, contentType: string): Promise<UploadResult> {
  const started = await who.post('/api/files', { ...request, size: bytes.length, contentType });
  expect([started.status, started.body?.error]).toEqual([201, undefined]);
  const { file, version, upload: instructions } = started.body;
  // The URLs point at the S3 emulator, never at the API: file bytes do not pass through Lambda.
  expect(instructions.method === 'PUT' ? instructions.url : instructions.parts[0].url).toMatch(new RegExp(`^${local.s3.endpoint}/${local.bucket}/tenants/`));
  if (instructions.method === 'PUT') {
    const put = await fetch(instructions.url, { method: 'PUT', headers: instructions.headers, body: bytes });
    expect(put.status).toBe(200);
  } else {
    const parts: { partNumber: number; etag: string }[] = [];
    let offset = 0;
    for (const part of instructions.parts) {
      const res = await fetch(part.url, { method: 'PUT', body: bytes.subarray(offset, offset + part.size) });
      expect(res.status).toBe(200);
      parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
      offset += part.size;
    }
    expect(offset).toBe(bytes.length);
    const completed = await who.post(`/api/files/${file.id}/upload`, { version: version.version, parts });
    expect([completed.status, completed.body?.error]).toEqual([200, undefined]);
  }
  await local.idle();
  return { id: file.id, version: version.version, body: started.body };
}

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const textBytes = (text: string) => Buffer.from(text, 'utf8');
/** Compares large buffers by digest: toEqual walks 10 MiB byte by byte for half a minute. */
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describeWith('files')('files', () => {
  let docs: string;
  let png: Uploaded;
  let big: Uploaded;
  let notes: Uploaded;

  beforeAll(async () => {
    docs = await createFolder(alice, 'Docs');
  });

  test('a PNG is uploaded with one presigned PUT and the processor makes a 256 px thumbnail', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp') as typeof import('sharp');
    const bytes = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const { id } = await upload(alice, { name: 'photo.png' }, bytes, 'image/png');
    png = { id, bytes };

    const file = await alice.get(`/api/files/${id}`);
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({ id, name: 'photo.png', status: 'AVAILABLE', currentVersion: 1, size: bytes.length, contentType: 'image/png' });
    expect(await download(file.body.download.url)).toEqual(bytes);
    const thumbnail = await sharp(await download(file.body.thumbnail.url)).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 256 });
    expect(thumbnail.height).toBeLessThanOrEqual(256);
    expect(local.backgroundFailures).toEqual([]);
  });

  test('a 10 MiB file is uploaded by multipart through the presigned part URLs', async () => {
    const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * MiB - 9, 0x20)]);
    for (let i = 9; i < bytes.length; i += 4096) bytes[i] = 0x30 + (i % 10); // not all blanks
    const { id, body } = await upload(alice, { name: 'report.pdf', folderId: docs }, bytes, 'application/pdf');
    big = { id, bytes };
    expect(body.upload).toMatchObject({ method: 'MULTIPART', partSize: 8 * MiB });
    expect(body.upload.parts).toHaveLength(2);

    const file = await alice.get(`/api/files/${id}`);
    expect(file.body).toMatchObject({ status: 'AVAILABLE', size: 10 * MiB, folderId: docs });
    expect(file.body.checksum).toBe(sha256(bytes));
    expect(sha256(await download(file.body.download.url))).toBe(sha256(bytes));
    expect((await alice.get(`/api/files/${id}/versions`)).body.versions).toEqual([expect.objectContaining({ version: 1, multipart: true, status: 'AVAILABLE', current: true })]);
  });

  test('a multipart upload completes server-side: the client sends no part list', async () => {
    const bytes = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(9 * MiB - 4, 0x41)]);
    const started = await alice.post('/api/files', { name: 'server-side.zip', size: bytes.length, contentType: 'application/zip' });
    expect(started.status).toBe(201);
    const { file, upload: instructions } = started.body;
    let offset = 0;
    for (const part of instructions.parts) {
      expect((await fetch(part.url, { method: 'PUT', body: bytes.subarray(offset, offset + part.size) })).status).toBe(200);
      offset += part.size;
    }
    const completed = await alice.post(`/api/files/${file.id}/upload`, {});
    expect([completed.status, completed.body?.error]).toEqual([200, undefined]);
    await local.idle();
    const stored = await alice.get(`/api/files/${file.id}`);
    expect(stored.body).toMatchObject({ status: 'AVAILABLE', size: bytes.length });
    expect(stored.body.checksum).toBe(sha256(bytes));
    await alice.delete(`/api/files/${file.id}`);
  });

  test('a file whose bytes do not match its declared type is quarantined', async () => {
    const { id } = await upload(alice, { name: 'fake.png' }, textBytes('this is not an image'), 'image/png');
    const file = await alice.get(`/api/files/${id}`);
    expect(file.body).toMatchObject({ status: 'QUARANTINED', download: null });
    expect((await objects('tenant-a')).some((o) => o.startsWith(`quarantine/tenant-a/files/${id}/`))).toBe(true);
    await alice.delete(`/api/files/${id}`);
  });

  test('verified bytes cannot be replaced: the PUT URL writes once and a replayed POST signs no new URL', async () => {
    const bytes = textBytes('verified once, served forever');
    const key = 'e2e-immutable-upload';
    const started = await alice.post('/api/files', { name: 'immutable.txt', size: bytes.length, contentType: 'text/plain' }, { headers: { 'Idempotency-Key': key } });
    expect(started.status).toBe(201);
    const { url, headers } = started.body.upload;
    expect((await fetch(url, { method: 'PUT', headers, body: bytes })).status).toBe(200);
    await local.idle();
    const id: string = started.body.file.id;
    expect((await alice.get(`/api/files/${id}`)).body).toMatchObject({ status: 'AVAILABLE', checksum: sha256(bytes) });

    // The same URL again, with other bytes of the same length: S3's conditional write refuses it.
    const evil = textBytes('X'.repeat(bytes.length));
    expect(evil.length).toBe(bytes.length);
    expect((await fetch(url, { method: 'PUT', headers, body: evil })).status).toBe(412);
    // A replay of the POST does not hand out a fresh URL for the verified version.
    expectError(await alice.post('/api/files', { name: 'immutable.txt', size: bytes.length, contentType: 'text/plain' }, { headers: { 'Idempotency-Key': key } }), 409, 'UPLOAD_COMPLETED');
    await local.idle();
    const file = await alice.get(`/api/files/${id}`);
    expect(file.body).toMatchObject({ status: 'AVAILABLE', checksum: sha256(bytes) });
    expect(await download(file.body.download.url)).toEqual(bytes);
    await alice.delete(`/api/files/${id}`);
  });

  test('pending uploads reserve quota: 5 x 900 bytes against a 1000-byte quota, only 1 is accepted', async () => {
    const dave = await local.addUser({ sub: 'dave', email: 'dave@tenant-q.example', tenantId: 'tenant-q', groups: ['admin'] });
    await local.documentClient.send(new UpdateCommand({
      TableName: local.tableName, Key: { pk: 'TENANT#tenant-q', sk: 'TENANT' }, UpdateExpression: 'SET quotaBytes = :q', ExpressionAttributeValues: { ':q': 1000 },
    }));
    const started = await Promise.all([1, 2, 3, 4, 5].map((i) =>
      call(dave, 'POST', '/api/files', { json: { name: `q${i}.txt`, size: 900, contentType: 'text/plain' } })));
    expect(started.map((r) => r.status).sort()).toEqual([201, 413, 413, 413, 413]);
    // Uploading every accepted one ends within the quota.
    for (const r of started.filter((x) => x.status === 201)) {
      expect((await fetch(r.body.upload.url, { method: 'PUT', headers: r.body.upload.headers, body: Buffer.alloc(900, 'q') })).status).toBe(200);
    }
    await local.idle();
    const profile = (await local.documentClient.send(new QueryCommand({
      TableName: local.tableName, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': 'TENANT#tenant-q', ':sk': 'TENANT' },
    }))).Items![0];
    expect(profile).toMatchObject({ storedBytes: 900, reservedBytes: 0, usedBytes: 900 });
  });

  test('list and filter: newest first, by type, name, folder and status', async () => {
    notes = { id: (await upload(alice, { name: 'notes.txt' }, textBytes('version one'), 'text/plain')).id, bytes: textBytes('version one') };
    const names = (res: Res) => res.body.files.map((f: { name: string }) => f.name);

    const all = await alice.get('/api/files');
    expect(all.status).toBe(200);
    expect(names(all)).toEqual(['notes.txt', 'report.pdf', 'photo.png']);
    expect(names(await alice.get('/api/files?type=image/'))).toEqual(['photo.png']);
    expect(names(await alice.get('/api/files?type=application/pdf'))).toEqual(['report.pdf']);
    expect(names(await alice.get('/api/files?namePrefix=NOT'))).toEqual(['notes.txt']);
    expect(names(await alice.get('/api/files?name=port'))).toEqual(['report.pdf']);
    expect(names(await alice.get(`/api/files?folderId=${docs}`))).toEqual(['report.pdf']);
    expect(names(await alice.get('/api/files?folderId=ROOT'))).toEqual(['notes.txt', 'photo.png']);
    expect(names(await alice.get('/api/files?status=QUARANTINED'))).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect(names(await alice.get(`/api/files?from=${today}&to=${today}`))).toHaveLength(3);
    expect(names(await alice.get('/api/files?to=2000-01-01'))).toEqual([]);

    // Pages: a token continues where the last page ended.
    const first = await alice.get('/api/files?limit=2');
    expect(names(first)).toEqual(['notes.txt', 'report.pdf']);
    const second = await alice.get(`/api/files?limit=2&nextToken=${encodeURIComponent(first.body.nextToken)}`);
    expect([names(second), second.body.nextToken]).toEqual([['photo.png'], null]);
    // Tenant B sees none of them, and cannot use A's page token.
    expect((await bob.get('/api/files')).body.files).toEqual([]);
    expectError(await bob.get(`/api/files?limit=2&nextToken=${encodeURIComponent(first.body.nextToken)}`), 400, 'VALIDATION_FAILED', /nextToken/);
  });

  test('rename and move: the file follows into the folder, names stay unique there', async () => {
    const moved = await alice.patch(`/api/files/${png.id}`, { name: 'cover.png', folderId: docs });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: png.id, name: 'cover.png', folderId: docs });
    const folder = await alice.get(`/api/folders/${docs}`);
    expect(folder.body.children.map((c: { name: string }) => c.name).sort()).toEqual(['cover.png', 'report.pdf']);
    expect(folder.body.childCount).toBe(2);
    expectError(await alice.patch(`/api/files/${notes.id}`, { name: 'REPORT.pdf', folderId: docs }), 409, 'NAME_CONFLICT');
    // A folder with files is not empty.
    expectError(await alice.delete(`/api/folders/${docs}`), 409, 'FOLDER_NOT_EMPTY');
    // Back to the top level, under its old name.
    expect((await alice.patch(`/api/files/${png.id}`, { name: 'photo.png', folderId: null })).body).toMatchObject({ folderId: null, name: 'photo.png' });
    expect((await alice.get(`/api/files/${png.id}`)).body.thumbnail).not.toBeNull();
  });

  test('a new version, a restore of the old one, then delete with every version', async () => {
    const v2 = await upload(alice, { fileId: notes.id }, textBytes('version two'), 'text/plain');
    expect(v2.version).toBe(2);
    let file = await alice.get(`/api/files/${notes.id}`);
    expect(file.body).toMatchObject({ currentVersion: 2, latestVersion: 2 });
    expect((await download(file.body.download.url)).toString()).toBe('version two');

    const restored = await alice.post(`/api/files/${notes.id}/versions`, { version: 1 });
    expect(restored.status).toBe(201);
    expect(restored.body.version).toMatchObject({ version: 3, restoredFrom: 1, status: 'PENDING' });
    await local.idle();
    file = await alice.get(`/api/files/${notes.id}`);
    expect(file.body).toMatchObject({ currentVersion: 3, latestVersion: 3 });
    expect((await download(file.body.download.url)).toString()).toBe('version one');
    const versions = await alice.get(`/api/files/${notes.id}/versions`);
    const history = versions.body.versions.map((v: { version: number; current: boolean }) => [v.version, v.current]);
    expect(history).toEqual([[3, true], [2, false], [1, false]]);
    expectError(await alice.post(`/api/files/${notes.id}/versions`, { version: 9 }), 404, 'NOT_FOUND');

    const deleted = await alice.delete(`/api/files/${notes.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ deleted: [notes.id] });
    expectError(await alice.get(`/api/files/${notes.id}`), 404, 'NOT_FOUND');
    expect((await objects('tenant-a')).filter((o) => o.includes(notes.id))).toEqual([]);
  });

  test('an abandoned multipart upload is aborted and the new file disappears', async () => {
    const started = await alice.post('/api/files', { name: 'abandoned.zip', size: 9 * MiB, contentType: 'application/zip' });
    expect(started.body.upload.method).toBe('MULTIPART');
    const aborted = await alice.delete(`/api/files/${started.body.file.id}/upload`);
    expect([aborted.status, aborted.body]).toEqual([200, expect.objectContaining({ fileDeleted: true })]);
    expectError(await alice.get(`/api/files/${started.body.file.id}`), 404);
  });

  test.each([
    ['a traversal name', { name: '../../etc/passwd', size: 10, contentType: 'text/plain' }, /body\.name/],
    ['an oversized name', { name: `${'x'.repeat(252)}.txt`, size: 10, contentType: 'text/plain' }, /body\.name/],
    ['a forbidden content type', { name: 'setup.exe', size: 10, contentType: 'application/x-msdownload' }, /body\.contentType/],
    ['a size of the wrong type', { name: 'a.txt', size: '10', contentType: 'text/plain' }, /body\.size/],
    ['a negative size', { name: 'a.txt', size: -1, contentType: 'text/plain' }, /body\.size/],
    ['a size over 5 GiB', { name: 'a.txt', size: 5 * 1024 ** 3 + 1, contentType: 'text/plain' }, /body\.size/],
    ['an unknown field', { name: 'a.txt', size: 10, contentType: 'text/plain', tenantId: 'tenant-b' }, /tenantId/],
  ])('upload with %s: 400, nothing stored', async (_case, body, message) => {
    const before = await snapshot('tenant-a');
    expectError(await alice.post('/api/files', body), 400, undefined, message);
    expect(await snapshot('tenant-a')).toEqual(before);
  });

  test('bad file requests: 4xx, nothing changes', async () => {
    const before = await snapshot('tenant-a');
    expectError(await alice.call('PATCH', `/api/files/${big.id}`, { raw: '{"name":' }), 400, 'MALFORMED_JSON');
    expectError(await alice.patch(`/api/files/${big.id}`, { name: 'a/../../b' }), 400, 'VALIDATION_FAILED', /body\.name/);
    expectError(await alice.patch(`/api/files/${big.id}`, { folderId: 'ROOT' }), 400, 'VALIDATION_FAILED', /body\.folderId/);
    expectError(await alice.post(`/api/files/${big.id}/versions`, { version: '1' }), 400, 'VALIDATION_FAILED', /body\.version/);
    expectError(await alice.get('/api/files?limit=1000'), 400, 'VALIDATION_FAILED', /query\.limit/);
    expectError(await alice.get('/api/files?type=../../x'), 400, 'VALIDATION_FAILED', /query\.type/);
    expectError(await alice.post(`/api/files/${big.id}/upload`, { parts: [] }), 400, 'VALIDATION_FAILED', /body\.parts/);
    expect(await snapshot('tenant-a')).toEqual(before);
  });

  // ---------------------------------------------------------------- shares

  describeWith('shares')('share links', () => {
    let expiredShareUrl = '';

    test('a link with expiry redirects to a download of the current version; expired links answer 410', async () => {
      const created = await alice.post('/api/shares', { fileId: big.id, expiresInHours: 2 });
      expect(created.status).toBe(201);
      const { token, url, expiresAt } = created.body;
      expect(url).toBe(`/api/shares/${token}`);
      expect(Math.abs(Date.parse(expiresAt) - (Date.now() + 2 * 3600_000))).toBeLessThan(60_000);

      // Anyone with the link (no token) is redirected to a short-lived download on the emulator.
      const opened = await call(undefined, 'GET', url);
      expect(opened.status).toBe(302);
      expect(opened.headers.get('location')).toMatch(new RegExp(`^${local.s3.endpoint}/`));
      const followed = await fetch(`${local.url}${url}`); // fetch follows the 302
      expect(followed.status).toBe(200);
      expect(sha256(Buffer.from(await followed.arrayBuffer()))).toBe(sha256(big.bytes));

      const listed = await alice.get('/api/shares');
      expect(listed.body.shares).toEqual([expect.objectContaining({ token, fileId: big.id, downloadCount: 2, status: 'active' })]);
      expect((await bob.get('/api/shares')).body.shares).toEqual([]);

      // Two hours later (the link's expiry moved into the past): 410, and the cleanup job removes it.
      const key = { pk: 'TENANT#tenant-a', sk: `SHARE#${token}` };
      await local.documentClient.send(new UpdateCommand({ TableName: local.tableName, Key: key, UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }));
      expectError(await call(undefined, 'GET', url), 410, 'SHARE_EXPIRED');
      expect((await alice.get('/api/shares')).body.shares).toEqual([expect.objectContaining({ token, status: 'expired' })]);
      expiredShareUrl = url;
    });

    test('the cleanup job, run on demand, removes the expired link and an abandoned upload', async () => {
      // A multipart upload nobody finished, made stale (the emulator's test hook: S3 never allows
      // moving an upload's initiation time) so the job finds something to abort.
      const abandoned = await alice.post('/api/files', { name: 'forgotten.zip', size: 9 * MiB, contentType: 'application/zip' });
      expect([abandoned.status, abandoned.body?.upload?.method]).toEqual([201, 'MULTIPART']);
      const fileId: string = abandoned.body.file.id;
      const uploadId: string = abandoned.body.upload.uploadId;
      const uploadOf = async () => (await local.s3.openUploads(local.bucket)).find((u) => u.uploadId === uploadId);
      expect(await uploadOf()).toMatchObject({ key: expect.stringContaining(`/files/${fileId}/`) });
      local.s3.backdateUpload(local.bucket, uploadId, new Date(Date.now() - 25 * 3600_000));
      const fresh = await alice.post('/api/files', { name: 'in-progress.zip', size: 9 * MiB, contentType: 'application/zip' });
      expect(fresh.status).toBe(201);

      const cleanup = await call(undefined, 'POST', '/local/jobs/cleanup');
      expect([cleanup.status, cleanup.body?.error]).toEqual([200, undefined]);
      expect(cleanup.body.result).toEqual({
        expiredSharesRemoved: 1,
        staleUploadsAborted: 1,
        uploadVersionsAborted: 1,
        abandonedFilesRemoved: 1,
        incomplete: false,
      });
      expectError(await call(undefined, 'GET', expiredShareUrl), 404, 'NOT_FOUND');
      // The stale upload is aborted and its new file gone; the fresh one is kept (then aborted here).
      expect(await uploadOf()).toBeUndefined();
      expectError(await alice.get(`/api/files/${fileId}`), 404, 'NOT_FOUND');
      expect((await local.s3.openUploads(local.bucket)).map((u) => u.uploadId)).toContain(fresh.body.upload.uploadId);
      expect((await alice.get(`/api/files/${fresh.body.file.id}`)).body).toMatchObject({ status: 'PENDING' });
      expect((await alice.delete(`/api/files/${fresh.body.file.id}/upload`)).body).toMatchObject({ fileDeleted: true });
    });

    test('password and download limit', async () => {
      const created = await alice.post('/api/shares', { fileId: png.id, password: 'correct horse', maxDownloads: 1 });
      const { url } = created.body;
      expectError(await call(undefined, 'GET', url), 401, 'SHARE_PASSWORD_REQUIRED');
      expectError(await call(undefined, 'GET', url, { headers: { 'X-Share-Password': 'wrong horse' } }), 401, 'SHARE_PASSWORD_REQUIRED');
      expect((await call(undefined, 'GET', url, { headers: { 'X-Share-Password': 'correct horse' } })).status).toBe(302);
      expectError(await call(undefined, 'GET', url, { headers: { 'X-Share-Password': 'correct horse' } }), 410, 'SHARE_EXHAUSTED');
    });

    test('bad share requests: 4xx, nothing stored', async () => {
      const before = await snapshot('tenant-a');
      expectError(await alice.post('/api/shares', { fileId: big.id, expiresInHours: 0 }), 400, 'VALIDATION_FAILED', /body\.expiresInHours/);
      expectError(await alice.post('/api/shares', { fileId: big.id, expiresInHours: '24' }), 400, 'VALIDATION_FAILED', /body\.expiresInHours/);
      expectError(await alice.post('/api/shares', { fileId: '../files' }), 400, 'VALIDATION_FAILED', /body\.fileId/);
      expectError(await alice.post('/api/shares', { fileId: big.id, password: 'short' }), 400, 'VALIDATION_FAILED', /body\.password/);
      expectError(await call(undefined, 'GET', '/api/shares/not-a-token'), 400, 'VALIDATION_FAILED', /path\.token/);
      expect(await snapshot('tenant-a')).toEqual(before);
    });
  });

  // ---------------------------------------------------------------- tenant isolation

  describe('tenant B against tenant A\'s resources, on every authenticated route', () => {
    /** Tenant A's resources, created through the API. */
    const a = { folder: '', file: '', pendingFile: '', backup: '', shareToken: '' };

    beforeAll(async () => {
      a.folder = docs;
      a.file = big.id;
      const pending = await alice.post('/api/files', { name: 'in-flight.zip', size: 9 * MiB, contentType: 'application/zip' });
      a.pendingFile = pending.body.file.id;
      if (CLOUDVAULT_HANDLERS.exists('shares')) a.shareToken = (await alice.post('/api/shares', { fileId: a.file })).body.token;
      if (CLOUDVAULT_HANDLERS.exists('backup')) a.backup = (await alice.post('/api/backup')).body.backupId;
      await alice.post('/api/notifications', { channels: ['in-app'], template: 'generic', data: { subject: 'for alice', message: 'only' } });
      await local.idle();
    });

    afterAll(async () => {
      await alice.delete(`/api/files/${a.pendingFile}/upload`);
    });

    /**
     * A request of tenant B (an admin). `denied`: it names A's resources and must get 403/404.
     * `own`: it names nothing of A's (lists) or can only touch B's own data, so any non-5xx answer
     * is fine as long as it mentions nothing of A.
     */
    type Attack = { readonly method: string; readonly path: string; readonly json?: unknown; readonly expect?: 'own' };
    /** What tenant B tries on each route with tenant A's ids. */
    const attacks = (): Record<string, { tries: Attack[] }> => ({
      ListFolders: { tries: [{ expect: 'own', method: 'GET', path: '/api/folders' }] },
      CreateFolder: { tries: [{ method: 'POST', path: '/api/folders', json: { name: 'intruder', parentId: a.folder } }] },
      GetFolder: { tries: [{ method: 'GET', path: `/api/folders/${a.folder}` }] },
      UpdateFolder: { tries: [{ method: 'PATCH', path: `/api/folders/${a.folder}`, json: { name: 'pwned' } }, { method: 'PATCH', path: `/api/folders/${a.folder}`, json: { parentId: null } }] },
      DeleteFolder: { tries: [{ method: 'DELETE', path: `/api/folders/${a.folder}` }, { method: 'DELETE', path: `/api/folders/${a.folder}?recursive=true` }] },
      ListFiles: { tries: [{ method: 'GET', path: `/api/files?folderId=${a.folder}` }, { expect: 'own', method: 'GET', path: '/api/files' }, { expect: 'own', method: 'GET', path: '/api/files?namePrefix=report' }] },
      CreateUpload: {
        tries: [
          { method: 'POST', path: '/api/files', json: { name: 'x.txt', folderId: a.folder, size: 3, contentType: 'text/plain' } },
          { method: 'POST', path: '/api/files', json: { fileId: a.file, size: 3, contentType: 'text/plain' } },
        ],
      },
      GetFile: { tries: [{ method: 'GET', path: `/api/files/${a.file}` }] },
      UpdateFile: { tries: [{ method: 'PATCH', path: `/api/files/${a.file}`, json: { name: 'pwned.pdf' } }, { method: 'PATCH', path: `/api/files/${a.file}`, json: { folderId: null } }] },
      DeleteFile: { tries: [{ method: 'DELETE', path: `/api/files/${a.file}` }] },
      CompleteUpload: { tries: [{ method: 'POST', path: `/api/files/${a.pendingFile}/upload`, json: { parts: [{ partNumber: 1, etag: '"x"' }, { partNumber: 2, etag: '"y"' }] } }] },
      AbortUpload: { tries: [{ method: 'DELETE', path: `/api/files/${a.pendingFile}/upload` }] },
      ListVersions: { tries: [{ method: 'GET', path: `/api/files/${a.file}/versions` }] },
      RestoreVersion: { tries: [{ method: 'POST', path: `/api/files/${a.file}/versions`, json: { version: 1 } }] },
      CreateShare: { tries: [{ method: 'POST', path: '/api/shares', json: { fileId: a.file } }] },
      ListShares: { tries: [{ expect: 'own', method: 'GET', path: '/api/shares' }] },
      RevokeShare: { tries: [{ method: 'DELETE', path: `/api/shares/${a.shareToken}` }] },
      // An event naming A's file id is B's own telemetry (stored in B's partition) or refused.
      RecordEvent: { tries: [{ expect: 'own', method: 'POST', path: '/api/analytics', json: { type: 'file_viewed', fileId: a.file } }] },
      GetReport: { tries: [{ expect: 'own', method: 'GET', path: '/api/analytics' }] },
      // alice is no user of tenant B: 404, nothing queued.
      SendNotification: { tries: [{ method: 'POST', path: '/api/notifications', json: { userId: 'alice', channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } } }] },
      ListNotifications: { tries: [{ expect: 'own', method: 'GET', path: '/api/notifications' }] },
      StartBackup: { tries: [{ expect: 'own', method: 'POST', path: '/api/backup' }] },
      BackupStatus: { tries: [{ method: 'GET', path: `/api/backup?id=${a.backup || '00000000-0000-4000-8000-000000000000'}` }] },
    });

    test('every authenticated route has an attack (a new route must be added here)', () => {
      expect(Object.keys(attacks()).sort()).toEqual(AUTHENTICATED.map((r) => r.name).sort());
    });

    test.each(AUTHENTICATED.map((r) => [r.name, r] as const))('%s: B gets 404/403 or only its own data, and A\'s data does not change', async (name, route) => {
      const spec = attacks()[name];
      const before = await snapshot('tenant-a');
      const secrets = [a.folder, a.file, a.pendingFile, a.backup, a.shareToken, 'Docs', 'report.pdf', 'for alice'].filter(Boolean);
      for (const attack of spec.tries) {
        expect(matchesRoute(route, attack)).toBe(true);
        const res = await bob.call(attack.method, attack.path, { json: attack.json });
        if (!CLOUDVAULT_HANDLERS.exists(route.handler)) {
          expect(res.status).toBe(501);
          continue;
        }
        if (attack.expect === 'own') {
          expect({ attack, status: res.status < 500 ? 'answered' : res.status }).toEqual({ attack, status: 'answered' });
        } else {
          expect({ attack, status: [403, 404].includes(res.status) ? 'denied' : res.status }).toEqual({ attack, status: 'denied' });
        }
        // Nothing of A beyond what B itself sent (404 messages echo the id asked for).
        const sent = JSON.stringify(attack);
        for (const secret of secrets.filter((x) => !sent.includes(x))) expect(res.text).not.toContain(secret);
      }
      await local.idle();
      expect(await snapshot('tenant-a')).toEqual(before);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Role model: destructive actions are for the resource's owner or a tenant admin
// ---------------------------------------------------------------------------------------------

describeWith('files')('role model: deleting and revoking are for the owner or a tenant admin', () => {
  /** A second member of tenant A, next to carol. */
  let erinToken = '';
  const erin = withToken(() => erinToken);
  beforeAll(async () => {
    erinToken = await local.addUser({ sub: 'erin', email: 'erin@tenant-a.example', tenantId: 'tenant-a', groups: ['member'] });
  });

  /** carol's folder, a file in it and a share link of the file. */
  async function carolsThings(label: string): Promise<{ folder: string; file: string; token: string }> {
    const folder = await createFolder(carol, `Carol ${label}`);
    const { id: file } = await upload(carol, { name: `carol-${label}.txt`, folderId: folder }, textBytes(`carol wrote ${label}`), 'text/plain');
    const link = await carol.post('/api/shares', { fileId: file });
    expect(link.status).toBe(201);
    return { folder, file, token: link.body.token };
  }

  test('another member may not delete a member\'s file or folder, nor revoke their link: 403, nothing changed; the owner may', async () => {
    const { folder, file, token } = await carolsThings('own');
    const before = await snapshot('tenant-a');
    expectError(await erin.delete(`/api/files/${file}`), 403, 'FORBIDDEN', /owner or a tenant admin/);
    expectError(await erin.delete(`/api/folders/${folder}?recursive=true`), 403, 'FORBIDDEN', /owner or a tenant admin/);
    expectError(await erin.delete(`/api/shares/${token}`), 403, 'FORBIDDEN', /creator or a tenant admin/);
    expect(await snapshot('tenant-a')).toEqual(before);
    expect((await call(undefined, 'GET', `/api/shares/${token}`)).status).toBe(302);

    expect((await carol.delete(`/api/shares/${token}`)).status).toBe(204);
    expect((await carol.delete(`/api/folders/${folder}?recursive=true`)).body).toMatchObject({ deleted: [folder], deletedFiles: [file] });
    expectError(await carol.get(`/api/files/${file}`), 404, 'NOT_FOUND');
  });

  test('a member may not recursively delete their folder when it holds another member\'s file: 403, nothing changed', async () => {
    const folder = await createFolder(carol, 'Carol shared folder');
    const { id: erins } = await upload(erin, { name: 'erin.txt', folderId: folder }, textBytes('erin wrote this'), 'text/plain');
    const before = await snapshot('tenant-a');
    expectError(await carol.delete(`/api/folders/${folder}?recursive=true`), 403, 'FORBIDDEN', /belong to other users/);
    expect(await snapshot('tenant-a')).toEqual(before);
    expect((await erin.delete(`/api/files/${erins}`)).status).toBe(200);
    expect((await carol.delete(`/api/folders/${folder}`)).status).toBe(200);
  });

  test('an admin may delete a member\'s file and folder and revoke their link', async () => {
    const { folder, file, token } = await carolsThings('admin');
    expect((await alice.delete(`/api/shares/${token}`)).status).toBe(204);
    expectError(await call(undefined, 'GET', `/api/shares/${token}`), 404, 'NOT_FOUND');
    expect((await alice.delete(`/api/files/${file}`)).status).toBe(200);
    expect((await alice.delete(`/api/folders/${folder}`)).status).toBe(200);
    await local.idle();
    expect((await objects('tenant-a')).filter((o) => o.includes(file))).toEqual([]);
  });

  test('a member shares for a week at most, an admin for 30 days', async () => {
    const { id: file } = await upload(carol, { name: 'carol-lifetime.txt' }, textBytes('how long may this be shared'), 'text/plain');
    const before = await snapshot('tenant-a');
    expectError(await carol.post('/api/shares', { fileId: file, expiresInHours: 169 }), 400, 'VALIDATION_FAILED', /at most 168 hours for members/);
    expect(await snapshot('tenant-a')).toEqual(before);
    expect((await carol.post('/api/shares', { fileId: file, expiresInHours: 168 })).status).toBe(201);
    expect((await alice.post('/api/shares', { fileId: file, expiresInHours: 720 })).status).toBe(201);
    expect((await carol.delete(`/api/files/${file}`)).status).toBe(200);
  });
});

/** True when `attack` is a request for `route` (so the table cannot drift from ROUTES). */
function matchesRoute(route: RouteDefinition, attack: { method: string; path: string }): boolean {
  const pattern = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return attack.method === route.method && pattern.test(attack.path.split('?')[0]);
}

// Last: nothing that ran after a response (processing, queued messages) failed along the way.
test('no background work failed', async () => {
  await local.idle();
  expect(local.backgroundFailures).toEqual([]);
  expect(localLog.filter((line) => /failed/.test(line))).toEqual([]);
});
