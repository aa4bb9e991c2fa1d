import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SqsEmulator } from '../../../kit/local/sqs-emulator';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { emailIndexPk, notificationSk, tenantPk, userKey } from '../../handlers/lib/keys';
import { NOTIFICATIONS_PER_USER_PER_HOUR, handler } from '../../handlers/notifications.lambda';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const A: Identity = { tenantId: 'tenant-a', sub: 'user-a', email: 'alice@a.example' };
const A2: Identity = { tenantId: 'tenant-a', sub: 'user-a2', email: 'arthur@a.example' };
const B: Identity = { tenantId: 'tenant-b', sub: 'user-b', email: 'bob@b.example' };
const NOTIFICATIONS = '/api/notifications';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sqs: SqsEmulator;
let queueUrl: string;
let table: string;
let doc: DynamoDBDocumentClient;

let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ sqs: true });
  ({ sqs, table, queueUrl, doc } = services as Required<HandlerServices>);
}, 30_000);
afterAll(async () => services?.stop());
beforeEach(() => sqs.purge(queueUrl));

interface CallOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  /** Cognito groups of the caller (`cognito:groups` claim as the REST authorizer passes it). */
  readonly groups?: string;
}

async function call(identity: Identity | undefined, method: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event = apiEvent({ method, resource: NOTIFICATIONS, body: opts.body, query: opts.query, identity });
  if (opts.groups !== undefined) (event.requestContext.authorizer!.claims as Record<string, string>)['cognito:groups'] = opts.groups;
  return parseResponse(await handler(event, lambdaContext('notifications')));
}


/** The messages on the queue, parsed. */
const queued = () => sqs.sent(queueUrl).map((m) => JSON.parse(m.body));

describe('POST /api/notifications', () => {
  /** A USER item as local mode's addUser writes it; `extra` overrides (e.g. `email: undefined`). */
  async function seedUser(tenantId: string, userId: string, extra: Record<string, unknown> = {}) {
    const email = `${userId}.stored@${tenantId}.example`;
    const item = { ...userKey(tenantId, userId), type: 'USER', id: userId, email, groups: ['member'], gsi1pk: emailIndexPk(email), createdAt: '2026-01-01T00:00:00.000Z', ...extra };
    // An `extra` of undefined leaves the attribute out.
    await doc.send(new PutCommand({ TableName: table, Item: Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) }));
  }

  beforeAll(async () => {
    await seedUser('tenant-a', 'user-a2', { email: 'arthur.stored@a.example', gsi1pk: emailIndexPk('arthur.stored@a.example') });
    await seedUser('tenant-a', 'user-no-mail', { email: undefined, gsi1pk: undefined });
    await seedUser('tenant-a', 'user-bad-mail', { email: 'not-an-address', gsi1pk: undefined });
    // A user of tenant B: tenant A's admin must not reach them.
    await seedUser('tenant-b', 'user-b2');
  });

  const generic = { template: 'generic', data: { subject: 's', message: 'm' } };

  test('enqueues exactly one message with the tenant from the claims', async () => {
    const before = Date.now();
    const res = await call(A, 'POST', { body: { channels: ['in-app'], template: 'upload-complete', data: { fileName: 'report.pdf' } } });
    expect(res.statusCode).toBe(202);
    expect(Object.keys(res.body)).toEqual(['id']);
    expect(res.body.id).toMatch(UUID);

    const messages = queued();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toEqual({
      version: 1,
      id: res.body.id,
      tenantId: 'tenant-a',
      userId: 'user-a',
      channels: ['in-app'],
      template: 'upload-complete',
      data: { fileName: 'report.pdf' },
      requestedBy: 'user-a',
      createdAt: expect.any(String),
    });
    expect(Date.parse(messages[0].createdAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  test('a tenantId in the body is rejected, not used', async () => {
    expectError(await call(A, 'POST', { body: { channels: ['in-app'], template: 'upload-complete', data: { fileName: 'x' }, tenantId: 'tenant-b' } }),
      400, 'VALIDATION_FAILED', /tenantId/);
    expect(queued()).toHaveLength(0);
  });

  test("e-mail to yourself goes to your token's address; you need no USER item", async () => {
    // user-a has no USER item: the e-mail claim is the address.
    const res = await call(A, 'POST', { body: { channels: ['email', 'in-app'], template: 'quota-warning', data: { usedPercent: '91' } } });
    expect(res.statusCode).toBe(202);
    expect(queued()).toEqual([expect.objectContaining({ id: res.body.id, userId: 'user-a', email: 'alice@a.example', channels: ['email', 'in-app'] })]);
  });

  test('an e-mail address in the body is refused, whoever the recipient (no relay to arbitrary addresses)', async () => {
    const refused = /^Invalid body: body: unknown field "email" \("email" is not accepted: e-mail goes to the recipient's stored address\)$/;
    // Even your own address, even as an admin, even for in-app only.
    expectError(await call(A, 'POST', { body: { channels: ['email'], ...generic, email: 'alice@a.example' } }), 400, 'VALIDATION_FAILED', refused);
    expectError(await call(A, 'POST', { body: { userId: 'user-a2', channels: ['email'], ...generic, email: 'mallory@evil.example' }, groups: 'admin' }),
      400, 'VALIDATION_FAILED', refused);
    expectError(await call(A, 'POST', { body: { userId: 'user-a2', channels: ['in-app'], ...generic, email: 'arthur.stored@a.example' }, groups: 'admin' }),
      400, 'VALIDATION_FAILED', refused);
    const both = await call(A, 'POST', { body: { channels: ['email'], ...generic, email: 'x@y.example', cc: 'z@y.example' } });
    expectError(both, 400, 'VALIDATION_FAILED', /unknown fields "email", "cc" \("email" is not accepted/);
    expect(both.body.error.details).toEqual([{ path: 'body', message: expect.stringContaining('unknown fields "email", "cc"') }]);
    expect(queued()).toHaveLength(0);
  });

  test('members may not notify other users (403, before any lookup); admins may, within their tenant', async () => {
    const body = { userId: 'user-a2', channels: ['in-app', 'email'], template: 'share-created', data: { sharedBy: 'Alice', fileName: 'plan.pdf', url: 'https://x.example/s/1' } };
    expectError(await call(A, 'POST', { body }), 403, 'FORBIDDEN', /Only tenant admins/);
    expectError(await call(A, 'POST', { body, groups: 'member' }), 403, 'FORBIDDEN');
    // A member cannot probe which users exist: an unknown user is a 403 too, not a 404.
    expectError(await call(A, 'POST', { body: { ...body, userId: 'nobody' }, groups: 'member' }), 403, 'FORBIDDEN');
    expect(queued()).toHaveLength(0);

    const res = await call(A, 'POST', { body, groups: '[admin member]' });
    expect(res.statusCode).toBe(202);
    // The address is the one on user-a2's USER item, not the caller's nor anything in the request.
    expect(queued()).toEqual([expect.objectContaining({
      id: res.body.id, tenantId: 'tenant-a', userId: 'user-a2', requestedBy: 'user-a', email: 'arthur.stored@a.example', channels: ['in-app', 'email'],
    })]);
  });

  test('an admin notifying another user in-app only queues no address', async () => {
    const res = await call(A, 'POST', { body: { userId: 'user-a2', channels: ['in-app'], ...generic }, groups: 'admin' });
    expect(res.statusCode).toBe(202);
    expect(queued()).toHaveLength(1);
    expect(queued()[0]).toMatchObject({ userId: 'user-a2', channels: ['in-app'] });
    expect(queued()[0]).not.toHaveProperty('email');
  });

  test.each([
    ['in-app', ['in-app']],
    ['email', ['email']],
    ['both channels', ['in-app', 'email']],
  ])('admin: a user who does not exist in the tenant is a 404 (%s)', async (_case, channels) => {
    expectError(await call(A, 'POST', { body: { userId: 'nobody', channels, ...generic }, groups: 'admin' }), 404, 'NOT_FOUND', /^User nobody not found$/);
    // Another tenant's user is not found either: same answer, nothing about tenant B.
    expectError(await call(A, 'POST', { body: { userId: 'user-b2', channels, ...generic }, groups: 'admin' }), 404, 'NOT_FOUND', /^User user-b2 not found$/);
    expect(queued()).toHaveLength(0);
  });

  test('an admin naming the caller themself is not "another user"', async () => {
    const res = await call(A, 'POST', { body: { userId: 'user-a', channels: ['email'], ...generic }, groups: 'admin' });
    expect(res.statusCode).toBe(202);
    expect(queued()[0]).toMatchObject({ userId: 'user-a', email: 'alice@a.example' });
  });

  test.each([
    ['no e-mail address', 'user-no-mail'],
    ['an invalid stored address', 'user-bad-mail'],
  ])('admin: e-mail to a user with %s is a 400; in-app works', async (_case, userId) => {
    expectError(await call(A, 'POST', { body: { userId, channels: ['in-app', 'email'], ...generic }, groups: 'admin' }),
      400, 'VALIDATION_FAILED', new RegExp(`^Invalid body: body\\.channels: 'email' needs an e-mail address and user ${userId} has none$`));
    expect(queued()).toHaveLength(0);
    expect((await call(A, 'POST', { body: { userId, channels: ['in-app'], ...generic }, groups: 'admin' })).statusCode).toBe(202);
    expect(queued()).toEqual([expect.objectContaining({ userId, channels: ['in-app'] })]);
  });

  test('an address Cognito has not verified is no address: no e-mail, even to yourself', async () => {
    const unverified: Identity = { ...A, emailVerified: false, email: 'victim@elsewhere.example' };
    expectError(await call(unverified, 'POST', { body: { channels: ['email'], template: 'quota-warning', data: { usedPercent: '91' } } }),
      400, 'VALIDATION_FAILED', /'email' needs an e-mail address and your account has none/);
    expect(queued()).toHaveLength(0);
  });

  test('free text (generic) goes by e-mail only from admins; members may send it in-app', async () => {
    expectError(await call(A, 'POST', { body: { channels: ['email'], ...generic } }), 403, 'FORBIDDEN', /generic/);
    expect(queued()).toHaveLength(0);
    expect((await call(A, 'POST', { body: { channels: ['in-app'], ...generic } })).statusCode).toBe(202);
    expect((await call(A, 'POST', { body: { channels: ['email'], ...generic }, groups: 'admin' })).statusCode).toBe(202);
    // One line of subject, no links in free text.
    expectError(await call(A, 'POST', { body: { channels: ['in-app'], template: 'generic', data: { subject: 'a\nb', message: 'm' } } }), 400, 'VALIDATION_FAILED', /body\.data\.subject/);
    expectError(await call(A, 'POST', { body: { channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'click https://evil.example/x' } } }),
      400, 'VALIDATION_FAILED', /body\.data\.message: must not contain links/);
  });

  test('notifications are rate-limited per user: the next one in the hour is a 429', async () => {
    const R: Identity = { tenantId: 'tenant-a', sub: 'user-rate', email: 'rate@a.example' };
    for (let i = 0; i < NOTIFICATIONS_PER_USER_PER_HOUR; i++) {
      expect((await call(R, 'POST', { body: { channels: ['in-app'], template: 'upload-complete', data: { fileName: `f${i}` } } })).statusCode).toBe(202);
    }
    const limited = await call(R, 'POST', { body: { channels: ['in-app'], template: 'upload-complete', data: { fileName: 'one more' } } });
    expectError(limited, 429, 'RATE_LIMITED', /at most 30 notifications per hour/);
    expect(queued()).toHaveLength(NOTIFICATIONS_PER_USER_PER_HOUR);
    // Another user of the tenant is not affected.
    expect((await call(A, 'POST', { body: { channels: ['in-app'], template: 'upload-complete', data: { fileName: 'x' } } })).statusCode).toBe(202);
  });

  test('e-mail to yourself without an e-mail claim is a 400; in-app still works', async () => {
    const send = async (channels: string[]) => {
      const event = apiEvent({ method: 'POST', resource: NOTIFICATIONS, identity: A, body: { channels, ...generic } });
      delete (event.requestContext.authorizer!.claims as Record<string, string>).email;
      return parseResponse(await handler(event, lambdaContext()));
    };
    expectError(await send(['email']), 400, 'VALIDATION_FAILED', /^Invalid body: body\.channels: 'email' needs an e-mail address and your account has none$/);
    expect(queued()).toHaveLength(0);
    expect((await send(['in-app'])).statusCode).toBe(202);
    expect(queued()).toHaveLength(1);
  });

  test.each([
    ['no channels', { channels: [], template: 'generic', data: { subject: 's', message: 'm' } }, /body\.channels: must list at least one channel/],
    ['a repeated channel', { channels: ['email', 'email'], template: 'generic', data: { subject: 's', message: 'm' } }, /body\.channels: must not repeat a channel/],
    ['an unknown channel', { channels: ['sms'], template: 'generic', data: { subject: 's', message: 'm' } }, /body\.channels\.0: must be one of 'in-app', 'email'/],
    ['channels that are not a list', { channels: 'email', template: 'generic', data: {} }, /body\.channels/],
    ['an unknown template', { channels: ['in-app'], template: 'welcome', data: {} }, /body\.template: must be one of 'share-created', 'upload-complete', 'quota-warning', 'generic'/],
    ['a missing template variable', { channels: ['in-app'], template: 'share-created', data: { fileName: 'f' } }, /body\.data: template 'share-created' needs "sharedBy", "url"/],
    ['a data value that is not a string', { channels: ['in-app'], template: 'upload-complete', data: { fileName: 42 } }, /body\.data\.fileName: must be a string/],
    ['a data value over 1000 characters', { channels: ['in-app'], template: 'upload-complete', data: { fileName: 'x'.repeat(1001) } }, /body\.data\.fileName: must be at most 1000 characters/],
    ['a data key that is no identifier', { channels: ['in-app'], template: 'upload-complete', data: { 'fileName': 'f', '../x': 'y' } }, /body\.data.*keys must be identifiers/],
    ['more than 20 data entries', { channels: ['in-app'], template: 'upload-complete', data: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']).concat([['fileName', 'f']])) },
      /body\.data: must have at most 20 entries/],
    ['a userId with "#"', { userId: 'x#y', channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } }, /body\.userId: must be 1-128 letters/],
    ['an e-mail address', { userId: 'user-a2', channels: ['email'], template: 'generic', data: { subject: 's', message: 'm' }, email: 'a@b.example' }, /body: unknown field "email"/],
    ['an unknown field', { channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' }, priority: 'high' }, /^Invalid body: body: unknown field "priority"$/],
  ])('%s is a 400 that says what is wrong', async (_case, body, message) => {
    expectError(await call(A, 'POST', { body, groups: 'admin' }), 400, 'VALIDATION_FAILED', message);
    expect(queued()).toHaveLength(0);
  });

  test('malformed JSON, a missing body, anonymous calls and other methods', async () => {
    expectError(await call(A, 'POST', { body: '{"channels": [' }), 400, 'MALFORMED_JSON');
    expectError(await call(A, 'POST'), 400, 'BODY_REQUIRED');
    expectError(await call(undefined, 'POST', { body: { channels: ['in-app'], template: 'generic', data: { subject: 's', message: 'm' } } }), 401, 'UNAUTHORIZED');
    expectError(await call(A, 'DELETE'), 405, 'METHOD_NOT_ALLOWED');
    expect(queued()).toHaveLength(0);
  });
});

describe('GET /api/notifications', () => {
  /** Writes an in-app item as the worker does. */
  async function seed(tenantId: string, userId: string, at: string, id: string, extra: Record<string, unknown> = {}) {
    await doc.send(new PutCommand({
      TableName: table,
      Item: { pk: tenantPk(tenantId), sk: notificationSk(userId, at, id), type: 'NOTIFICATION', id, userId, template: 'generic', data: { subject: id, message: 'm' }, createdAt: at, ...extra },
    }));
  }

  beforeAll(async () => {
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    await seed('tenant-a', 'user-a', '2026-01-01T10:00:00.000Z', ids[0]);
    await seed('tenant-a', 'user-a', '2026-01-02T10:00:00.000Z', ids[1], { readAt: '2026-01-02T11:00:00.000Z' });
    await seed('tenant-a', 'user-a', '2026-01-03T10:00:00.000Z', ids[2]);
    // Another user of the same tenant, and the same user id in another tenant.
    await seed('tenant-a', 'user-a2', '2026-01-04T10:00:00.000Z', '00000000-0000-4000-8000-000000000004');
    await seed('tenant-b', 'user-a', '2026-01-05T10:00:00.000Z', '00000000-0000-4000-8000-000000000005');
  });

  test("the caller's own notifications, newest first", async () => {
    const res = await call(A, 'GET');
    expect(res.statusCode).toBe(200);
    expect(res.body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001']);
    expect(res.body.items[1]).toEqual({ id: '00000000-0000-4000-8000-000000000002', template: 'generic', data: { subject: '00000000-0000-4000-8000-000000000002', message: 'm' }, createdAt: '2026-01-02T10:00:00.000Z', read: true });
    expect(res.body.items[0].read).toBe(false);
    expect(res.body.nextToken).toBeUndefined();
  });

  test('unread=true leaves out read ones', async () => {
    const res = await call(A, 'GET', { query: { unread: 'true' } });
    expect(res.body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001']);
  });

  test('pages with limit and nextToken', async () => {
    const first = await call(A, 'GET', { query: { limit: '2' } });
    expect(first.body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000002']);
    expect(typeof first.body.nextToken).toBe('string');
    const second = await call(A, 'GET', { query: { limit: '2', nextToken: first.body.nextToken } });
    expect(second.body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000001']);
    expect(second.body.nextToken).toBeUndefined();
  });

  test("other users and other tenants see none of them, nor can they use the caller's token", async () => {
    expect((await call(A2, 'GET')).body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000004']);
    // Tenant B's user-a is another person than tenant A's user-a.
    expect((await call({ tenantId: 'tenant-b', sub: 'user-a' }, 'GET')).body.items.map((n: any) => n.id)).toEqual(['00000000-0000-4000-8000-000000000005']);
    expect((await call(B, 'GET')).body).toMatchObject({ items: [], count: 0 });

    const token = (await call(A, 'GET', { query: { limit: '1' } })).body.nextToken;
    expectError(await call(B, 'GET', { query: { nextToken: token } }), 400, 'VALIDATION_FAILED', /query\.nextToken: is not a token of this list/);
    expectError(await call(A2, 'GET', { query: { nextToken: token } }), 400, 'VALIDATION_FAILED', /query\.nextToken/);
  });

  test.each([
    [{ limit: '0' }, /query\.limit: must be an integer from 1 to 100/],
    [{ limit: '101' }, /query\.limit: must be an integer from 1 to 100/],
    [{ limit: 'ten' }, /query\.limit: must be an integer from 1 to 100/],
    [{ unread: 'yes' }, /query\.unread/],
    [{ nextToken: 'garbage' }, /query\.nextToken: is not a token of this list/],
    [{ nextToken: Buffer.from(JSON.stringify({ pk: 'TENANT#tenant-a', sk: 'FOLDER#x' })).toString('base64url') }, /query\.nextToken/],
    [{ page: '2' }, /page/],
  ])('query %j is a 400', async (query, message) => {
    expectError(await call(A, 'GET', { query }), 400, 'VALIDATION_FAILED', message);
  });
});
