import '../../../kit/test/handler-env';
import { BrokenCircuitError } from 'cockatiel';
import { MalformedPageError } from '../../handlers/lib/patchwork';
import { TaskCancelledError, TransientHttpError } from '../../handlers/lib/resilient-http';
import { handler, resetHttpClient } from '../../handlers/patch-fetcher.lambda';
import { LONE_PATCH, page, SERIES_PATCHES } from '../fixtures/patchwork';
import { FixtureServer, startFixtureServer } from '../support/fixture-server';
import { startTrackerTables, TrackerTables } from '../support/tables';

let server: FixtureServer;
let tables: TrackerTables;
let patchesTable: string;

/** Requests the fixture Patchwork got for page `n`. */
const hits = (n: number) => server.log.filter((l) => new URL(l, server.url).searchParams.get('page') === String(n));
const pageUrl = (n: number) => `/api/1.3/patches/?project=netdevbpf&order=-date&per_page=2&page=${n}`;

beforeAll(async () => {
  [server, tables] = await Promise.all([startFixtureServer(), startTrackerTables()]);
  Object.assign(process.env, {
    PATCHWORK_URL: server.url,
    PATCHWORK_PROJECTS: 'netdevbpf',
    PER_PAGE: '2',
    MAX_PAGES_FULL: '10',
    // Short waits so the retries and timeouts of a run take milliseconds, not minutes.
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
  ({ patches: patchesTable } = await tables.fresh());
});

function serveTwoPages() {
  server.on(pageUrl(1), { status: 200, ...page(SERIES_PATCHES, { next: `${server.url}${pageUrl(2)}` }) });
  server.on(pageUrl(2), { status: 200, ...page([LONE_PATCH], { prev: `${server.url}${pageUrl(1)}` }) });
}

describe('patch fetcher against the fixture Patchwork', () => {
  test('a full run follows the Link header through every page and stores each patch once', async () => {
    serveTwoPages();
    const result = await handler({ mode: 'full' });
    expect(result).toEqual({ mode: 'full', projects: ['netdevbpf'], pages: 2, patches: 3, truncated: false });
    const items = (await tables.items(patchesTable)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(items.map((i) => i.id)).toEqual(['13640000', '13650001', '13650002']);
    expect(items[1]).toMatchObject({
      name: '[net-next,v2,1/2] net: foo: add bar',
      msgid: '20240501120000.1234-2-alice@example.org',
      date: '2024-05-01T12:00:01.000Z',
      state: 'new',
      project: 'netdevbpf',
      submitterEmail: 'alice@example.org',
      seriesId: '850001',
      seriesVersion: 2,
      seriesPosition: 1,
      seriesTotal: 2,
    });
    // The lone patch: no series (sparse SeriesIndex), submitter address in lower case.
    expect(items[0]).toMatchObject({ state: 'accepted', submitterEmail: 'bob@example.com' });
    expect(items[0].seriesId).toBeUndefined();
  });

  test('running again changes nothing (puts are idempotent)', async () => {
    serveTwoPages();
    await handler({ mode: 'full' });
    const first = await tables.items(patchesTable);
    resetHttpClient();
    await handler({ mode: 'full' });
    expect(await tables.items(patchesTable)).toEqual(first);
  });

  test('a recent run asks for the patches since the window start', async () => {
    process.env.RECENT_WINDOW_HOURS = '2';
    const before = Date.now();
    await expect(handler({ mode: 'recent' })).rejects.toThrow(); // no fixture for that URL: 404
    const asked = new URL(server.log[0], server.url);
    expect(asked.searchParams.get('project')).toBe('netdevbpf');
    const since = Date.parse(asked.searchParams.get('since')!);
    expect(before - since).toBeGreaterThanOrEqual(2 * 3_600_000 - 1000);
    expect(before - since).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);
  });

  test('a short 5xx burst is retried with backoff and the run succeeds', async () => {
    serveTwoPages();
    server.on(pageUrl(2), { status: 503 }, { status: 502 }, { status: 200, ...page([LONE_PATCH]) });
    const result = await handler({ mode: 'full' });
    expect(result.patches).toBe(3);
    expect(hits(2)).toHaveLength(3);
  });

  test('a 5xx burst longer than the retries opens the circuit: the run fails, nothing is written, the next run fails fast', async () => {
    server.on(pageUrl(1), { status: 200, ...page(SERIES_PATCHES, { next: `${server.url}${pageUrl(2)}` }) });
    server.on(pageUrl(2), { status: 503 });
    await expect(handler({ mode: 'full' })).rejects.toThrow(TransientHttpError);
    expect(hits(2)).toHaveLength(3); // one attempt and two retries
    // Page 1 was valid, but the run failed: its patches are not written (no half runs).
    expect(await tables.items(patchesTable)).toEqual([]);

    // Patchwork stays down: the second failed request in a row opens the breaker (threshold 2).
    server.on(pageUrl(1), { status: 500 });
    await expect(handler({ mode: 'full' })).rejects.toThrow(TransientHttpError);
    const requestsBefore = server.log.length;
    // While open, a run fails without calling Patchwork at all (Lambda then parks the event in the DLQ).
    await expect(handler({ mode: 'full' })).rejects.toThrow(BrokenCircuitError);
    expect(server.log.length).toBe(requestsBefore);
    expect(await tables.items(patchesTable)).toEqual([]);
  });

  test('a page that never answers times out per attempt and fails the run', async () => {
    server.on(pageUrl(1), { hang: true });
    await expect(handler({ mode: 'full' })).rejects.toThrow(TaskCancelledError);
    expect(hits(1)).toHaveLength(3);
    expect(await tables.items(patchesTable)).toEqual([]);
  });

  test.each([
    ['not JSON', '<html><body>502 Bad Gateway</body></html>', 'not JSON'],
    ['an object instead of the array', JSON.stringify({ detail: 'Invalid page.' }), 'expected array'],
    ['a patch without msgid', JSON.stringify([{ ...JSON.parse(page([LONE_PATCH]).body)[0], msgid: undefined }]), '0.msgid'],
    ['a state outside Patchwork\'s slugs', JSON.stringify([{ ...JSON.parse(page([LONE_PATCH]).body)[0], state: 'DROP TABLE' }]), '0.state'],
  ])('a malformed page (%s) fails the run without retrying and writes nothing', async (_name, body, message) => {
    server.on(pageUrl(1), { status: 200, ...page(SERIES_PATCHES, { next: `${server.url}${pageUrl(2)}` }) });
    server.on(pageUrl(2), { status: 200, headers: { 'content-type': 'application/json' }, body });
    const run = handler({ mode: 'full' });
    await expect(run).rejects.toThrow(MalformedPageError);
    await expect(run).rejects.toThrow(message);
    expect(hits(2)).toHaveLength(1);
    expect(await tables.items(patchesTable)).toEqual([]);
  });

  test('a next link to another host is refused', async () => {
    server.on(pageUrl(1), { status: 200, ...page(SERIES_PATCHES, { next: 'https://evil.example/api/1.3/patches/?page=2' }) });
    await expect(handler({ mode: 'full' })).rejects.toThrow('next link leaves');
    expect(await tables.items(patchesTable)).toEqual([]);
  });

  test('a bad event is refused before any request', async () => {
    await expect(handler({ mode: 'everything' })).rejects.toThrow();
    await expect(handler({ mode: 'full', project: '../../etc' })).rejects.toThrow();
    expect(server.log).toEqual([]);
  });
});
