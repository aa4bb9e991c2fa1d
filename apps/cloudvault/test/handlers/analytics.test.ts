import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { randomUUID } from 'crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { ANALYTICS_EVENTS_PER_USER_PER_DAY, ANALYTICS_EVENT_RATE, handler } from '../../handlers/analytics.lambda';
import { addDays, dayOf } from '../../handlers/lib/analytics';
import { activeTenantKey, dailyKey, rateKey, tenantPk } from '../../handlers/lib/keys';
import { rateWindow } from '../../handlers/lib/rate-limit';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const A: Identity = { tenantId: 'tenant-a', sub: 'user-a1' };
const A2: Identity = { tenantId: 'tenant-a', sub: 'user-a2' };
const B: Identity = { tenantId: 'tenant-b', sub: 'user-b' };
const DAY_MS = 24 * 3600_000;

let services: HandlerServices;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  services = await startHandlerServices();
  doc = services.doc;
}, 30_000);
afterAll(async () => services?.stop());

interface CallOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string>;
}

async function call(identity: Identity | undefined, method: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event = apiEvent({ method, resource: '/api/analytics', body: opts.body, query: opts.query, identity });
  return parseResponse(await handler(event, lambdaContext('analytics')));
}

async function record(identity: Identity, body: Record<string, unknown>): Promise<string> {
  const res = await call(identity, 'POST', { body });
  expect(res.statusCode).toBe(202);
  return res.body.id;
}


const today = () => dayOf(new Date());
const report = (identity: Identity, query?: Record<string, string>) => call(identity, 'GET', { query });

async function tenantEvents(tenantId: string): Promise<Record<string, any>[]> {
  const res = await doc.send(new QueryCommand({
    TableName: process.env.TABLE_NAME,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
    ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':e': 'EVENT#' },
  }));
  return res.Items ?? [];
}

describe('POST /api/analytics', () => {
  test.each([
    ['no type', {}, /body\.type: must be one of file_viewed, file_downloaded, file_uploaded, file_shared, search, share_opened, login/],
    ['an unknown type', { type: 'hacked' }, /body\.type: must be one of/],
    ['a fileId that is not a UUID', { type: 'file_viewed', fileId: 'abc' }, /body\.fileId: must be a UUID/],
    ['an object property value', { type: 'search', properties: { q: { nested: true } } }, /body\.properties\.q: must be a string or a number/],
    ['a property string over 256 characters', { type: 'search', properties: { q: 'x'.repeat(257) } }, /body\.properties\.q: must be at most 256 characters/],
    ['a property key with odd characters', { type: 'search', properties: { 'a b': 1 } }, /body\.properties\.a b: is not a valid property name/],
    ['21 properties', { type: 'search', properties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }, /body\.properties: must have at most 20 entries/],
    ['an occurredAt that is not a date-time', { type: 'login', occurredAt: 'yesterday' }, /body\.occurredAt: must be an ISO 8601 date-time/],
    ['an occurredAt in the future', { type: 'login', occurredAt: new Date(Date.now() + 3600_000).toISOString() }, /body\.occurredAt: must not be in the future/],
    ['an occurredAt over 7 days ago', { type: 'login', occurredAt: new Date(Date.now() - 7 * DAY_MS - 60_000).toISOString() }, /body\.occurredAt: must not be more than 7 days ago/],
    ['a userId in the body', { type: 'login', userId: 'someone-else' }, /userId/],
  ])('%s is a 400 that says what is wrong and stores nothing', async (_case, body, message) => {
    const before = (await tenantEvents('tenant-a')).length;
    expectError(await call(A, 'POST', { body }), 400, 'VALIDATION_FAILED', message);
    expect(await tenantEvents('tenant-a')).toHaveLength(before);
  });

  test('events are capped per user and day: over the cap a 429 stores nothing; others and idempotent retries are unaffected', async () => {
    const F: Identity = { tenantId: 'tenant-flood', sub: 'user-flood' };
    const F2: Identity = { tenantId: 'tenant-flood', sub: 'user-calm' };
    // The user has already sent all but 3 of today's events (sending 2000 here would only be slow).
    await doc.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: rateKey('tenant-flood', ANALYTICS_EVENT_RATE.what, 'user-flood', rateWindow(ANALYTICS_EVENT_RATE.windowSeconds).id),
      UpdateExpression: 'SET #count = :n',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':n': ANALYTICS_EVENTS_PER_USER_PER_DAY - 3 },
    }));
    const retried = apiEvent({ method: 'POST', resource: '/api/analytics', body: { type: 'login' }, identity: F });
    retried.headers = { ...retried.headers, 'Idempotency-Key': 'flood-retry-1' };
    const first = parseResponse(await handler(retried, lambdaContext('analytics')));
    expect(first.statusCode).toBe(202);

    // Ten at once for the last two places: the conditional counter lets exactly two through.
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => call(F, 'POST', { body: { type: 'search', properties: { n: i } } })));
    expect(burst.map((r) => r.statusCode).sort()).toEqual([202, 202, 429, 429, 429, 429, 429, 429, 429, 429]);
    const limited = burst.find((r) => r.statusCode === 429)!;
    expectError(limited, 429, 'RATE_LIMITED', /at most 2000 analytics events per day per user/);
    expect(limited.body.error.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.body.error.details.retryAfterSeconds).toBeLessThanOrEqual(24 * 3600);
    expect(await tenantEvents('tenant-flood')).toHaveLength(3);

    // A retry of a request that was stored gets its answer again, uncounted.
    const again = parseResponse(await handler({ ...retried, requestContext: { ...retried.requestContext, requestId: randomUUID() } }, lambdaContext('analytics')));
    expect(again).toMatchObject({ statusCode: 202, body: { id: first.body.id } });
    // Another user of the tenant has a counter of their own.
    await record(F2, { type: 'login' });
    expect(await tenantEvents('tenant-flood')).toHaveLength(4);
  });

  test('malformed JSON is 400; anonymous calls 401; other methods 405', async () => {
    expectError(await call(A, 'POST', { body: '{"type":' }), 400, 'MALFORMED_JSON');
    expectError(await call(undefined, 'POST', { body: { type: 'login' } }), 401, 'UNAUTHORIZED');
    expectError(await call(undefined, 'GET'), 401, 'UNAUTHORIZED');
    expectError(await call(A, 'DELETE'), 405, 'METHOD_NOT_ALLOWED');
  });

  test('stores the raw event with the caller\'s user, a 90-day TTL and the tenant-day marker', async () => {
    const T: Identity = { tenantId: 'tenant-store', sub: 'user-s' };
    const fileId = randomUUID();
    const id = await record(T, { type: 'file_viewed', fileId, properties: { source: 'web', ms: 12.5 } });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = await tenantEvents('tenant-store');
    expect(event).toMatchObject({ id, eventType: 'file_viewed', userId: 'user-s', fileId, properties: { source: 'web', ms: 12.5 } });
    expect(event.sk).toMatch(new RegExp(`^EVENT#${today()}#${today()}T[0-9:.]+Z#${id}$`));
    const ninetyDays = Math.floor(Date.now() / 1000) + 90 * 24 * 3600;
    expect(Math.abs(event.expiresAt - ninetyDays)).toBeLessThan(60);

    const marker = await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: activeTenantKey(today(), 'tenant-store') }));
    expect(marker.Item).toMatchObject({ tenantId: 'tenant-store', day: today() });
  });

  test('a retried POST with the same Idempotency-Key is stored once and answers the same id; another key is another event', async () => {
    const T: Identity = { tenantId: 'tenant-retry', sub: 'user-r' };
    const post = async (key: string) => {
      const event = apiEvent({ method: 'POST', resource: '/api/analytics', body: { type: 'login' }, identity: T });
      event.headers['Idempotency-Key'] = key;
      return parseResponse(await handler(event, lambdaContext('analytics')));
    };
    const first = await post('login-1');
    const retry = await post('login-1');
    expect(first.statusCode).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(await tenantEvents('tenant-retry')).toHaveLength(1);
    await post('login-2');
    expect(await tenantEvents('tenant-retry')).toHaveLength(2);
  });

  test('occurredAt within the last 7 days files the event under its own day', async () => {
    const T: Identity = { tenantId: 'tenant-late', sub: 'user-l' };
    const threeDaysAgo = new Date(Date.now() - 3 * DAY_MS);
    await record(T, { type: 'search', occurredAt: threeDaysAgo.toISOString().replace('Z', '+00:00') });
    const [event] = await tenantEvents('tenant-late');
    expect(event.sk.startsWith(`EVENT#${dayOf(threeDaysAgo)}#${threeDaysAgo.toISOString()}#`)).toBe(true);
    const marker = await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: activeTenantKey(dayOf(threeDaysAgo), 'tenant-late') }));
    expect(marker.Item).toBeDefined();
  });
});

describe('GET /api/analytics', () => {
  test.each([
    ['a malformed from', { from: '2026-1-1' }, /query\.from: must be a date \(YYYY-MM-DD\)/],
    ['a day that does not exist', { from: '2026-02-30', to: '2026-03-01' }, /query\.from: must be a date \(YYYY-MM-DD\)/],
    ['a malformed to', { to: 'today' }, /query\.to: must be a date \(YYYY-MM-DD\)/],
    ['from after to', { from: '2026-03-02', to: '2026-03-01' }, /query\.to: must not be before "from"/],
    ['a range of 91 days', { from: '2026-01-01', to: '2026-04-01' }, /query\.to: the range from "from" to "to" must be at most 90 days/],
    ['an unknown parameter', { tenant: 'tenant-b' }, /tenant/],
  ])('%s is a 400 that says what is wrong', async (_case, query, message) => {
    expectError(await report(A, query), 400, 'VALIDATION_FAILED', message);
  });

  test('a range of exactly 90 days is fine', async () => {
    const res = await report(A, { from: '2026-01-01', to: '2026-03-31' });
    expect(res.statusCode).toBe(200);
    expect(res.body.days).toHaveLength(90);
    expect(res.body.days[0].day).toBe('2026-01-01');
    expect(res.body.days[89].day).toBe('2026-03-31');
  });

  test('default: the last 7 days, today counted live per tenant', async () => {
    const R: Identity = { tenantId: 'tenant-report', sub: 'user-r1' };
    const R2: Identity = { tenantId: 'tenant-report', sub: 'user-r2' };
    await record(R, { type: 'login' });
    await record(R, { type: 'file_viewed' });
    await record(R, { type: 'file_viewed' });
    await record(R2, { type: 'file_viewed' });

    const res = await report(R);
    expect(res.statusCode).toBe(200);
    expect(res.body.to).toBe(today());
    expect(res.body.from).toBe(addDays(today(), -6));
    expect(res.body.days.map((d: any) => d.day)).toEqual(Array.from({ length: 7 }, (_, i) => addDays(today(), i - 6)));
    expect(res.body.days[6]).toEqual({ day: today(), events: { login: 1, file_viewed: 3 }, activeUsers: 2, eventCount: 4, source: 'live' });
    expect(res.body.days[0]).toEqual({ day: addDays(today(), -6), events: {}, activeUsers: 0, eventCount: 0, source: 'live' });
    expect(res.body.totals).toEqual({ events: { login: 1, file_viewed: 3 }, eventCount: 4, peakActiveUsers: 2 });

    // Reports are per tenant: B's events never show in R's report and the other way round.
    await record(B, { type: 'search' });
    expect((await report(R)).body.totals.eventCount).toBe(4);
    const bReport = await report(B);
    expect(bReport.body.totals.events).toEqual({ search: 1 });
  });

  test('stored daily aggregates are used for past days; recent days without one are counted live', async () => {
    const H: Identity = { tenantId: 'tenant-history', sub: 'user-h' };
    const old = addDays(today(), -30);
    await doc.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { ...dailyKey('tenant-history', old), day: old, events: { login: 5, search: 2 }, activeUsers: 3, eventCount: 7, aggregatedAt: new Date().toISOString() },
    }));
    // Yesterday has no aggregate yet (the job runs after midnight): counted live.
    await record(H, { type: 'file_downloaded', occurredAt: new Date(Date.parse(`${addDays(today(), -1)}T12:00:00Z`)).toISOString() });
    // Another tenant's aggregate of the same day is not mixed in.
    await doc.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { ...dailyKey('tenant-b', old), day: old, events: { login: 100 }, activeUsers: 50, eventCount: 100, aggregatedAt: new Date().toISOString() },
    }));

    const res = await report(H, { from: old, to: today() });
    expect(res.body.days).toHaveLength(31);
    expect(res.body.days[0]).toEqual({ day: old, events: { login: 5, search: 2 }, activeUsers: 3, eventCount: 7, source: 'aggregate' });
    expect(res.body.days[1]).toEqual({ day: addDays(old, 1), events: {}, activeUsers: 0, eventCount: 0, source: 'aggregate' });
    expect(res.body.days[29]).toEqual({ day: addDays(today(), -1), events: { file_downloaded: 1 }, activeUsers: 1, eventCount: 1, source: 'live' });
    expect(res.body.totals).toEqual({ events: { login: 5, search: 2, file_downloaded: 1 }, eventCount: 8, peakActiveUsers: 3 });

    // Once yesterday is aggregated, the aggregate is what counts.
    const yesterday = addDays(today(), -1);
    await doc.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { ...dailyKey('tenant-history', yesterday), day: yesterday, events: { file_downloaded: 1, login: 1 }, activeUsers: 1, eventCount: 2, aggregatedAt: new Date().toISOString() },
    }));
    const after = await report(H, { from: yesterday, to: yesterday });
    expect(after.body.days).toEqual([{ day: yesterday, events: { file_downloaded: 1, login: 1 }, activeUsers: 1, eventCount: 2, source: 'aggregate' }]);
  });

  test('today is always counted live, even if an aggregate of it exists', async () => {
    const T: Identity = { tenantId: 'tenant-today', sub: 'user-t' };
    await doc.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { ...dailyKey('tenant-today', today()), day: today(), events: { login: 9 }, activeUsers: 9, eventCount: 9, aggregatedAt: new Date().toISOString() },
    }));
    await record(T, { type: 'login' });
    const res = await report(T, { from: today(), to: today() });
    expect(res.body.days).toEqual([{ day: today(), events: { login: 1 }, activeUsers: 1, eventCount: 1, source: 'live' }]);
  });

  test('A2 of tenant A counts as a second active user of tenant A', async () => {
    await record(A, { type: 'login' });
    await record(A2, { type: 'login' });
    await record(A2, { type: 'login' });
    const day = (await report(A, { from: today(), to: today() })).body.days[0];
    expect(day.activeUsers).toBe(2);
    expect(day.events.login).toBeGreaterThanOrEqual(3);
  });
});
