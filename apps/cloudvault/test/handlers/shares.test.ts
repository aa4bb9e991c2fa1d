import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { randomUUID } from 'crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { GSI, fileKey, objectKey, shareKey, tenantPk, versionKey } from '../../handlers/lib/keys';
import * as sharePassword from '../../handlers/lib/share-password';
import { handler as shareOpenHandler } from '../../handlers/share-open.lambda';
import { MAX_EXPIRY_HOURS, MEMBER_MAX_EXPIRY_HOURS } from '../../handlers/shares/manage';
import { MAX_PASSWORD_FAILURES } from '../../handlers/shares/open';
import { handler } from '../../handlers/shares.lambda';
import { HandlerServices, startHandlerServices } from '../support/handler-services';


const A: Identity = { tenantId: 'tenant-a', sub: 'user-a' };
const B: Identity = { tenantId: 'tenant-b', sub: 'user-b' };
const SHARES = '/api/shares';
const SHARE = '/api/shares/{token}';
const MISSING_TOKEN = 'A'.repeat(43);

let emu: S3Emulator;
let doc: DynamoDBDocumentClient;
let bucket: string;

let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ s3: true });
  ({ s3: emu, bucket, doc } = services as Required<HandlerServices>);
}, 60_000);
afterAll(async () => services?.stop());

interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

async function call(identity: Identity | undefined, method: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event: APIGatewayProxyEvent = apiEvent({
    method,
    resource: opts.token === undefined ? SHARES : SHARE,
    pathParameters: opts.token === undefined ? undefined : { token: opts.token },
    body: opts.body,
    query: opts.query,
    identity,
  });
  event.headers = { ...event.headers, ...opts.headers };
  // The public open route is its own function (routes.ts: share-open); the tenant's routes are the shares function's.
  const opening = method === 'GET' && opts.token !== undefined;
  const res = opening ? await shareOpenHandler(event, lambdaContext('share-open')) : await handler(event, lambdaContext('shares'));
  return res.statusCode === 302 ? { statusCode: 302, headers: res.headers ?? {}, body: res.body } : parseResponse(res);
}

/** Opens a link as an anonymous visitor (the public route has no authorizer). */
const open = (token: string, headers?: Record<string, string>) => call(undefined, 'GET', { token, headers });


/** A file as the fileService leaves it: file item, version 1 item and the object in the bucket. */
async function seedFile(identity: Identity, opts: { name?: string; status?: string; content?: string } = {}): Promise<string> {
  const tenantId = identity.tenantId!;
  const id = randomUUID();
  const content = opts.content ?? `content of ${id}`;
  const key = objectKey(tenantId, id, 1);
  await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentType: 'text/plain' }));
  const now = new Date().toISOString();
  const status = opts.status ?? 'AVAILABLE';
  await doc.send(new PutCommand({
    TableName: process.env.TABLE_NAME,
    Item: { ...fileKey(tenantId, id), type: 'FILE', id, name: opts.name ?? 'report.txt', contentType: 'text/plain', size: content.length, currentVersion: 1, latestVersion: 1, status, createdAt: now, updatedAt: now },
  }));
  await doc.send(new PutCommand({
    TableName: process.env.TABLE_NAME,
    Item: { ...versionKey(tenantId, id, 1), type: 'VERSION', fileId: id, version: 1, objectKey: key, contentType: 'text/plain', size: content.length, status, createdAt: now },
  }));
  return id;
}

async function share(identity: Identity, body: Record<string, unknown>): Promise<string> {
  const res = await call(identity, 'POST', { body });
  expect(res.statusCode).toBe(201);
  return res.body.token;
}

const stored = async (identity: Identity, token: string) =>
  (await doc.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: shareKey(identity.tenantId!, token) }))).Item;

describe('create', () => {
  let fileId: string;
  beforeAll(async () => {
    fileId = await seedFile(A);
  });

  test.each([
    ['no fileId', {}, /body\.fileId: must be a UUID/],
    ['a fileId that is not a UUID', { fileId: '../etc/passwd' }, /body\.fileId: must be a UUID/],
  ])('POST with %s is a 400 that says what is wrong', async (_case, body, message) => {
    expectError(await call(A, 'POST', { body }), 400, 'VALIDATION_FAILED', message);
  });

  test.each([
    ['expiresInHours 0', { expiresInHours: 0 }, /body\.expiresInHours: must be a whole number from 1 to 720/],
    ['expiresInHours 721', { expiresInHours: 721 }, /body\.expiresInHours: must be a whole number from 1 to 720/],
    ['fractional expiresInHours', { expiresInHours: 1.5 }, /body\.expiresInHours: must be a whole number from 1 to 720/],
    ['expiresInHours as a string', { expiresInHours: '24' }, /body\.expiresInHours: must be a whole number from 1 to 720/],
    ['a 7-character password', { password: 'short12' }, /body\.password: must be at least 8 characters/],
    ['a 129-character password', { password: 'p'.repeat(129) }, /body\.password: must be at most 128 characters/],
    ['a password of the wrong type', { password: 12345678 }, /body\.password: must be a string/],
    ['maxDownloads 0', { maxDownloads: 0 }, /body\.maxDownloads: must be a whole number from 1 to 10000/],
    ['maxDownloads 10001', { maxDownloads: 10_001 }, /body\.maxDownloads: must be a whole number from 1 to 10000/],
    ['an unknown field', { tenantId: 'tenant-b' }, /tenantId/],
  ])('POST with %s (and a valid file) is a 400 that says what is wrong and creates nothing', async (_case, body, message) => {
    expectError(await call(A, 'POST', { body: { fileId, ...body } }), 400, 'VALIDATION_FAILED', message);
    expect((await call(A, 'GET')).body.shares.filter((s: any) => s.fileId === fileId)).toHaveLength(0);
  });

  test('malformed JSON and a missing body are 400s; anonymous calls 401; PUT 405', async () => {
    expectError(await call(A, 'POST', { body: '{"fileId": ' }), 400, 'MALFORMED_JSON');
    expectError(await call(A, 'POST'), 400, 'BODY_REQUIRED');
    expectError(await call(undefined, 'POST', { body: { fileId } }), 401, 'UNAUTHORIZED');
    expectError(await call(A, 'PUT', { body: { fileId } }), 405, 'METHOD_NOT_ALLOWED');
  });

  test('a link with the defaults: 24 hours, no password, no limit', async () => {
    const before = Date.now();
    const res = await call(A, 'POST', { body: { fileId } });
    expect(res.statusCode).toBe(201);
    expect(res.body).toEqual({ token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), url: `/api/shares/${res.body.token}`, fileId, expiresAt: expect.any(String), passwordProtected: false });
    const expires = Date.parse(res.body.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 24 * 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);

    const item = await stored(A, res.body.token);
    expect(item).toMatchObject({ fileId, tenantId: 'tenant-a', downloadCount: 0, gsi4pk: `SHARE#${res.body.token}`, expiresAt: Date.parse(res.body.expiresAt) / 1000 });
    expect(item?.passwordHash).toBeUndefined();
    expect(item?.maxDownloads).toBeUndefined();
  });

  test('a password is stored only as a salted scrypt hash', async () => {
    const res = await call({ ...A, groups: ['admin'] }, 'POST', { body: { fileId, password: 'correct horse', expiresInHours: 720, maxDownloads: 3 } });
    expect(res.body).toMatchObject({ passwordProtected: true, maxDownloads: 3 });
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now() + 719 * 3600_000);
    const item = await stored(A, res.body.token);
    expect(item?.passwordHash).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(item)).not.toContain('correct horse');
    // Same password, another link: another salt, another hash.
    const other = await stored(A, (await call(A, 'POST', { body: { fileId, password: 'correct horse' } })).body.token);
    expect(other?.passwordHash).not.toBe(item?.passwordHash);
  });

  test('only AVAILABLE files of the caller\'s tenant can be shared (404 otherwise)', async () => {
    expectError(await call(A, 'POST', { body: { fileId: randomUUID() } }), 404, 'NOT_FOUND', /not found/);
    const pending = await seedFile(A, { status: 'PENDING' });
    expectError(await call(A, 'POST', { body: { fileId: pending } }), 404, 'NOT_FOUND', /not available for sharing/);
    const quarantined = await seedFile(A, { status: 'QUARANTINED' });
    expectError(await call(A, 'POST', { body: { fileId: quarantined } }), 404, 'NOT_FOUND', /not available for sharing/);
    // Tenant B cannot share tenant A's file: to B it does not exist.
    expectError(await call(B, 'POST', { body: { fileId } }), 404, 'NOT_FOUND', /not found/);
  });
});

describe('list and revoke', () => {
  const L: Identity = { tenantId: 'tenant-list', sub: 'user-l' };

  test('lists the tenant\'s links newest first, paginated, without password hashes', async () => {
    const fileId = await seedFile(L, { name: 'listed.txt' });
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      tokens.push(await share(L, { fileId, ...(i === 0 ? { password: 'secret-password', maxDownloads: 2 } : {}) }));
      await new Promise((r) => setTimeout(r, 5)); // distinct creation times
    }
    const newestFirst = [...tokens].reverse();

    const all = await call(L, 'GET');
    expect(all.statusCode).toBe(200);
    expect(all.body.shares.map((s: any) => s.token)).toEqual(newestFirst);
    expect(all.body.nextToken).toBeUndefined();
    expect(all.body.shares[4]).toEqual({
      token: tokens[0],
      url: `/api/shares/${tokens[0]}`,
      fileId,
      fileName: 'listed.txt',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      maxDownloads: 2,
      downloadCount: 0,
      passwordProtected: true,
      status: 'active',
    });
    expect(JSON.stringify(all.body)).not.toMatch(/passwordHash|scrypt/);

    const pages: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call(L, 'GET', { query: { limit: '2', ...(nextToken ? { nextToken } : {}) } });
      expect(page.statusCode).toBe(200);
      expect(page.body.shares.length).toBeLessThanOrEqual(2);
      pages.push(...page.body.shares.map((s: any) => s.token));
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(pages).toEqual(newestFirst);

    // Tenant B sees none of them, and cannot page through them with L's token.
    expect((await call(B, 'GET')).body.shares.map((s: any) => s.token)).not.toEqual(expect.arrayContaining([tokens[0]]));
    const firstPage = await call(L, 'GET', { query: { limit: '2' } });
    expectError(await call(B, 'GET', { query: { nextToken: firstPage.body.nextToken } }), 400, 'VALIDATION_FAILED', /query\.nextToken: is not a token of this list/);
  });

  test('list query validation', async () => {
    expectError(await call(L, 'GET', { query: { limit: '0' } }), 400, 'VALIDATION_FAILED', /query\.limit: must be an integer from 1 to 100/);
    expectError(await call(L, 'GET', { query: { limit: '101' } }), 400, 'VALIDATION_FAILED', /query\.limit/);
    expectError(await call(L, 'GET', { query: { nextToken: 'garbage' } }), 400, 'VALIDATION_FAILED', /query\.nextToken/);
    const forged = Buffer.from(JSON.stringify({ pk: tenantPk('tenant-list'), sk: 'FILE#x', gsi3pk: 'TENANT#tenant-list#SHARES', gsi3sk: 'x' })).toString('base64url');
    expectError(await call(L, 'GET', { query: { nextToken: forged } }), 400, 'VALIDATION_FAILED', /query\.nextToken/);
    expectError(await call(L, 'GET', { query: { owner: 'me' } }), 400, 'VALIDATION_FAILED', /owner/);
    expectError(await call(undefined, 'GET'), 401, 'UNAUTHORIZED');
  });

  test('revoke: the link stops working; other tenants cannot revoke it', async () => {
    const fileId = await seedFile(L);
    const token = await share(L, { fileId });
    expectError(await call(B, 'DELETE', { token }), 404, 'NOT_FOUND');
    expect((await open(token)).statusCode).toBe(302); // still works after B's attempt

    expectError(await call(undefined, 'DELETE', { token }), 401, 'UNAUTHORIZED');
    expectError(await call(L, 'DELETE', { token: 'not-a-token' }), 400, 'VALIDATION_FAILED', /path\.token: must be a share link token/);
    const res = await call(L, 'DELETE', { token });
    expect(res.statusCode).toBe(204);
    expect(await stored(L, token)).toBeUndefined();
    expectError(await open(token), 404, 'NOT_FOUND');
    expectError(await call(L, 'DELETE', { token }), 404, 'NOT_FOUND');
    expect((await call(L, 'GET')).body.shares.map((s: any) => s.token)).not.toContain(token);
  });
});

describe('role model: revoking is for the link\'s creator or a tenant admin; members share for a week at most', () => {
  const OWNER: Identity = { tenantId: 'tenant-share-roles', sub: 'user-owner', groups: ['member'] };
  const OTHER: Identity = { tenantId: 'tenant-share-roles', sub: 'user-other', groups: ['member'] };
  const ADMIN: Identity = { tenantId: 'tenant-share-roles', sub: 'user-admin', groups: ['admin'] };
  let fileId: string;
  beforeAll(async () => {
    fileId = await seedFile(OWNER);
  });

  test('another member may not revoke the link: 403, the link unchanged and still working; its creator may', async () => {
    const token = await share(OWNER, { fileId });
    const before = await stored(OWNER, token);
    expectError(await call(OTHER, 'DELETE', { token }), 403, 'FORBIDDEN', /creator or a tenant admin/);
    expect(await stored(OWNER, token)).toEqual(before);
    expect((await open(token)).statusCode).toBe(302);
    expect((await call(OWNER, 'DELETE', { token })).statusCode).toBe(204);
    expect(await stored(OWNER, token)).toBeUndefined();
  });

  test('an admin may revoke any member\'s link; a missing link is still a 404 for everybody', async () => {
    const token = await share(OWNER, { fileId });
    expect((await call(ADMIN, 'DELETE', { token })).statusCode).toBe(204);
    expectError(await open(token), 404, 'NOT_FOUND');
    expectError(await call(OTHER, 'DELETE', { token }), 404, 'NOT_FOUND');
    expectError(await call(ADMIN, 'DELETE', { token }), 404, 'NOT_FOUND');
  });

  test('a member\'s link lives at most MEMBER_MAX_EXPIRY_HOURS; an admin\'s up to MAX_EXPIRY_HOURS', async () => {
    expect(MEMBER_MAX_EXPIRY_HOURS).toBeLessThan(MAX_EXPIRY_HOURS);
    const count = async () => (await call(ADMIN, 'GET')).body.shares.length;
    const before = await count();
    expectError(await call(OTHER, 'POST', { body: { fileId, expiresInHours: MEMBER_MAX_EXPIRY_HOURS + 1 } }), 400, 'VALIDATION_FAILED',
      new RegExp(`body\\.expiresInHours: must be at most ${MEMBER_MAX_EXPIRY_HOURS} hours for members`));
    expect(await count()).toBe(before);
    const week = await call(OTHER, 'POST', { body: { fileId, expiresInHours: MEMBER_MAX_EXPIRY_HOURS } });
    expect(week.statusCode).toBe(201);
    const month = await call(ADMIN, 'POST', { body: { fileId, expiresInHours: MAX_EXPIRY_HOURS } });
    expect(month.statusCode).toBe(201);
    expect(Date.parse(month.body.expiresAt)).toBeGreaterThan(Date.now() + (MAX_EXPIRY_HOURS - 1) * 3600_000);
  });
});

describe('open (public)', () => {
  const O: Identity = { tenantId: 'tenant-open', sub: 'user-o' };

  test('redirects an anonymous visitor to a short-lived download of the current version', async () => {
    const fileId = await seedFile(O, { name: 'Quarterly "Q1" réport.txt', content: 'the shared bytes' });
    const token = await share(O, { fileId });
    const res = await open(token);
    expect(res.statusCode).toBe(302);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const location = new URL(String(res.headers.location));
    expect(location.origin).toBe(emu.endpoint);
    expect(location.pathname).toBe(`/${bucket}/${objectKey('tenant-open', fileId, 1)}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('60');

    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('the shared bytes');
    expect(download.headers.get('content-disposition')).toBe(
      'attachment; filename="Quarterly _Q1_ r_port.txt"; filename*=UTF-8\'\'Quarterly%20%22Q1%22%20r%C3%A9port.txt',
    );

    expect((await stored(O, token))?.downloadCount).toBe(1);
    // The open is recorded in the tenant's analytics (anonymous: no user).
    const events = await doc.send(new QueryCommand({
      TableName: process.env.TABLE_NAME,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': tenantPk('tenant-open'), ':e': 'EVENT#' },
    }));
    expect(events.Items?.filter((e) => e.fileId === fileId)).toEqual([expect.objectContaining({ eventType: 'share_opened' })]);
    expect(events.Items?.[0].userId).toBeUndefined();
  });

  test('the download uses the file\'s current name and version', async () => {
    const fileId = await seedFile(O, { name: 'old.txt', content: 'v1' });
    const token = await share(O, { fileId });
    const v2 = objectKey('tenant-open', fileId, 2);
    await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: v2, Body: 'v2 bytes' }));
    await doc.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { ...versionKey('tenant-open', fileId, 2), objectKey: v2, status: 'AVAILABLE' } }));
    await doc.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: fileKey('tenant-open', fileId),
      UpdateExpression: 'SET currentVersion = :v, latestVersion = :v, #n = :n',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':v': 2, ':n': 'new.txt' },
    }));
    const download = await fetch(String((await open(token)).headers.location));
    expect(await download.text()).toBe('v2 bytes');
    expect(download.headers.get('content-disposition')).toContain('filename="new.txt"');
  });

  test('token format is checked before any lookup; unknown tokens are 404', async () => {
    for (const bad of ['short', `${'A'.repeat(42)}=`, `${'A'.repeat(42)}/`, 'A'.repeat(44)]) {
      expectError(await open(bad), 400, 'VALIDATION_FAILED', /path\.token: must be a share link token \(43 base64url characters\)/);
    }
    expectError(await open(MISSING_TOKEN), 404, 'NOT_FOUND', /Share link not found/);
  });

  test('an expired link is 410 Gone even before TTL removes it', async () => {
    const fileId = await seedFile(O);
    const token = await share(O, { fileId });
    await doc.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: shareKey('tenant-open', token),
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }));
    expectError(await open(token), 410, 'SHARE_EXPIRED', /expired/);
    expect((await stored(O, token))?.downloadCount).toBe(0);
    expect((await call(O, 'GET')).body.shares.find((s: any) => s.token === token).status).toBe('expired');
  });

  test('password: missing and wrong get the same 401; the right one (any header case) redirects', async () => {
    const fileId = await seedFile(O);
    const token = await share(O, { fileId, password: 'open sesame 123' });
    const missing = await open(token);
    const wrong = await open(token, { 'x-share-password': 'open sesame 124' });
    expectError(missing, 401, 'SHARE_PASSWORD_REQUIRED', /x-share-password/);
    expect(wrong).toEqual(missing);
    expectError(await open(token, { 'x-share-password': 'x'.repeat(129) }), 400, 'VALIDATION_FAILED', /headers\.x-share-password: must be at most 128 characters/);
    expect((await stored(O, token))?.downloadCount).toBe(0);

    expect((await open(token, { 'x-share-password': 'open sesame 123' })).statusCode).toBe(302);
    expect((await open(token, { 'X-Share-Password': 'open sesame 123' })).statusCode).toBe(302);
    expect((await stored(O, token))?.downloadCount).toBe(2);
  });

  test('download limit: counted per open, then 410', async () => {
    const fileId = await seedFile(O);
    const token = await share(O, { fileId, maxDownloads: 2 });
    expect((await open(token)).statusCode).toBe(302);
    expect((await open(token)).statusCode).toBe(302);
    expectError(await open(token), 410, 'SHARE_EXHAUSTED', /download limit/);
    expect((await stored(O, token))?.downloadCount).toBe(2);
    expect((await call(O, 'GET')).body.shares.find((s: any) => s.token === token)).toMatchObject({ status: 'exhausted', downloadCount: 2 });
  });

  test('concurrent opens of a link with one download left: exactly one redirect', async () => {
    const fileId = await seedFile(O);
    const token = await share(O, { fileId, maxDownloads: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => open(token)));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([302, 410, 410, 410, 410, 410, 410, 410, 410, 410]);
    for (const r of results.filter((x) => x.statusCode === 410)) expect(r.body.error.code).toBe('SHARE_EXHAUSTED');
    expect((await stored(O, token))?.downloadCount).toBe(1);
  });

  test('a link to a file that was deleted or quarantined is 410 and uses no download', async () => {
    const fileId = await seedFile(O);
    const token = await share(O, { fileId, maxDownloads: 5 });
    await doc.send(new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: fileKey('tenant-open', fileId),
      UpdateExpression: 'SET #s = :q',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':q': 'QUARANTINED' },
    }));
    expectError(await open(token), 410, 'SHARE_FILE_UNAVAILABLE');
    expect((await stored(O, token))?.downloadCount).toBe(0);
  });

  test('the link reads the file of its own tenant only', async () => {
    // A link item of tenant B pointing at tenant A's file id: the file is looked up in B's partition.
    const aFile = await seedFile(A);
    const token = 'B'.repeat(43);
    await doc.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { ...shareKey('tenant-b', token), token, tenantId: 'tenant-b', fileId: aFile, fileName: 'x', createdAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600, downloadCount: 0, gsi4pk: `SHARE#${token}` },
    }));
    expectError(await open(token), 410, 'SHARE_FILE_UNAVAILABLE');
    // And the public route uses the ShareLinks index, as the handler declares.
    expect(GSI.shareLinks).toBe('ShareLinks');
  });
});

describe('names that are not well-formed text', () => {
  test('a stored name with a lone surrogate still downloads, and a failed open never uses up the link', async () => {
    // Written before names had to be well-formed (the API refuses such names now).
    const fileId = await seedFile(A, { name: 'c\ud800d.txt' });
    const token = await share(A, { fileId, maxDownloads: 1 });
    const res = await open(token);
    expect(res.statusCode).toBe(302);
    expect(String(res.headers.location)).toContain('X-Amz-Signature');
    expect((await stored(A, token))!.downloadCount).toBe(1);
  });
});

describe('password guessing', () => {
  const G: Identity = { tenantId: 'tenant-guess', sub: 'user-g' };

  test(`after ${MAX_PASSWORD_FAILURES} wrong passwords the link is locked, before any hashing, even for the right one`, async () => {
    const fileId = await seedFile(G);
    const token = await share(G, { fileId, password: 'the right password' });
    for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) {
      expectError(await open(token, { 'X-Share-Password': `guess number ${i}` }), 401, 'SHARE_PASSWORD_REQUIRED');
    }
    const hashing = jest.spyOn(sharePassword, 'verifySharePassword');
    const locked = await open(token, { 'X-Share-Password': 'the right password' });
    expectError(locked, 429, 'SHARE_LOCKED', /too many wrong passwords/);
    expect(hashing).not.toHaveBeenCalled();
    hashing.mockRestore();
    expect((await stored(G, token))!.downloadCount).toBe(0);

    // The lock ends; a right password then clears the count.
    await doc.send(new UpdateCommand({ TableName: process.env.TABLE_NAME, Key: shareKey(G.tenantId!, token), UpdateExpression: 'SET lockedUntil = :past', ExpressionAttributeValues: { ':past': 1 } }));
    expect((await open(token, { 'X-Share-Password': 'the right password' })).statusCode).toBe(302);
    expect((await stored(G, token))!.failedPasswordAttempts ?? 0).toBe(0);
  });

  test('an expired or used-up protected link says so only to someone who knows the password', async () => {
    const fileId = await seedFile(G);
    const token = await share(G, { fileId, password: 'the right password' });
    await doc.send(new UpdateCommand({ TableName: process.env.TABLE_NAME, Key: shareKey(G.tenantId!, token), UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': 1 } }));
    expectError(await open(token), 401, 'SHARE_PASSWORD_REQUIRED');
    expectError(await open(token, { 'X-Share-Password': 'the right password' }), 410, 'SHARE_EXPIRED');
  });
});
