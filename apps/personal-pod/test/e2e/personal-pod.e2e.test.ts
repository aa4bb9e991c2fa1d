import '../../../kit/test/handler-env';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { LocalPersonalPod, startLocalPersonalPod } from '../../local/local-personal-pod';

// End to end over HTTP and WebSocket in local mode: the real handlers, Postgres with the
// migrations, the SNS fake and the SQS emulator feeding the indexer, the OpenSearch fake, the S3
// emulator and the attachment processor on its uploads. Two users, A and B.
let local: LocalPersonalPod;
const tokens: Record<string, string> = {};
const USERS = {
  a: { sub: 'user-a', email: 'a@example.com' },
  b: { sub: 'user-b', email: 'b@example.com' },
};
type User = keyof typeof USERS;

beforeAll(async () => {
  local = await startLocalPersonalPod({ logErrors: process.env.PERSONAL_POD_LOG_ERRORS === 'true' });
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

const create = (user: User, entry: Record<string, unknown> = {}) =>
  call(user, 'POST', '/api/entries', { title: 'A day', body: 'Nothing happened', ...entry });

/** A WebSocket client that collects the messages it receives. */
async function connect(user: User) {
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
  const close = () => new Promise<void>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close();
  });
  return { socket, messages, next, close };
}

describe('entries', () => {
  test('create, read, list, update (a new version each time), versions, delete', async () => {
    const created = await create('a', { title: 'First walk', body: 'By the sea', tags: ['Sea', 'walk', 'sea'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'First walk', body: 'By the sea', tags: ['sea', 'walk'], version: 1, categoryId: null, lock: null });
    const id = created.body.id;
    expect(await call('a', 'GET', `/api/entries/${id}`)).toEqual({ status: 200, body: created.body });

    const updated = await call('a', 'PUT', `/api/entries/${id}`, { body: 'By the grey sea', tags: ['sea'], expectedVersion: 1 });
    expect(updated).toMatchObject({ status: 200, body: { title: 'First walk', body: 'By the grey sea', tags: ['sea'], version: 2 } });
    // A retry of the same change is a no-op: still version 2.
    expect((await call('a', 'PUT', `/api/entries/${id}`, { body: 'By the grey sea', tags: ['sea'], expectedVersion: 1 })).body.version).toBe(2);

    const versions = await call('a', 'GET', `/api/entries/${id}/versions`);
    expect(versions.body.items.map((v: any) => [v.version, v.body, v.tags])).toEqual([[2, 'By the grey sea', ['sea']], [1, 'By the sea', ['sea', 'walk']]]);
    expect((await call('a', 'GET', '/api/entries?tag=sea')).body.items.map((e: any) => e.id)).toContain(id);
    expect((await call('a', 'GET', '/api/entries?tag=walk')).body.items.map((e: any) => e.id)).not.toContain(id);

    expect((await call('a', 'DELETE', `/api/entries/${id}`)).status).toBe(204);
    expect((await call('a', 'GET', `/api/entries/${id}`)).status).toBe(404);
    expect((await call('a', 'GET', `/api/entries/${id}/versions`)).status).toBe(404);
  });

  test('a retried create with the same Idempotency-Key returns the first entry', async () => {
    const first = await call('a', 'POST', '/api/entries', { title: 'Once', body: 'only' }, { 'Idempotency-Key': 'entry-key-0001' });
    const second = await call('a', 'POST', '/api/entries', { title: 'Once', body: 'only' }, { 'Idempotency-Key': 'entry-key-0001' });
    expect(first.status).toBe(201);
    expect(second).toEqual({ status: 200, body: first.body });
  });

  test('a stale version is refused (409) and nothing changes', async () => {
    const { body: entry } = await create('a');
    await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'Second thoughts', expectedVersion: 1 });
    const stale = await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'Lost update', expectedVersion: 1 });
    expect(stale.status).toBe(409);
    expect((await call('a', 'GET', `/api/entries/${entry.id}`)).body).toMatchObject({ title: 'Second thoughts', version: 2 });
  });

  test('a lock keeps other clients out (423) until released; the holder edits', async () => {
    const { body: entry } = await create('a');
    const lock = await call('a', 'POST', `/api/entries/${entry.id}/lock`, { clientId: 'laptop' });
    expect(lock.status).toBe(200);
    expect(lock.body.lock).toMatchObject({ clientId: 'laptop' });
    expect((await call('a', 'POST', `/api/entries/${entry.id}/lock`, { clientId: 'phone' })).status).toBe(423);
    expect((await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'From the phone', expectedVersion: 1, clientId: 'phone' })).status).toBe(423);
    expect((await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'No client', expectedVersion: 1 })).status).toBe(423);
    expect((await call('a', 'DELETE', `/api/entries/${entry.id}?clientId=phone`)).status).toBe(423);
    expect((await call('a', 'DELETE', `/api/entries/${entry.id}/lock?clientId=phone`)).status).toBe(423);
    const edited = await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'From the laptop', expectedVersion: 1, clientId: 'laptop' });
    expect(edited.body).toMatchObject({ title: 'From the laptop', version: 2 });
    const released = await call('a', 'DELETE', `/api/entries/${entry.id}/lock?clientId=laptop`);
    expect(released.body.lock).toBeNull();
    expect((await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'From the phone', expectedVersion: 2, clientId: 'phone' })).body.version).toBe(3);
  });

  test('another user\'s entry does not exist (404): read, change, lock, versions, delete', async () => {
    const { body: entry } = await create('a', { title: 'Private' });
    for (const [method, path, body] of [
      ['GET', `/api/entries/${entry.id}`],
      ['PUT', `/api/entries/${entry.id}`, { title: 'Hijacked', expectedVersion: 1 }],
      ['GET', `/api/entries/${entry.id}/versions`],
      ['POST', `/api/entries/${entry.id}/lock`, { clientId: 'intruder' }],
      ['DELETE', `/api/entries/${entry.id}/lock?clientId=intruder`],
      ['DELETE', `/api/entries/${entry.id}`],
    ] as const) {
      expect([method, path, (await call('b', method, path, body)).status]).toEqual([method, path, 404]);
    }
    expect((await call('b', 'GET', '/api/entries')).body.items.map((e: any) => e.id)).not.toContain(entry.id);
    expect((await call('a', 'GET', `/api/entries/${entry.id}`)).body).toEqual(entry);
  });

  test('bad input is refused (4xx) and nothing changes', async () => {
    const { body: entry } = await create('a');
    const before = await call('a', 'GET', '/api/entries?limit=100');
    for (const body of [{}, { title: '', body: 'x' }, { title: 'x', body: 'y', extra: 1 }, { title: 'x'.repeat(201), body: 'y' }, { title: 'x', body: 'y', tags: ['no spaces'] }, 'not json']) {
      expect((await call('a', 'POST', '/api/entries', body)).status).toBe(400);
    }
    expect((await call('a', 'POST', '/api/entries', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call('a', 'POST', '/api/entries', { title: 'x', body: 'y', categoryId: '6f1c1b0e-0000-4000-8000-000000000000' })).status).toBe(400);
    expect((await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'No version' })).status).toBe(400);
    expect((await call('a', 'POST', `/api/entries/${entry.id}/lock`, { clientId: 'bad id!' })).status).toBe(400);
    expect((await call('a', 'DELETE', `/api/entries/${entry.id}/lock`)).status).toBe(400);
    expect((await call('a', 'GET', '/api/entries?limit=0')).status).toBe(400);
    expect((await call('a', 'GET', '/api/entries/not-a-uuid')).status).toBe(404);
    expect((await call(undefined, 'GET', '/api/entries')).status).toBe(401);
    expect((await call('a', 'GET', '/api/entries?limit=100')).body).toEqual(before.body);
    expect((await call('a', 'GET', `/api/entries/${entry.id}`)).body).toEqual(entry);
  });
});

describe('categories', () => {
  test('a tree: create, nest, move with the subtree, refuse a cycle, delete', async () => {
    const journal = (await call('a', 'POST', '/api/categories', { name: 'Journal' })).body;
    const travel = (await call('a', 'POST', '/api/categories', { name: 'Travel', parentId: journal.id })).body;
    const italy = (await call('a', 'POST', '/api/categories', { name: 'Italy', parentId: travel.id })).body;
    let tree = (await call('a', 'GET', '/api/categories')).body.items;
    expect(tree.find((c: any) => c.id === journal.id).children[0]).toMatchObject({ id: travel.id, children: [{ id: italy.id, children: [] }] });

    const moved = await call('a', 'PUT', `/api/categories/${travel.id}/move`, { parentId: null });
    expect(moved).toMatchObject({ status: 200, body: { id: travel.id, parentId: null } });
    tree = (await call('a', 'GET', '/api/categories')).body.items;
    expect(tree.find((c: any) => c.id === travel.id).children.map((c: any) => c.id)).toEqual([italy.id]);
    expect(tree.find((c: any) => c.id === journal.id).children).toEqual([]);

    // Into its own subtree: a cycle. Nothing changes.
    expect((await call('a', 'PUT', `/api/categories/${travel.id}/move`, { parentId: italy.id })).status).toBe(400);
    expect((await call('a', 'PUT', `/api/categories/${travel.id}/move`, { parentId: travel.id })).status).toBe(400);
    expect((await call('a', 'GET', '/api/categories')).body.items).toEqual(tree);
    // A sibling with the same name: 409.
    expect((await call('a', 'POST', '/api/categories', { name: 'italy', parentId: travel.id })).status).toBe(409);
    // Entries keep existing when their category goes; a category with children cannot go.
    const entry = (await create('a', { categoryId: italy.id })).body;
    expect(entry.categoryId).toBe(italy.id);
    expect((await call('a', 'DELETE', `/api/categories/${travel.id}`)).status).toBe(409);
    expect((await call('a', 'DELETE', `/api/categories/${italy.id}`)).status).toBe(204);
    expect((await call('a', 'GET', `/api/entries/${entry.id}`)).body.categoryId).toBeNull();
  });

  test('another user\'s category does not exist: 404 to move or delete, 400 as a parent or an entry\'s category', async () => {
    const own = (await call('a', 'POST', '/api/categories', { name: 'Mine' })).body;
    const theirs = (await call('b', 'POST', '/api/categories', { name: 'Theirs' })).body;
    expect((await call('b', 'PUT', `/api/categories/${own.id}/move`, { parentId: null })).status).toBe(404);
    expect((await call('b', 'DELETE', `/api/categories/${own.id}`)).status).toBe(404);
    expect((await call('b', 'POST', '/api/categories', { name: 'Child', parentId: own.id })).status).toBe(400);
    expect((await call('b', 'PUT', `/api/categories/${theirs.id}/move`, { parentId: own.id })).status).toBe(400);
    expect((await call('b', 'POST', '/api/entries', { title: 't', body: 'b', categoryId: own.id })).status).toBe(400);
    expect((await call('b', 'GET', '/api/categories')).body.items.map((c: any) => c.id)).not.toContain(own.id);
    expect((await call('a', 'GET', '/api/categories')).body.items.find((c: any) => c.id === own.id)).toMatchObject({ name: 'Mine', parentId: null });
  });

  test('bad input is refused (400)', async () => {
    const before = (await call('a', 'GET', '/api/categories')).body;
    expect((await call('a', 'POST', '/api/categories', { name: '' })).status).toBe(400);
    expect((await call('a', 'POST', '/api/categories', { name: 'x', parentId: 'nope' })).status).toBe(400);
    expect((await call('a', 'PUT', `/api/categories/${before.items[0]?.id ?? '6f1c1b0e-0000-4000-8000-000000000000'}/move`, {})).status).toBe(400);
    expect((await call('a', 'GET', '/api/categories')).body).toEqual(before);
  });
});

describe('tags', () => {
  test('popular counts the user\'s tags; suggest completes a prefix; neither shows another user\'s', async () => {
    await create('a', { tags: ['gardening', 'garden'] });
    await create('a', { tags: ['garden'] });
    await create('a', { tags: ['garden', 'gym'] });
    await create('b', { tags: ['gardenparty', 'garden', 'garden-b'] });
    const popular = (await call('a', 'GET', '/api/tags/popular?limit=100')).body.items;
    expect(popular[0]).toEqual({ tag: 'garden', count: 3 });
    expect(popular.map((t: any) => t.tag)).not.toContain('gardenparty');
    const suggest = (await call('a', 'GET', '/api/tags/suggest?prefix=Gar')).body.items;
    expect(suggest).toEqual([{ tag: 'garden', count: 3 }, { tag: 'gardening', count: 1 }]);
    expect((await call('a', 'GET', '/api/tags/suggest?prefix=g_')).body.items).toEqual([]);
  });

  test('bad input is refused (400)', async () => {
    expect((await call('a', 'GET', '/api/tags/suggest')).status).toBe(400);
    expect((await call('a', 'GET', '/api/tags/suggest?prefix=a%25')).status).toBe(400);
    expect((await call('a', 'GET', '/api/tags/popular?limit=1000')).status).toBe(400);
  });
});

describe('search (indexed asynchronously through the queue)', () => {
  test('finds the user\'s entries by text, filters by tag, category and date, with facets', async () => {
    const category = (await call('a', 'POST', '/api/categories', { name: 'Hikes' })).body;
    const hike = (await create('a', { title: 'Mountain hike', body: 'Snow on the ridge', tags: ['mountains', 'outdoor'], categoryId: category.id })).body;
    const swim = (await create('a', { title: 'Lake swim', body: 'Cold water, snow melt', tags: ['outdoor'] })).body;
    await create('b', { title: 'Snow day', body: 'Snow everywhere', tags: ['outdoor'] });
    await local.idle();

    const snow = (await call('a', 'GET', '/api/search?q=snow')).body;
    expect(snow.items.map((i: any) => i.id).sort()).toEqual([hike.id, swim.id].sort());
    expect(snow.total).toBe(2);
    expect(snow.facets.tags).toEqual(expect.arrayContaining([{ value: 'outdoor', count: 2 }, { value: 'mountains', count: 1 }]));
    expect(snow.facets.categories).toEqual([{ value: category.id, count: 1 }]);
    expect(snow.items.find((i: any) => i.id === hike.id).highlights.join()).toContain('<em>Snow</em>');

    expect((await call('a', 'GET', '/api/search?q=snow&tag=mountains')).body.items.map((i: any) => i.id)).toEqual([hike.id]);
    expect((await call('a', 'GET', `/api/search?q=snow&categoryId=${category.id}`)).body.items.map((i: any) => i.id)).toEqual([hike.id]);
    expect((await call('a', 'GET', '/api/search?q=snow&to=2000-01-01T00:00:00Z')).body.total).toBe(0);
    // Every query is filtered to the caller's documents.
    const last = local.search.requests.filter((r) => r.path.endsWith('/_search')).pop()!;
    expect((last.body as any).query.bool.filter[0]).toEqual({ term: { userId: 'user-a' } });
  });

  test('an update reindexes the entry; a delete removes it from the index', async () => {
    const entry = (await create('a', { title: 'Draft', body: 'quartz' })).body;
    await local.idle();
    expect((await call('a', 'GET', '/api/search?q=quartz')).body.items.map((i: any) => i.id)).toEqual([entry.id]);
    await call('a', 'PUT', `/api/entries/${entry.id}`, { body: 'feldspar', expectedVersion: 1 });
    await local.idle();
    expect((await call('a', 'GET', '/api/search?q=quartz')).body.total).toBe(0);
    expect((await call('a', 'GET', '/api/search?q=feldspar')).body.items.map((i: any) => i.id)).toEqual([entry.id]);
    expect(local.search.document('entries', entry.id)?.version).toBe(2);
    await call('a', 'DELETE', `/api/entries/${entry.id}`);
    await local.idle();
    expect(local.search.document('entries', entry.id)).toBeUndefined();
    expect((await call('a', 'GET', '/api/search?q=feldspar')).body.total).toBe(0);
  });

  test('another user finds nothing of A\'s; bad input is refused (400)', async () => {
    const entry = (await create('a', { title: 'Secret', body: 'obsidian' })).body;
    await local.idle();
    expect((await call('b', 'GET', '/api/search?q=obsidian')).body).toMatchObject({ total: 0, items: [] });
    expect((await call('a', 'GET', '/api/search?q=obsidian')).body.items.map((i: any) => i.id)).toEqual([entry.id]);
    expect((await call('a', 'GET', '/api/search?limit=500')).status).toBe(400);
    expect((await call('a', 'GET', '/api/search?from=yesterday')).status).toBe(400);
    expect((await call('a', 'GET', '/api/search?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z')).status).toBe(400);
    expect((await call('a', 'GET', '/api/search?q=x&unknown=1')).status).toBe(400);
  });
});

describe('real-time sync over WebSocket', () => {
  test('a change reaches every connected client of the user, and no client of another user', async () => {
    const [a1, a2, b1] = await Promise.all([connect('a'), connect('a'), connect('b')]);
    try {
      const entry = (await create('a', { title: 'Synced' })).body;
      const [m1, m2] = await Promise.all([
        a1.next((m) => m.type === 'entry.created' && m.entry.id === entry.id),
        a2.next((m) => m.type === 'entry.created' && m.entry.id === entry.id),
      ]);
      expect(m1.entry).toEqual(entry);
      expect(m2).toEqual(m1);
      await call('a', 'PUT', `/api/entries/${entry.id}`, { title: 'Synced again', expectedVersion: 1 });
      expect((await a2.next((m) => m.type === 'entry.updated' && m.entry.id === entry.id)).entry).toMatchObject({ title: 'Synced again', version: 2 });
      await call('a', 'POST', `/api/entries/${entry.id}/lock`, { clientId: 'tab-1' });
      expect((await a1.next((m) => m.type === 'entry.locked')).entry.lock.clientId).toBe('tab-1');
      await call('a', 'DELETE', `/api/entries/${entry.id}/lock?clientId=tab-1`);
      await call('a', 'DELETE', `/api/entries/${entry.id}`);
      expect(await a1.next((m) => m.type === 'entry.deleted')).toEqual({ type: 'entry.deleted', entry: { id: entry.id } });

      // B's client: a ping round trip after A's changes proves its connection works and that
      // nothing of A's arrived before it.
      b1.socket.send(JSON.stringify({ action: 'ping' }));
      await b1.next((m) => m.type === 'pong');
      expect(b1.messages.filter((m) => m.type !== 'pong')).toEqual([]);
    } finally {
      await Promise.all([a1.close(), a2.close(), b1.close()]);
    }
  });

  test('a connection without a valid token is refused at $connect', async () => {
    for (const url of [local.wsUrl, `${local.wsUrl}?token=forged.token.value`]) {
      const socket = new WebSocket(url);
      socket.on('error', () => undefined);
      const status = await new Promise<number | undefined>((resolve) => {
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        socket.once('open', () => resolve(undefined));
      });
      expect(status).toBe(401);
    }
  });
});

describe('attachments (signed S3 URLs; verified and thumbnailed after upload)', () => {
  const png = () => sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();
  const attachmentCount = async (entryId: string) => (await local.s3.client.send(new ListObjectsV2Command({ Bucket: local.env.FILES_BUCKET, Prefix: 'attachments/' })))
    .Contents?.filter((o) => o.Key!.includes(entryId)).length ?? 0;

  /** PUTs `bytes` to the signed URL with the headers the API asked for. */
  async function uploadTo(upload: { method: string; url: string; headers: Record<string, string> }, bytes: Buffer) {
    const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    expect(res.status).toBe(200);
  }

  test('upload -> processed -> download and thumbnail; the entry\'s notifications reach the index queue through the topic; delete', async () => {
    const a1 = await connect('a');
    try {
      const entry = (await create('a', { title: 'Holiday photo' })).body;
      const image = await png();
      const created = await call('a', 'POST', `/api/entries/${entry.id}/attachments`, { fileName: 'beach.png', contentType: 'image/png', size: image.length });
      expect(created.status).toBe(201);
      expect(created.body.attachment).toMatchObject({ entryId: entry.id, fileName: 'beach.png', status: 'PENDING', hasThumbnail: false });
      expect(created.body.upload.headers).toEqual({ 'content-type': 'image/png', 'content-length': String(image.length), 'if-none-match': '*' });
      const id = created.body.attachment.id;
      // Not downloadable before it is verified.
      expect((await call('a', 'GET', `/api/attachments/${id}`)).status).toBe(409);

      await uploadTo(created.body.upload, image);
      await local.idle();
      await a1.next((m) => m.type === 'attachment.available' && m.attachmentId === id);

      const listed = await call('a', 'GET', `/api/entries/${entry.id}/attachments`);
      expect(listed.body.items).toEqual([expect.objectContaining({ id, status: 'AVAILABLE', hasThumbnail: true, size: image.length })]);
      const download = await call('a', 'GET', `/api/attachments/${id}`);
      expect(download.status).toBe(200);
      expect(Buffer.from(await (await fetch(download.body.download.url)).arrayBuffer())).toEqual(image);
      const thumb = await call('a', 'GET', `/api/attachments/${id}/thumb`);
      expect(thumb.status).toBe(200);
      const thumbnail = Buffer.from(await (await fetch(thumb.body.thumbnail.url)).arrayBuffer());
      expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: 256, height: 192 });

      // Background jobs: both notifications went through the topic.
      const published = local.notifications.published.map((m) => JSON.parse(m));
      expect(published).toEqual(expect.arrayContaining([
        { type: 'entry.created', userId: 'user-a', entryId: entry.id },
        { type: 'attachment.available', userId: 'user-a', entryId: entry.id, attachmentId: id },
      ]));

      expect((await call('a', 'DELETE', `/api/attachments/${id}`)).status).toBe(204);
      expect((await call('a', 'GET', `/api/attachments/${id}`)).status).toBe(404);
      expect(await attachmentCount(entry.id)).toBe(0);
    } finally {
      await a1.close();
    }
  });

  test('bytes that are not what was declared are rejected (410 to download), never served', async () => {
    const entry = (await create('a')).body;
    const bytes = Buffer.from('%PDF-1.4 not an image at all');
    const created = await call('a', 'POST', `/api/entries/${entry.id}/attachments`, { fileName: 'x.png', contentType: 'image/png', size: bytes.length });
    await uploadTo(created.body.upload, bytes);
    await local.idle();
    const id = created.body.attachment.id;
    expect((await call('a', 'GET', `/api/entries/${entry.id}/attachments`)).body.items).toEqual([
      expect.objectContaining({ id, status: 'REJECTED', reason: 'the content is not image/png' }),
    ]);
    expect((await call('a', 'GET', `/api/attachments/${id}`)).status).toBe(410);
    expect(await attachmentCount(entry.id)).toBe(0);
  });

  test('another user\'s attachment and entry do not exist (404): create, list, download, thumbnail, delete', async () => {
    const entry = (await create('a')).body;
    const image = await png();
    const created = await call('a', 'POST', `/api/entries/${entry.id}/attachments`, { fileName: 'mine.png', contentType: 'image/png', size: image.length });
    await uploadTo(created.body.upload, image);
    await local.idle();
    const id = created.body.attachment.id;
    expect((await call('b', 'POST', `/api/entries/${entry.id}/attachments`, { fileName: 'x.png', contentType: 'image/png', size: 10 })).status).toBe(404);
    expect((await call('b', 'GET', `/api/entries/${entry.id}/attachments`)).status).toBe(404);
    for (const [method, path] of [['GET', `/api/attachments/${id}`], ['GET', `/api/attachments/${id}/thumb`], ['DELETE', `/api/attachments/${id}`]]) {
      expect((await call('b', method, path)).status).toBe(404);
    }
    expect((await call('a', 'GET', `/api/attachments/${id}`)).body.attachment.status).toBe('AVAILABLE');
  });

  test('bad input and oversize declarations are refused (4xx) and nothing is created', async () => {
    const entry = (await create('a')).body;
    const post = (body: unknown, headers?: Record<string, string>) => call('a', 'POST', `/api/entries/${entry.id}/attachments`, body, headers);
    expect((await post({ fileName: 'big.png', contentType: 'image/png', size: 10 * 1024 * 1024 + 1 })).status).toBe(400);
    expect((await post({ fileName: 'a.exe', contentType: 'application/x-msdownload', size: 100 })).status).toBe(400);
    expect((await post({ fileName: '../etc/passwd', contentType: 'image/png', size: 100 })).status).toBe(400);
    expect((await post({ fileName: 'a.png', contentType: 'image/png', size: 0 })).status).toBe(400);
    expect((await post({ fileName: 'a.png', contentType: 'image/png', size: 100, extra: true })).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await call('a', 'POST', '/api/entries/not-a-uuid/attachments', { fileName: 'a.png', contentType: 'image/png', size: 100 })).status).toBe(404);
    expect((await call('a', 'GET', '/api/attachments/not-a-uuid')).status).toBe(404);
    expect((await call(undefined, 'GET', `/api/entries/${entry.id}/attachments`)).status).toBe(401);
    expect((await call('a', 'GET', `/api/entries/${entry.id}/attachments`)).body.items).toEqual([]);
  });
});
