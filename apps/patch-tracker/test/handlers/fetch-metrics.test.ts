import '../support/emf-env';
import '../../../kit/test/handler-env';
import { handler, resetHttpClient } from '../../handlers/patch-fetcher.lambda';
import { LONE_PATCH, page, SERIES_PATCHES } from '../fixtures/patchwork';
import { FixtureServer, startFixtureServer } from '../support/fixture-server';
import { startTrackerTables, TrackerTables } from '../support/tables';

let server: FixtureServer;
let tables: TrackerTables;
const pageUrl = (n: number) => `/api/1.3/patches/?project=netdevbpf&order=-date&per_page=100&page=${n}`;

/** The EMF documents written to stdout during `run`. */
async function emf(run: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => { lines.push(String(line)); });
  try {
    await run().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter((d) => d?._aws?.CloudWatchMetrics);
}

beforeAll(async () => {
  [server, tables] = await Promise.all([startFixtureServer(), startTrackerTables()]);
  Object.assign(process.env, {
    PATCHWORK_URL: server.url,
    PATCHWORK_PROJECTS: 'netdevbpf',
    HTTP_MAX_ATTEMPTS: '2',
    HTTP_BACKOFF_INITIAL_MS: '1',
    HTTP_BREAKER_THRESHOLD: '1',
  });
  await tables.fresh();
});
afterAll(async () => {
  await Promise.all([server?.close(), tables?.stop()]);
});

test('a run publishes one EMF document with its counts, by service and mode', async () => {
  resetHttpClient();
  server.on(pageUrl(1), page([...SERIES_PATCHES, LONE_PATCH]));
  const [doc] = await emf(() => handler({ mode: 'full' }));
  expect(doc._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'PatchTracker', Dimensions: [expect.arrayContaining(['service', 'mode'])] });
  expect(doc).toMatchObject({ service: 'patch-fetcher', mode: 'full', PagesFetched: 1, PatchesWritten: 3, FetchSucceeded: 1 });
  expect(doc.FetchDuration).toBeGreaterThanOrEqual(0);
});

test('a failed run counts the failure and the open circuit', async () => {
  resetHttpClient();
  server.on(pageUrl(1), { status: 503 });
  const [doc] = await emf(() => handler({ mode: 'full' }));
  expect(doc).toMatchObject({ mode: 'full', FetchFailed: 1, CircuitOpen: 1 });
  expect(doc.PatchesWritten).toBeUndefined();
});
