import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { randomUUID } from 'crypto';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { handler } from '../../handlers/analytics-aggregator.lambda';
import { handler as analyticsApi } from '../../handlers/analytics.lambda';
import { addDays, dayOf } from '../../handlers/lib/analytics';
import { activeTenantKey, analyticsEventSk, dailyKey, tenantPk } from '../../handlers/lib/keys';
import { metrics } from '../../handlers/lib/observability';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

let services: HandlerServices;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  services = await startHandlerServices();
  doc = services.doc;
}, 30_000);
afterAll(async () => services?.stop());

const run = (input: unknown) => handler(input, lambdaContext('analytics-aggregator'));

interface RawEvent {
  readonly type: string;
  readonly userId?: string;
  /** Bytes of padding, to make query pages fill up. */
  readonly padding?: number;
}

/** Raw events and the tenant-day marker, as the analytics API writes them. */
async function seed(tenantId: string, day: string, events: RawEvent[]): Promise<void> {
  await doc.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { ...activeTenantKey(day, tenantId), tenantId, day } }));
  const items = events.map((e, i) => {
    const id = randomUUID();
    const at = `${day}T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`;
    return { pk: tenantPk(tenantId), sk: analyticsEventSk(day, at, id), id, eventType: e.type, userId: e.userId, ...(e.padding ? { properties: { pad: 'x'.repeat(e.padding) } } : {}) };
  });
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    await doc.send(new BatchWriteCommand({ RequestItems: { [process.env.TABLE_NAME!]: batch } }));
  }
}

async function daily(tenantId: string, day: string): Promise<Record<string, any> | undefined> {
  return (await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: dailyKey(tenantId, day) }))).Item;
}

describe('input', () => {
  test.each([
    ['a day that is not a date', { day: 'yesterday' }, /Invalid aggregation input: input\.day: must be a date \(YYYY-MM-DD\)/],
    ['a day that does not exist', { day: '2026-02-29' }, /input\.day: must be a date/],
    ['an unknown field', { day: '2026-01-01', tenant: 'x' }, /Invalid aggregation input: input: Unrecognized key: "tenant"/],
    ['a non-object payload', '2026-01-01', /Invalid aggregation input: input: must be an object/],
  ])('%s is rejected', async (_case, input, message) => {
    await expect(run(input)).rejects.toThrow(message);
  });
});

describe('aggregation', () => {
  const DAY = '2026-01-10';

  test('per tenant: counts per type, distinct active users, event count; other days untouched', async () => {
    await seed('agg-a', DAY, [
      { type: 'login', userId: 'u1' },
      { type: 'login', userId: 'u2' },
      { type: 'file_viewed', userId: 'u1' },
      { type: 'file_viewed', userId: 'u1' },
      { type: 'share_opened' }, // anonymous: counts as an event, not as a user
    ]);
    await seed('agg-b', DAY, [{ type: 'search', userId: 'v1' }]);
    // Events of the next day (and a tenant active only then) are not part of DAY.
    await seed('agg-a', addDays(DAY, 1), [{ type: 'login', userId: 'u9' }]);
    await seed('agg-c', addDays(DAY, 1), [{ type: 'login', userId: 'w1' }]);

    const result = await run({ day: DAY });
    expect(result).toEqual({ days: [{ day: DAY, tenants: 2, eventCount: 6, activeUsers: 3 }] });

    expect(await daily('agg-a', DAY)).toEqual({
      ...dailyKey('agg-a', DAY),
      type: 'DAILY',
      day: DAY,
      events: { login: 2, file_viewed: 2, share_opened: 1 },
      activeUsers: 2,
      eventCount: 5,
      aggregatedAt: expect.any(String),
    });
    expect(await daily('agg-b', DAY)).toMatchObject({ events: { search: 1 }, activeUsers: 1, eventCount: 1 });
    expect(await daily('agg-c', DAY)).toBeUndefined();
    expect(await daily('agg-a', addDays(DAY, 1))).toBeUndefined();
  });

  test('a rerun overwrites with the same result (idempotent)', async () => {
    const first = await daily('agg-a', DAY);
    await run({ day: DAY });
    await run({ day: DAY });
    const again = await daily('agg-a', DAY);
    const { aggregatedAt: _a, ...firstCounts } = first!;
    const { aggregatedAt: _b, ...againCounts } = again!;
    expect(againCounts).toEqual(firstCounts);
  });

  test('a day without active tenants writes nothing and succeeds', async () => {
    expect(await run({ day: '2025-12-25' })).toEqual({ days: [{ day: '2025-12-25', tenants: 0, eventCount: 0, activeUsers: 0 }] });
  });

  test('reads every page of a tenant\'s events (more than one 1 MB query page)', async () => {
    const big = '2026-01-11';
    // 1,300 events of about 1 KB: DynamoDB pages at 1 MB, so the count needs two queries.
    await seed('agg-big', big, Array.from({ length: 1300 }, (_, i) => ({ type: i % 2 ? 'file_viewed' : 'search', userId: `user-${i % 37}`, padding: 1000 })));
    await run({ day: big });
    expect(await daily('agg-big', big)).toMatchObject({ events: { file_viewed: 650, search: 650 }, activeUsers: 37, eventCount: 1300 });
  }, 60_000);

  test('ActiveUsers metric: one data point for the run\'s day, summed over tenants', async () => {
    const day = '2026-01-12';
    await seed('m-a', day, [{ type: 'login', userId: 'a1' }, { type: 'login', userId: 'a2' }]);
    await seed('m-b', day, [{ type: 'login', userId: 'b1' }]);
    const addMetric = jest.spyOn(metrics, 'addMetric');
    try {
      await run({ day });
      expect(addMetric.mock.calls.filter(([name]) => name === 'ActiveUsers')).toEqual([['ActiveUsers', 'Count', 3]]);
    } finally {
      addMetric.mockRestore();
    }
  });
});

describe('the daily run (no input)', () => {
  test('aggregates yesterday and re-aggregates the 7 days before it (late events)', async () => {
    const today = dayOf(new Date());
    const yesterday = addDays(today, -1);
    const threeDaysAgo = addDays(today, -3);
    const call = async (body: unknown, query?: Record<string, string>) => parseResponse(await analyticsApi(
      apiEvent({ method: body ? 'POST' : 'GET', resource: '/api/analytics', body, query, identity: { tenantId: 'daily', sub: 'user-d' } }),
      lambdaContext('analytics'),
    ));
    // Through the API, so the marker and event items are exactly what ingestion writes.
    expect((await call({ type: 'login', occurredAt: `${yesterday}T10:00:00Z` })).statusCode).toBe(202);
    expect((await call({ type: 'search', occurredAt: `${threeDaysAgo}T10:00:00Z` })).statusCode).toBe(202);

    for (const input of [undefined, null, {}]) {
      const result = await run(input);
      expect(result.days.map((d) => d.day)).toEqual(Array.from({ length: 8 }, (_, i) => addDays(yesterday, -i)));
    }
    expect(await daily('daily', yesterday)).toMatchObject({ events: { login: 1 }, activeUsers: 1, eventCount: 1 });
    expect(await daily('daily', threeDaysAgo)).toMatchObject({ events: { search: 1 }, eventCount: 1 });
    expect(await daily('daily', today)).toBeUndefined();

    // A late event for three days ago: the report keeps showing the aggregate until the next run picks it up.
    expect((await call({ type: 'search', occurredAt: `${threeDaysAgo}T11:00:00Z` })).statusCode).toBe(202);
    const before = await call(undefined, { from: threeDaysAgo, to: threeDaysAgo });
    expect(before.body.days).toEqual([{ day: threeDaysAgo, events: { search: 1 }, activeUsers: 1, eventCount: 1, source: 'aggregate' }]);
    await run({});
    const after = await call(undefined, { from: threeDaysAgo, to: yesterday });
    expect(after.body.days[0]).toEqual({ day: threeDaysAgo, events: { search: 2 }, activeUsers: 1, eventCount: 2, source: 'aggregate' });
    expect(after.body.days[2]).toEqual({ day: yesterday, events: { login: 1 }, activeUsers: 1, eventCount: 1, source: 'aggregate' });
  });
});
