import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { AddressInfo, Server, Socket, createServer } from 'net';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { PostAuthenticationTriggerEvent } from 'aws-lambda';
import { SqsEmulator } from '../../../kit/local/sqs-emulator';
import { apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { GSI, emailIndexPk, userKey } from '../../handlers/lib/keys';
import { logger } from '../../handlers/lib/observability';
import { handler as notificationsHandler } from '../../handlers/notifications.lambda';
import { SYNC_TIMEOUT_MS, handler } from '../../handlers/user-sync.lambda';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let sqs: SqsEmulator;
let table: string;
let queueUrl: string;
let doc: DynamoDBDocumentClient;

let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ sqs: true });
  ({ sqs, table, queueUrl, doc } = services as Required<HandlerServices>);
}, 30_000);
afterAll(async () => services?.stop());

/** A post authentication event as Cognito sends it, with these user attributes. */
function signIn(userAttributes: Record<string, string>): PostAuthenticationTriggerEvent {
  return {
    version: '1',
    triggerSource: 'PostAuthentication_Authentication',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_TestPool',
    userName: userAttributes.sub ?? 'someone',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'test-client' },
    request: { userAttributes, newDeviceUsed: false },
    response: {},
  };
}

/** Runs the trigger and checks the Cognito contract: the very event comes back, unchanged. */
async function run(event: PostAuthenticationTriggerEvent, fn = handler): Promise<void> {
  const before = structuredClone(event);
  const returned = await fn(event, lambdaContext('user-sync'));
  expect(returned).toBe(event);
  expect(returned).toEqual(before);
}

const getUser = async (tenantId: string, userId: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: userKey(tenantId, userId) }))).Item;

const usersByEmail = async (email: string) =>
  (await doc.send(new QueryCommand({
    TableName: table,
    IndexName: GSI.userByEmail,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': emailIndexPk(email) },
  }))).Items ?? [];

const itemCount = async () => (await doc.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('post authentication: the USER item', () => {
  test('the first sign-in creates the item, found by e-mail on the UserByEmail index', async () => {
    const before = Date.now();
    await run(signIn({ 'sub': 'user-x1', 'email': 'Xavier@T1.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' }));

    const item = await getUser('tenant-1', 'user-x1');
    expect(item).toEqual({
      ...userKey('tenant-1', 'user-x1'),
      type: 'USER',
      id: 'user-x1',
      email: 'Xavier@T1.example',
      gsi1pk: 'EMAIL#xavier@t1.example',
      createdAt: expect.stringMatching(ISO),
      lastSignInAt: item!.createdAt,
    });
    expect(Date.parse(item!.createdAt)).toBeGreaterThanOrEqual(before);
    // Addresses are looked up case-insensitively.
    expect((await usersByEmail('xavier@t1.example')).map((u) => u.sk)).toEqual(['USER#user-x1']);
  });

  test('a later sign-in updates email and lastSignInAt and keeps createdAt', async () => {
    const attributes = { 'sub': 'user-x2', 'email': 'old@t1.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' };
    await run(signIn(attributes));
    const first = await getUser('tenant-1', 'user-x2');
    await sleep(5);

    await run(signIn({ ...attributes, email: 'new@t1.example' }));
    const second = await getUser('tenant-1', 'user-x2');
    expect(second).toMatchObject({ email: 'new@t1.example', gsi1pk: emailIndexPk('new@t1.example'), createdAt: first!.createdAt });
    expect(second!.lastSignInAt > first!.lastSignInAt).toBe(true);
    expect(await usersByEmail('old@t1.example')).toEqual([]);
    expect((await usersByEmail('new@t1.example')).map((u) => u.id)).toEqual(['user-x2']);
  });

  test('an item written by local mode keeps its createdAt and groups', async () => {
    const seeded = {
      ...userKey('tenant-1', 'user-x3'),
      type: 'USER',
      id: 'user-x3',
      email: 'x3@t1.example',
      groups: ['admin'],
      gsi1pk: emailIndexPk('x3@t1.example'),
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await doc.send(new PutCommand({ TableName: table, Item: seeded }));
    await run(signIn({ 'sub': 'user-x3', 'email': 'x3@t1.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' }));
    expect(await getUser('tenant-1', 'user-x3')).toEqual({ ...seeded, lastSignInAt: expect.stringMatching(ISO) });
  });

  test.each([
    ['email_verified is "false"', { email_verified: 'false' }],
    ['email_verified is missing', {}],
    ['email_verified is not exactly "true"', { email_verified: 'TRUE' }],
  ])('an unverified e-mail (%s) removes email and gsi1pk', async (_case, verification) => {
    const attributes = { 'sub': 'user-x4', 'email': 'x4@t1.example', 'custom:tenantId': 'tenant-1' };
    await run(signIn({ ...attributes, email_verified: 'true' }));
    expect(await usersByEmail('x4@t1.example')).toHaveLength(1);

    await run(signIn({ ...attributes, ...verification }));
    const item = await getUser('tenant-1', 'user-x4');
    expect(item).toMatchObject({ type: 'USER', id: 'user-x4', lastSignInAt: expect.stringMatching(ISO) });
    expect(item).not.toHaveProperty('email');
    expect(item).not.toHaveProperty('gsi1pk');
    expect(await usersByEmail('x4@t1.example')).toEqual([]);
  });

  test('no e-mail attribute at all: an item without email', async () => {
    await run(signIn({ 'sub': 'user-x5', 'custom:tenantId': 'tenant-1' }));
    const item = await getUser('tenant-1', 'user-x5');
    expect(Object.keys(item!).sort()).toEqual(['createdAt', 'id', 'lastSignInAt', 'pk', 'sk', 'type']);
  });

  test('a verified attribute that is no valid address is stored as none', async () => {
    await run(signIn({ 'sub': 'user-x6', 'email': 'not-an-address', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' }));
    const item = await getUser('tenant-1', 'user-x6');
    expect(item).toMatchObject({ id: 'user-x6' });
    expect(item).not.toHaveProperty('email');
    expect(item).not.toHaveProperty('gsi1pk');
  });

  test.each([
    ['missing', {}],
    ['empty', { 'custom:tenantId': '' }],
  ])('tenant attribute %s: the user goes to the personal tenant user-<sub>, as the API does', async (_case, tenant) => {
    await run(signIn({ sub: 'user-x7', email: 'x7@solo.example', email_verified: 'true', ...tenant }));
    expect(await getUser('user-user-x7', 'user-x7')).toMatchObject({ email: 'x7@solo.example', gsi1pk: emailIndexPk('x7@solo.example') });
    // Nothing lands in a tenant called '' or elsewhere.
    expect((await usersByEmail('x7@solo.example')).map((u) => u.pk)).toEqual(['TENANT#user-user-x7']);
  });

  test('the same user id in another tenant is another item', async () => {
    await run(signIn({ 'sub': 'user-x8', 'email': 'x8@t1.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' }));
    expect(await getUser('tenant-2', 'user-x8')).toBeUndefined();
  });
});

describe('post authentication: never blocks a sign-in', () => {
  const valid = { 'sub': 'user-y1', 'email': 'secret.person@t1.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-1' };

  test.each([
    ['no sub', { ...valid, sub: undefined }],
    ['a sub with "#"', { ...valid, sub: 'user#y1' }],
    ['a tenant id with "#"', { ...valid, 'custom:tenantId': 'tenant#1' }],
    ['a tenant id over 64 characters', { ...valid, 'custom:tenantId': 't'.repeat(65) }],
    ['an attribute that is not a string', { ...valid, email: 42 }],
  ])('an event with %s returns the event and writes nothing', async (_case, attributes) => {
    const event = signIn(Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<string, string>);
    const count = await itemCount();
    await run(event);
    expect(await itemCount()).toBe(count);
  });

  test.each([
    ['another trigger source', { ...signIn(valid), triggerSource: 'PostConfirmation_ConfirmSignUp' }],
    ['no request', { ...signIn(valid), request: undefined }],
    ['no user attributes', { ...signIn(valid), request: { newDeviceUsed: false } }],
  ])('an event with %s returns the event and writes nothing', async (_case, event) => {
    const count = await itemCount();
    await run(event as unknown as PostAuthenticationTriggerEvent);
    expect(await itemCount()).toBe(count);
  });

  test('null is returned as it came', async () => {
    const event = null as unknown as PostAuthenticationTriggerEvent;
    expect(await handler(event, lambdaContext())).toBeNull();
  });

  test('an invalid event is logged by path and code, without attribute values (PII)', async () => {
    const error = jest.spyOn(logger, 'error');
    try {
      await run(signIn({ ...valid, 'custom:tenantId': 'tenant#secret' }));
      expect(error).toHaveBeenCalledTimes(1);
      const logged = JSON.stringify(error.mock.calls[0]);
      expect(logged).toMatch(/custom:tenantId/);
      expect(logged).not.toMatch(/secret|user-y1/);
    } finally {
      error.mockRestore();
    }
  });

  /** The handler module loaded afresh (its DynamoDB client is created once per module) with `endpoint`. */
  async function handlerWithEndpoint(endpoint: string): Promise<typeof handler> {
    const saved = process.env.DYNAMODB_ENDPOINT;
    process.env.DYNAMODB_ENDPOINT = endpoint;
    let fresh: typeof handler | undefined;
    jest.isolateModules(() => {
      // A require, not import(): under `module: node16` a dynamic import would load it as ESM.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      fresh = (require('../../handlers/user-sync.lambda') as { handler: typeof handler }).handler;
    });
    // The client reads the endpoint on first use, so keep it until the call is made.
    return async (event, context) => {
      try {
        return await fresh!(event, context);
      } finally {
        process.env.DYNAMODB_ENDPOINT = saved;
      }
    };
  }

  test('DynamoDB down (connection refused): the event is returned well within 5 seconds', async () => {
    const closed = await closedPort();
    const started = Date.now();
    await run(signIn(valid), await handlerWithEndpoint(`http://127.0.0.1:${closed}`));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await getUser('tenant-1', 'user-y1')).toBeUndefined();
  });

  test('DynamoDB hanging: the write is given up after SYNC_TIMEOUT_MS and the event returned', async () => {
    const { server, port, close } = await silentServer();
    try {
      const started = Date.now();
      await run(signIn(valid), await handlerWithEndpoint(`http://127.0.0.1:${port}`));
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(SYNC_TIMEOUT_MS - 100);
      expect(took).toBeLessThan(5_000);
      expect(server.listening).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('the notifications API finds users synced by the trigger', () => {
  test("after X signs in, an admin of X's tenant can e-mail X at X's verified address", async () => {
    const admin = { tenantId: 'tenant-n', sub: 'admin-n', email: 'admin@n.example' };
    const notify = async () => {
      const event = apiEvent({
        method: 'POST',
        resource: '/api/notifications',
        identity: admin,
        body: { userId: 'user-nx', channels: ['email'], template: 'generic', data: { subject: 'Hello', message: 'Welcome' } },
      });
      (event.requestContext.authorizer!.claims as Record<string, string>)['cognito:groups'] = 'admin';
      return parseResponse(await notificationsHandler(event, lambdaContext('notifications')));
    };

    // Before X's first sign-in, the API does not know X.
    expect((await notify()).statusCode).toBe(404);
    expect(sqs.sent(queueUrl)).toHaveLength(0);

    await run(signIn({ 'sub': 'user-nx', 'email': 'xena@n.example', 'email_verified': 'true', 'custom:tenantId': 'tenant-n' }));
    const res = await notify();
    expect(res.statusCode).toBe(202);
    const messages = sqs.sent(queueUrl).map((m) => JSON.parse(m.body));
    expect(messages).toEqual([expect.objectContaining({
      id: res.body.id, tenantId: 'tenant-n', userId: 'user-nx', requestedBy: 'admin-n', channels: ['email'], email: 'xena@n.example',
    })]);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never answers (a hung endpoint). */
async function silentServer(): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  };
  return { server, port, close };
}
