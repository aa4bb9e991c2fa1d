/**
 * End to end over HTTP in local mode: the real fetchers fill DynamoDB Local from the fixture
 * Patchwork and lore (loopback), then the read API is exercised through the API Gateway stand-in
 * with dev tokens: happy paths, pagination, unknown ids (404), bad input (4xx, nothing changes),
 * no or bad token (401).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DevTokens } from '../../../kit/local/dev-tokens';
import { LocalPatchTracker, startLocalPatchTracker } from '../../local/local-patch-tracker';
import { LONE_PATCH, page, SERIES_PATCHES } from '../fixtures/patchwork';
import { FixtureServer, startFixtureServer } from '../support/fixture-server';

let fixtures: FixtureServer;
let local: LocalPatchTracker;
let token: string;

const threadPath = (msgid: string) => `/all/${encodeURIComponent(msgid.replace(/^<|>$/g, ''))}/t.mbox.gz`;

/** GET with a dev token (`auth`, default the reader's; '' sends none). */
async function get(pathAndQuery: string, auth: string = token): Promise<{ status: number; body: any }> {
  const res = await fetch(`${local.url}${pathAndQuery}`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
  return { status: res.status, body: await res.json() };
}

async function scanAll(): Promise<unknown[]> {
  const tables = [local.tables.patches, local.tables.discussions];
  const scans = await Promise.all(tables.map((t) => local.documentClient.send(new ScanCommand({ TableName: t }))));
  return scans.flatMap((s) => s.Items ?? []);
}

beforeAll(async () => {
  fixtures = await startFixtureServer();
  local = await startLocalPatchTracker({
    patchworkUrl: fixtures.url,
    loreUrl: fixtures.url,
    // Fixture dates are from 2024: a window wide enough to include them; short HTTP waits.
    environment: { PER_PAGE: '2', DISCUSSION_WINDOW_DAYS: '100000', HTTP_ATTEMPT_TIMEOUT_MS: '2000', HTTP_BACKOFF_INITIAL_MS: '1' },
  });
  const pageUrl = (n: number) => `/api/1.3/patches/?project=netdevbpf&order=-date&per_page=2&page=${n}`;
  fixtures.on(pageUrl(1), { ...page(SERIES_PATCHES, { next: `${fixtures.url}${pageUrl(2)}` }) });
  fixtures.on(pageUrl(2), { ...page([LONE_PATCH]) });
  const thread = gzipSync(readFileSync(path.join(__dirname, '..', 'fixtures', 'thread.mbox')));
  for (const p of SERIES_PATCHES) fixtures.on(threadPath(p.msgid), { headers: { 'content-type': 'application/gzip' }, body: thread });
  fixtures.on(threadPath(LONE_PATCH.msgid), { status: 404, body: 'not found' });

  expect(await local.runJob('patch-fetcher', { mode: 'full' })).toMatchObject({ patches: 3 });
  // The lone patch is accepted (not an active state): only the series' thread is fetched.
  expect(await local.runJob('discussion-fetcher')).toEqual({ patches: 2, threads: 1, missingThreads: 0, messages: 7, matched: 5 });
  token = local.tokenFor({ sub: 'reader-1', email: 'reader@example.org' });
});

afterAll(async () => {
  await local?.stop();
  await fixtures?.close();
});

describe('GET /api/patches', () => {
  test('by status, newest first, paginated with an opaque cursor', async () => {
    const first = await get('/api/patches?status=new&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.patches.map((p: any) => p.id)).toEqual(['13650002']);
    expect(typeof first.body.cursor).toBe('string');
    const second = await get(`/api/patches?status=new&limit=1&cursor=${first.body.cursor}`);
    expect(second.body.patches.map((p: any) => p.id)).toEqual(['13650001']);
    const third = await get(`/api/patches?status=new&limit=1&cursor=${second.body.cursor}`);
    expect(third.body).toEqual({ patches: [] });
  });

  test('by submitter (case-insensitive address) and by series', async () => {
    const bob = await get('/api/patches?submitter=BOB%40example.com');
    expect(bob.body.patches.map((p: any) => [p.id, p.state])).toEqual([['13640000', 'accepted']]);
    const series = await get('/api/patches?series=850001');
    expect(series.body.patches.map((p: any) => [p.id, p.seriesPosition])).toEqual([['13650002', 2], ['13650001', 1]]);
    expect((await get('/api/patches?status=superseded')).body).toEqual({ patches: [] });
  });

  test.each([
    ['no filter', '/api/patches', 'give exactly one of status, submitter and series'],
    ['two filters', '/api/patches?status=new&series=850001', 'give exactly one of status, submitter and series'],
    ['a bad status', '/api/patches?status=NEW%20OR%201=1', 'query.status'],
    ['a bad address', '/api/patches?submitter=not-an-address', 'query.submitter'],
    ['limit 0', '/api/patches?status=new&limit=0', 'query.limit'],
    ['limit 101', '/api/patches?status=new&limit=101', 'query.limit'],
    ['an unknown parameter', '/api/patches?status=new&state=new', 'state'],
    ['a forged cursor', `/api/patches?status=new&cursor=${Buffer.from('{"id":"1"}').toString('base64url')}`, 'cursor'],
    ['a cursor of another list', `/api/patches?status=new&cursor=${Buffer.from(JSON.stringify({ id: '13640000', state: 'accepted', date: '2024-04-30T09:00:00.000Z' })).toString('base64url')}`, 'cursor'],
  ])('%s is a 400 and changes nothing', async (_name, url, message) => {
    const before = await scanAll();
    const res = await get(url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.error.message).toContain(message);
    expect(await scanAll()).toEqual(before);
  });
});

describe('GET /api/patches/{id}', () => {
  test('the patch with its discussion, oldest message first', async () => {
    const res = await get('/api/patches/13650001');
    expect(res.status).toBe(200);
    expect(res.body.patch).toMatchObject({ id: '13650001', name: '[net-next,v2,1/2] net: foo: add bar', seriesId: '850001', submitterEmail: 'alice@example.org' });
    expect(res.body.discussions.map((d: any) => [d.id, d.authorEmail])).toEqual([
      ['20240501120000.1234-2-alice@example.org', 'alice@example.org'],
      ['ZjM1reply1@kernel.org', 'carol@kernel.org'],
      ['20240502090000.reply2@example.org', 'alice@example.org'],
    ]);
    expect(res.body.discussions[1].trailers).toEqual(['Reviewed-by: Carol Reviewer <carol@kernel.org>']);
    expect(res.body.discussionsTruncated).toBe(false);
  });

  test('a patch without discussion has an empty one', async () => {
    const res = await get('/api/patches/13640000');
    expect(res.body).toMatchObject({ patch: { id: '13640000' }, discussions: [] });
  });

  test('an unknown id is a 404', async () => {
    const res = await get('/api/patches/99999999');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: 'Patch 99999999 not found' });
  });

  test('an id that is not a Patchwork id is a 400', async () => {
    const res = await get('/api/patches/abc');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('path.id');
  });
});

describe('authentication', () => {
  test('no token or a forged one is a 401 from the gateway; the handlers never run', async () => {
    expect((await get('/api/patches?status=new', '')).status).toBe(401);
    const forged = new DevTokens({ secret: 'not-the-local-secret' }).issue({ sub: 'reader-1', email: 'reader@example.org' });
    expect((await get('/api/patches/13650001', forged)).status).toBe(401);
  });
});
