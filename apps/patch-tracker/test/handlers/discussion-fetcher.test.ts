import '../../../kit/test/handler-env';
import { readFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { BrokenCircuitError } from 'cockatiel';
import { handler, resetHttpClient } from '../../handlers/discussion-fetcher.lambda';
import { MalformedThreadError } from '../../handlers/lib/lore';
import { patchItem } from '../../handlers/lib/patch-items';
import { patchworkPatch } from '../../handlers/lib/patchwork';
import { TransientHttpError } from '../../handlers/lib/resilient-http';
import { LONE_PATCH, PatchFixture, patchJson, SERIES_PATCHES } from '../fixtures/patchwork';
import { FixtureServer, startFixtureServer } from '../support/fixture-server';
import { startTrackerTables, TrackerTables } from '../support/tables';

let server: FixtureServer;
let tables: TrackerTables;
let names: { patches: string; discussions: string };

/** A second, older active series: its thread is fetched after the good one, and misbehaves in the failure tests. */
const OTHER: PatchFixture = { id: 13630001, name: '[v1,1/1] mm: other change', msgid: '<other-1@example.com>', date: '2024-04-29T10:00:00', series: { id: 860001, name: 'mm: other change', version: 1 } };
const thread = gzipSync(readFileSync(path.join(__dirname, '..', 'fixtures', 'thread.mbox')));
const threadPath = (p: PatchFixture) => `/all/${encodeURIComponent(p.msgid.replace(/^<|>$/g, ''))}/t.mbox.gz`;
const gz = { 'content-type': 'application/gzip' };

async function storePatches(patches: PatchFixture[]) {
  const items = patches.map((p) => patchItem(patchworkPatch.parse(patchJson(p))));
  await tables.doc.send(new BatchWriteCommand({ RequestItems: { [names.patches]: items.map((Item) => ({ PutRequest: { Item } })) } }));
}

function serveSeriesThread() {
  for (const p of SERIES_PATCHES) server.on(threadPath(p), { headers: gz, body: thread });
}

beforeAll(async () => {
  [server, tables] = await Promise.all([startFixtureServer(), startTrackerTables()]);
  Object.assign(process.env, {
    LORE_URL: server.url,
    DISCUSSION_WINDOW_DAYS: '100000', // the fixtures are from 2024
    MAX_THREADS: '10',
    HTTP_ATTEMPT_TIMEOUT_MS: '300',
    HTTP_MAX_ATTEMPTS: '3',
    HTTP_BACKOFF_INITIAL_MS: '1',
    HTTP_BACKOFF_MAX_MS: '5',
    HTTP_BREAKER_THRESHOLD: '2',
    HTTP_BREAKER_HALF_OPEN_MS: '600000',
  });
});
afterAll(async () => {
  await Promise.all([server?.close(), tables?.stop()]);
});
beforeEach(async () => {
  server.reset();
  resetHttpClient();
  names = await tables.fresh();
  await storePatches([...SERIES_PATCHES, LONE_PATCH, OTHER]);
});

describe('discussion fetcher against the fixture lore', () => {
  test('fetches each active series\' thread once and stores every message with its thread and patch', async () => {
    serveSeriesThread();
    server.on(threadPath(OTHER), { status: 404, body: 'not found' });
    const result = await handler({ mode: 'weekly' });
    // The accepted lone patch is not active; OTHER's thread is not on lore (404: skipped, counted).
    expect(result).toEqual({ patches: 3, threads: 2, missingThreads: 1, messages: 7, matched: 5 });
    expect(server.log.filter((l) => l.startsWith('/all/'))).toHaveLength(2);
    const items = await tables.items(names.discussions);
    expect(items).toHaveLength(7);
    expect(items.find((i) => i.id === 'ZjM1reply1@kernel.org')).toMatchObject({
      timestamp: '2024-05-02T06:15:00.000Z',
      threadId: '20240501120000.1234-1-alice@example.org',
      patchId: '13650001',
      authorEmail: 'carol@kernel.org',
    });
    // The cover letter has no patch: it stays out of the sparse PatchIndex.
    expect(items.find((i) => i.id === '20240501120000.1234-1-alice@example.org')!.patchId).toBeUndefined();
  });

  test('running again changes nothing (puts keyed by Message-ID and Date)', async () => {
    serveSeriesThread();
    server.on(threadPath(OTHER), { status: 404 });
    await handler({ mode: 'weekly' });
    const first = await tables.items(names.discussions);
    await handler({ mode: 'weekly' });
    expect(await tables.items(names.discussions)).toEqual(first);
  });

  test('a thread that keeps failing fails the run with nothing written, and the breaker opens', async () => {
    serveSeriesThread();
    server.on(threadPath(OTHER), { status: 503 });
    await expect(handler({ mode: 'weekly' })).rejects.toThrow(TransientHttpError);
    // The good thread was fetched first, but the run failed: it is not written either.
    expect(server.log[0]).toBe(threadPath(SERIES_PATCHES[0]));
    expect(await tables.items(names.discussions)).toEqual([]);
    server.on(threadPath(SERIES_PATCHES[0]), { status: 500 });
    server.on(threadPath(SERIES_PATCHES[1]), { status: 500 });
    await expect(handler({ mode: 'weekly' })).rejects.toThrow(TransientHttpError);
    const before = server.log.length;
    await expect(handler({ mode: 'weekly' })).rejects.toThrow(BrokenCircuitError);
    expect(server.log.length).toBe(before);
    expect(await tables.items(names.discussions)).toEqual([]);
  });

  test.each([
    ['broken gzip', { headers: gz, body: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]) }, 'bad gzip'],
    ['an HTML page instead of an mbox', { headers: { 'content-type': 'text/html' }, body: '<html>Loading...</html>' }, 'not an mbox'],
    ['a message without Message-ID', { headers: gz, body: gzipSync(readFileSync(path.join(__dirname, '..', 'fixtures', 'thread-malformed.mbox'))) }, 'malformed message'],
  ])('a malformed thread (%s) fails the run without retrying and writes nothing', async (_name, response, message) => {
    serveSeriesThread();
    server.on(threadPath(OTHER), response);
    const run = handler({ mode: 'weekly' });
    await expect(run).rejects.toThrow(MalformedThreadError);
    await expect(run).rejects.toThrow(message);
    expect(server.log).toEqual([threadPath(SERIES_PATCHES[0]), threadPath(OTHER)]);
    expect(await tables.items(names.discussions)).toEqual([]);
  });

  test('a bad event is refused before any request', async () => {
    await expect(handler({ mode: 'daily' })).rejects.toThrow();
    await expect(handler({ mode: 'weekly', states: ['NEW; DROP'] })).rejects.toThrow();
    expect(server.log).toEqual([]);
  });
});
