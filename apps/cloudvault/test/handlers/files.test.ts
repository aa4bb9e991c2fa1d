import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { createHash, randomBytes, randomUUID } from 'crypto';
import { CompleteMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { handler } from '../../handlers/files.lambda';
import { handler as foldersHandler } from '../../handlers/folders.lambda';
import * as keys from '../../handlers/lib/keys';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const FILES = '/api/files';
const FILE = '/api/files/{id}';
const UPLOAD = '/api/files/{id}/upload';
const VERSIONS = '/api/files/{id}/versions';
const MiB = 1024 ** 2;
const MISSING = '00000000-0000-4000-8000-000000000000';

let services: HandlerServices;
let emu: S3Emulator;
let doc: DynamoDBDocumentClient;
let table: string;
let bucket: string;
const createdObjects: string[] = [];

beforeAll(async () => {
  services = await startHandlerServices({ s3: true });
  ({ s3: emu, table, bucket, doc } = services as Required<HandlerServices>);
  emu.onObjectCreated((_bucket, key) => createdObjects.push(key));
}, 60_000);
afterAll(async () => services?.stop());

// ------------------------------------------------------------------------------------ helpers

interface CallOptions {
  readonly id?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

async function call(identity: Identity | undefined, method: string, resource: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event = apiEvent({
    method,
    resource,
    pathParameters: opts.id === undefined ? undefined : { id: opts.id },
    body: opts.body,
    query: opts.query,
    identity,
  });
  if (opts.headers) event.headers = { ...event.headers, ...opts.headers };
  return parseResponse(await handler(event, lambdaContext('files')));
}

async function folders(identity: Identity, method: string, opts: Omit<CallOptions, 'headers'> = {}): Promise<ParsedResponse> {
  const event = apiEvent({
    method,
    resource: opts.id === undefined ? '/api/folders' : '/api/folders/{id}',
    pathParameters: opts.id === undefined ? undefined : { id: opts.id },
    body: opts.body,
    query: opts.query,
    identity,
  });
  return parseResponse(await foldersHandler(event, lambdaContext('folders')));
}

async function createFolder(identity: Identity, name: string, parentId?: string): Promise<string> {
  const res = await folders(identity, 'POST', { body: { name, parentId } });
  expect(res.statusCode).toBe(201);
  return res.body.id;
}

const childCount = async (identity: Identity, folderId: string): Promise<number> => (await folders(identity, 'GET', { id: folderId })).body.childCount;


interface StartOptions {
  readonly folderId?: string;
  readonly contentType?: string;
  readonly fileId?: string;
  readonly key?: string;
}

/** POST /api/files; expects 201. */
async function startUpload(identity: Identity, name: string | undefined, size: number, opts: StartOptions = {}): Promise<any> {
  const res = await call(identity, 'POST', FILES, {
    body: { name, size, contentType: opts.contentType ?? 'text/plain', folderId: opts.folderId, fileId: opts.fileId },
    headers: opts.key ? { 'Idempotency-Key': opts.key } : undefined,
  });
  expect(res.statusCode).toBe(201);
  return res.body;
}

/** PUT to a presigned URL, as a browser or CLI would. */
async function putTo(instructions: { url: string; headers: Record<string, string> }, content: Buffer): Promise<Response> {
  return fetch(instructions.url, { method: 'PUT', body: content, headers: instructions.headers });
}

/** A complete small upload: POST, then PUT of the bytes. Returns the POST response body. */
async function upload(identity: Identity, name: string | undefined, content: Buffer | string, opts: StartOptions = {}): Promise<any> {
  const bytes = Buffer.from(content);
  const started = await startUpload(identity, name, bytes.length, opts);
  expect(started.upload.method).toBe('PUT');
  expect((await putTo(started.upload, bytes)).status).toBe(200);
  return started;
}

/** Uploads every part of a multipart upload; returns the parts list for completion. */
async function uploadParts(started: any, data: Buffer): Promise<{ partNumber: number; etag: string }[]> {
  const parts = [];
  let offset = 0;
  for (const part of started.upload.parts) {
    const res = await fetch(part.url, { method: 'PUT', body: data.subarray(offset, offset + part.size) });
    expect(res.status).toBe(200);
    parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
    offset += part.size;
  }
  return parts;
}

const item = async (key: keys.Key): Promise<Record<string, any> | undefined> => (await doc.send(new GetCommand({ TableName: table, Key: key }))).Item;

async function objectBytes(key: string): Promise<Buffer> {
  const res = await emu.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await emu.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/**
 * What the fileProcessor does for a verified object (its contract, lib/file-items.ts): version
 * AVAILABLE with checksum (and thumbnail), the file's current version when newer, storedBytes.
 */
async function markAvailable(tenantId: string, fileId: string, version: number, opts: { thumbnail?: boolean } = {}): Promise<void> {
  const v = (await item(keys.versionKey(tenantId, fileId, version)))!;
  const bytes = await objectBytes(v.objectKey);
  const checksum = createHash('sha256').update(bytes).digest('hex');
  const thumb = opts.thumbnail ? keys.thumbnailKey(tenantId, fileId, version) : undefined;
  if (thumb) await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: thumb, Body: Buffer.from('RIFF....WEBP'), ContentType: 'image/webp' }));
  const thumbSet = thumb ? ', thumbnailKey = :thumb' : '';
  const thumbValue = thumb ? { ':thumb': thumb } : {};
  await doc.send(new UpdateCommand({
    TableName: table,
    Key: keys.versionKey(tenantId, fileId, version),
    UpdateExpression: `SET #status = :available, checksum = :checksum, #size = :size, processedAt = :now${thumbSet}`,
    ExpressionAttributeNames: { '#status': 'status', '#size': 'size' },
    ExpressionAttributeValues: { ':available': 'AVAILABLE', ':checksum': checksum, ':size': bytes.length, ':now': new Date().toISOString(), ...thumbValue },
  }));
  const file = (await item(keys.fileKey(tenantId, fileId)))!;
  if (version > file.currentVersion) {
    await doc.send(new UpdateCommand({
      TableName: table,
      Key: keys.fileKey(tenantId, fileId),
      UpdateExpression: `SET #status = :available, currentVersion = :version, #size = :size, checksum = :checksum, contentType = :type${thumbSet}`,
      ExpressionAttributeNames: { '#status': 'status', '#size': 'size' },
      ExpressionAttributeValues: { ':available': 'AVAILABLE', ':version': version, ':size': bytes.length, ':checksum': checksum, ':type': v.contentType, ...thumbValue },
    }));
  }
  // The reservation made when the upload started becomes stored bytes (usedBytes stays).
  const reserved = typeof v.reservedBytes === 'number' ? v.reservedBytes : 0;
  await doc.send(new UpdateCommand({
    TableName: table,
    Key: keys.tenantKey(tenantId),
    UpdateExpression: reserved > 0 ? 'ADD storedBytes :size, reservedBytes :release, usedBytes :delta' : 'ADD storedBytes :size',
    ExpressionAttributeValues: reserved > 0 ? { ':size': bytes.length, ':release': -reserved, ':delta': bytes.length - reserved } : { ':size': bytes.length },
  }));
}

const storedBytes = async (tenantId: string): Promise<number> => (await item(keys.tenantKey(tenantId)))?.storedBytes ?? 0;

async function setTenant(tenantId: string, profile: Record<string, unknown>): Promise<void> {
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.tenantKey(tenantId), ...profile } }));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const names = (res: ParsedResponse): string[] => res.body.files.map((f: any) => f.name);

// ------------------------------------------------------------------------------------ validation

describe('validation', () => {
  const V: Identity = { tenantId: 'tenant-valid', sub: 'user-v' };

  test.each([
    ['a missing name', { size: 10, contentType: 'text/plain' }, /body\.name: is required/],
    ['an empty name', { name: '', size: 10, contentType: 'text/plain' }, /body\.name: must not be empty/],
    ['a "/" in the name', { name: '../etc/passwd', size: 10, contentType: 'text/plain' }, /body\.name: must not contain "\/"/],
    ['a name over 255 characters', { name: 'x'.repeat(256), size: 10, contentType: 'text/plain' }, /body\.name: must be at most 255 characters/],
    ['a missing size', { name: 'a.txt', contentType: 'text/plain' }, /body\.size: is required/],
    ['a size of 0', { name: 'a.txt', size: 0, contentType: 'text/plain' }, /body\.size: must be at least 1 byte/],
    ['a fractional size', { name: 'a.txt', size: 1.5, contentType: 'text/plain' }, /body\.size: must be a whole number of bytes/],
    ['a size as a string', { name: 'a.txt', size: '10', contentType: 'text/plain' }, /body\.size: must be a number/],
    ['a size over 5 GiB', { name: 'a.txt', size: 5 * 1024 ** 3 + 1, contentType: 'text/plain' }, /body\.size: must be at most 5368709120 bytes \(5 GiB\)/],
    ['a missing content type', { name: 'a.txt', size: 10 }, /body\.contentType: is required/],
    ['a content type that is not allowed', { name: 'a.exe', size: 10, contentType: 'application/x-msdownload' }, /body\.contentType: must be one of image\/jpeg, .*application\/json/],
    ['a folderId that is not a UUID', { name: 'a.txt', size: 10, contentType: 'text/plain', folderId: 'ROOT' }, /body\.folderId: must be a UUID/],
    ['a fileId that is not a UUID', { size: 10, contentType: 'text/plain', fileId: '../x' }, /body\.fileId: must be a UUID/],
    ['a tenantId in the body', { name: 'a.txt', size: 10, contentType: 'text/plain', tenantId: 'tenant-b' }, /tenantId/],
  ])('POST with %s is a 400 that says what is wrong', async (_case, body, message) => {
    expectError(await call(V, 'POST', FILES, { body }), 400, 'VALIDATION_FAILED', message);
  });

  test('malformed JSON, a missing body and a bad Idempotency-Key are 400s', async () => {
    expectError(await call(V, 'POST', FILES, { body: '{"name": ' }), 400, 'MALFORMED_JSON', /not valid JSON/);
    expectError(await call(V, 'POST', FILES), 400, 'BODY_REQUIRED');
    const body = { name: 'k.txt', size: 1, contentType: 'text/plain' };
    expectError(await call(V, 'POST', FILES, { body, headers: { 'Idempotency-Key': 'has space' } }), 400, 'VALIDATION_FAILED',
      /headers\.Idempotency-Key: must be visible ASCII characters without spaces/);
    expectError(await call(V, 'POST', FILES, { body, headers: { 'idempotency-key': 'k'.repeat(256) } }), 400, 'VALIDATION_FAILED',
      /headers\.Idempotency-Key: must be at most 255 characters/);
    // None of the rejected requests wrote anything.
    expect((await call(V, 'GET', FILES)).body.count).toBe(0);
  });

  test.each([
    [{ limit: '0' }, /query\.limit: must be a whole number from 1 to 100/],
    [{ limit: '101' }, /query\.limit: must be a whole number from 1 to 100/],
    [{ limit: 'ten' }, /query\.limit: must be a whole number from 1 to 100/],
    [{ folderId: 'nope' }, /query\.folderId: must be a folder id \(UUID\) or "ROOT"/],
    [{ type: 'png' }, /query\.type: must be a content type \("image\/png"\) or a type prefix ending in "\/" \("image\/"\)/],
    [{ status: 'DELETED' }, /query\.status: must be one of PENDING, AVAILABLE, QUARANTINED/],
    [{ from: 'yesterday' }, /query\.from: must be an ISO 8601 date \(2026-01-31\) or date-time/],
    [{ to: '2026-02-30' }, /query\.to: must be an ISO 8601 date/],
    [{ from: '2026-03-01', to: '2026-02-01' }, /query\.from: must not be after "to"/],
    [{ nextToken: 'garbage' }, /query\.nextToken: is not a valid page token for this listing/],
    [{ sort: 'name' }, /sort/],
  ])('GET with query %j is a 400 that says what is wrong', async (query, message) => {
    expectError(await call(V, 'GET', FILES, { query }), 400, 'VALIDATION_FAILED', message);
  });

  test('paths, PATCH, complete, abort and restore inputs are validated', async () => {
    expectError(await call(V, 'GET', FILE, { id: 'not-a-uuid' }), 400, 'VALIDATION_FAILED', /path\.id: must be a UUID/);
    expectError(await call(V, 'DELETE', FILE, { id: '../../etc' }), 400, 'VALIDATION_FAILED', /path\.id: must be a UUID/);
    const { file } = await upload(V, 'validated.txt', 'data');
    const id = file.id;
    expectError(await call(V, 'PATCH', FILE, { id, body: {} }), 400, 'VALIDATION_FAILED', /provide "name" and\/or "folderId"/);
    expectError(await call(V, 'PATCH', FILE, { id, body: { folderId: 'x' } }), 400, 'VALIDATION_FAILED', /body\.folderId: must be a UUID/);
    expectError(await call(V, 'PATCH', FILE, { id, body: { name: 'a\\b' } }), 400, 'VALIDATION_FAILED', /body\.name: must not contain/);
    expectError(await call(V, 'PATCH', FILE, { id, body: { name: 'ok', size: 3 } }), 400, 'VALIDATION_FAILED', /size/);
    // `parts` is optional (the server can list them), but the body is still validated.
    expectError(await call(V, 'POST', UPLOAD, { id, body: { parts: 'all' } }), 400, 'VALIDATION_FAILED', /body\.parts: must be an array/);
    expectError(await call(V, 'POST', UPLOAD, { id, body: { version: 1, extra: true } }), 400, 'VALIDATION_FAILED', /extra/);
    expectError(await call(V, 'POST', UPLOAD, { id, body: {} }), 409, 'NOT_MULTIPART');
    expectError(await call(V, 'POST', UPLOAD, { id, body: { parts: [] } }), 400, 'VALIDATION_FAILED', /body\.parts: must list the uploaded parts/);
    expectError(await call(V, 'POST', UPLOAD, { id, body: { parts: [{ partNumber: 0, etag: '"x"' }] } }), 400, 'VALIDATION_FAILED', /body\.parts\.0\.partNumber: must be at least 1/);
    expectError(await call(V, 'POST', UPLOAD, { id, body: { parts: [{ partNumber: 1, etag: '' }] } }), 400, 'VALIDATION_FAILED', /body\.parts\.0\.etag: must not be empty/);
    expectError(await call(V, 'DELETE', UPLOAD, { id, query: { version: 'latest' } }), 400, 'VALIDATION_FAILED', /query\.version: must be a version number/);
    expectError(await call(V, 'POST', VERSIONS, { id, body: {} }), 400, 'VALIDATION_FAILED', /body\.version: is required/);
    expectError(await call(V, 'POST', VERSIONS, { id, body: { version: 0 } }), 400, 'VALIDATION_FAILED', /body\.version: must be at least 1/);
    expectError(await call(V, 'POST', VERSIONS, { id, body: { version: 'one' } }), 400, 'VALIDATION_FAILED', /body\.version: must be a number/);
    // Nothing changed by the rejected requests.
    expect((await call(V, 'GET', FILE, { id })).body).toMatchObject({ name: 'validated.txt', latestVersion: 1 });
  });

  test('anonymous calls are 401, unknown methods 405', async () => {
    expectError(await call(undefined, 'GET', FILES), 401, 'UNAUTHORIZED');
    expectError(await call(V, 'PUT', FILES), 405, 'METHOD_NOT_ALLOWED');
    expectError(await call(V, 'PATCH', UPLOAD, { id: MISSING }), 405, 'METHOD_NOT_ALLOWED');
  });

  test('unknown ids are 404 on every route', async () => {
    expectError(await call(V, 'GET', FILE, { id: MISSING }), 404, 'NOT_FOUND', /File .* not found/);
    expectError(await call(V, 'GET', VERSIONS, { id: MISSING }), 404, 'NOT_FOUND');
    expectError(await call(V, 'POST', FILES, { body: { name: 'x.txt', size: 1, contentType: 'text/plain', folderId: MISSING } }), 404, 'NOT_FOUND', /Folder .* not found/);
    expectError(await call(V, 'POST', FILES, { body: { size: 1, contentType: 'text/plain', fileId: MISSING } }), 404, 'NOT_FOUND', /File .* not found/);
    expectError(await call(V, 'GET', FILES, { query: { folderId: MISSING } }), 404, 'NOT_FOUND', /Folder .* not found/);
  });
});

// ------------------------------------------------------------------------------------ uploads

describe('uploads', () => {
  const U: Identity = { tenantId: 'tenant-up', sub: 'user-u' };

  test('a small file: one presigned PUT (type and length signed), then a download URL once verified', async () => {
    const content = Buffer.from('hello cloudvault\n');
    const started = await startUpload(U, 'hello.txt', content.length);
    const { file, version, upload: up } = started;
    expect(file).toMatchObject({ name: 'hello.txt', folderId: null, status: 'PENDING', currentVersion: 0, latestVersion: 1, size: content.length, contentType: 'text/plain', createdBy: 'user-u' });
    expect(version).toMatchObject({ version: 1, status: 'PENDING', size: content.length, contentType: 'text/plain', multipart: false });
    expect(up).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'text/plain' } });

    const objectKey = keys.objectKey(U.tenantId!, file.id, 1);
    const url = new URL(up.url);
    expect(decodeURIComponent(url.pathname)).toBe(`/${bucket}/${objectKey}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;if-none-match');
    // The SDK's default would sign the CRC32 of an empty body here, which S3 rejects for any real upload.
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);

    expect((await putTo(up, content)).status).toBe(200);
    await until(() => createdObjects.includes(objectKey), 'the object-created event');
    expect(await objectBytes(objectKey)).toEqual(content);

    // Metadata as the processor will find it.
    expect(await item(keys.versionKey(U.tenantId!, file.id, 1))).toMatchObject({ fileId: file.id, version: 1, objectKey, status: 'PENDING', size: content.length, contentType: 'text/plain' });
    expect(await item(keys.nameGuardKey(U.tenantId!, undefined, 'HELLO.txt'))).toMatchObject({ kind: 'FILE', targetId: file.id });

    // Not downloadable until verified.
    const pending = await call(U, 'GET', FILE, { id: file.id });
    expect(pending.body).toMatchObject({ id: file.id, status: 'PENDING', versionCount: 1, download: null, thumbnail: null });

    await markAvailable(U.tenantId!, file.id, 1);
    const res = await call(U, 'GET', FILE, { id: file.id });
    expect(res.body).toMatchObject({ status: 'AVAILABLE', currentVersion: 1, checksum: createHash('sha256').update(content).digest('hex'), thumbnail: null });
    const download = new URL(res.body.download.url);
    expect(download.searchParams.get('X-Amz-Expires')).toBe('300');
    const got = await fetch(res.body.download.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(content);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="hello.txt"; filename*=UTF-8\'\'hello.txt');
  });

  test('download names are encoded safely and thumbnails get their own URL', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);
    const { file } = await upload(U, 'Rapport "final" é;.png', png, { contentType: 'image/png' });
    await markAvailable(U.tenantId!, file.id, 1, { thumbnail: true });
    const res = await call(U, 'GET', FILE, { id: file.id });
    const got = await fetch(res.body.download.url);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="Rapport _final_ _;.png"; filename*=UTF-8\'\'Rapport%20%22final%22%20%C3%A9%3B.png');
    expect(got.headers.get('content-type')).toBe('image/png');
    const thumb = await fetch(res.body.thumbnail.url);
    expect(thumb.status).toBe(200);
    expect(Buffer.from(await thumb.arrayBuffer()).toString()).toBe('RIFF....WEBP');
  });

  test('a 10 MB file: multipart with 2 presigned parts, complete, and a repeated complete is harmless', async () => {
    const size = 10_000_000;
    const data = randomBytes(size);
    const folderId = await createFolder(U, 'Big');
    const started = await startUpload(U, 'video.zip', size, { contentType: 'application/zip', folderId });
    const { file, upload: up } = started;
    expect(started.version).toMatchObject({ version: 1, status: 'PENDING', multipart: true });
    expect(up.method).toBe('MULTIPART');
    expect(up.partSize).toBe(8 * MiB);
    expect(up.parts.map((p: any) => [p.partNumber, p.size])).toEqual([[1, 8 * MiB], [2, size - 8 * MiB]]);
    expect(await childCount(U, folderId)).toBe(1);
    for (const part of up.parts) {
      const url = new URL(part.url);
      expect(url.searchParams.get('uploadId')).toBe(up.uploadId);
      expect(url.searchParams.get('partNumber')).toBe(String(part.partNumber));
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
      expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    }
    expect(await item(keys.versionKey(U.tenantId!, file.id, 1))).toMatchObject({ uploadId: up.uploadId, partSize: 8 * MiB, partCount: 2 });

    const parts = await uploadParts(started, data);
    expectError(await call(U, 'POST', UPLOAD, { id: file.id, body: { parts: [parts[0]] } }), 400, 'VALIDATION_FAILED',
      /body\.parts: must list each of the 2 parts exactly once \(partNumber 1 to 2\); got 1/);

    const objectKey = keys.objectKey(U.tenantId!, file.id, 1);
    const done = await call(U, 'POST', UPLOAD, { id: file.id, body: { parts: [...parts].reverse() } });
    expect(done.statusCode).toBe(200);
    expect(done.body.version).toMatchObject({ version: 1, status: 'PENDING', multipart: true });
    await until(() => createdObjects.includes(objectKey), 'the object-created event');
    const stored = await objectBytes(objectKey);
    expect(stored.length).toBe(size);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await item(keys.versionKey(U.tenantId!, file.id, 1)))!.uploadCompletedAt).toEqual(expect.any(String));

    // A retried complete answers the same; an abort after completion is refused.
    const again = await call(U, 'POST', UPLOAD, { id: file.id, body: { version: 1, parts } });
    expect(again.statusCode).toBe(200);
    expectError(await call(U, 'DELETE', UPLOAD, { id: file.id }), 409, 'UPLOAD_COMPLETED', /already completed/);
  });

  test('abort of a new file: the upload is gone, the file, its name and its place in the folder are freed', async () => {
    const folderId = await createFolder(U, 'Aborts');
    const started = await startUpload(U, 'huge.zip', 9 * MiB, { contentType: 'application/zip', folderId });
    const { file, upload: up } = started;
    expect(await childCount(U, folderId)).toBe(1);
    const first = await fetch(up.parts[0].url, { method: 'PUT', body: randomBytes(up.parts[0].size) });
    expect(first.status).toBe(200);

    const res = await call(U, 'DELETE', UPLOAD, { id: file.id });
    expect(res.statusCode).toBe(200);
    expect(res.body).toEqual({ fileDeleted: true, file: null, version: expect.objectContaining({ version: 1, status: 'ABORTED' }) });
    expectError(await call(U, 'GET', FILE, { id: file.id }), 404, 'NOT_FOUND');
    expect(await item(keys.versionKey(U.tenantId!, file.id, 1))).toBeUndefined();
    expect(await childCount(U, folderId)).toBe(0);
    // The multipart upload no longer exists in S3.
    await expect(emu.client.send(new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: keys.objectKey(U.tenantId!, file.id, 1),
      UploadId: up.uploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.headers.get('etag')! }] },
    }))).rejects.toThrow();
    // The name is free again.
    await startUpload(U, 'huge.zip', 10, { contentType: 'application/zip', folderId });
  });

  test('abort of a new version keeps the file and its current version; complete after abort is refused', async () => {
    const v1 = Buffer.from('version one');
    const { file } = await upload(U, 'kept.txt', v1);
    await markAvailable(U.tenantId!, file.id, 1);

    const started = await startUpload(U, 'kept.txt', 9 * MiB, { fileId: file.id });
    expect(started.file).toMatchObject({ id: file.id, status: 'AVAILABLE', currentVersion: 1, latestVersion: 2 });
    expect(started.version).toMatchObject({ version: 2, status: 'PENDING', multipart: true });
    // The current version stays downloadable while the new one uploads.
    expect(Buffer.from(await (await fetch((await call(U, 'GET', FILE, { id: file.id })).body.download.url)).arrayBuffer())).toEqual(v1);

    const res = await call(U, 'DELETE', UPLOAD, { id: file.id, query: { version: '2' } });
    expect(res.body).toMatchObject({ fileDeleted: false, file: { id: file.id, currentVersion: 1 }, version: { version: 2, status: 'ABORTED' } });
    expect(await item(keys.versionKey(U.tenantId!, file.id, 2))).toMatchObject({ status: 'ABORTED', abortedAt: expect.any(String) });
    expectError(await call(U, 'POST', UPLOAD, { id: file.id, body: { version: 2, parts: [{ partNumber: 1, etag: '"x"' }] } }), 409, 'UPLOAD_ABORTED');
    // Aborting again is harmless; a single-PUT version is not a multipart upload.
    expect((await call(U, 'DELETE', UPLOAD, { id: file.id, query: { version: '2' } })).statusCode).toBe(200);
    expectError(await call(U, 'DELETE', UPLOAD, { id: file.id, query: { version: '1' } }), 409, 'NOT_MULTIPART');
    expectError(await call(U, 'POST', UPLOAD, { id: file.id, body: { version: 1, parts: [{ partNumber: 1, etag: '"x"' }] } }), 409, 'NOT_MULTIPART');
    expectError(await call(U, 'DELETE', UPLOAD, { id: file.id, query: { version: '7' } }), 404, 'NOT_FOUND', /Version 7 of file/);
    expect((await call(U, 'GET', FILE, { id: file.id })).body).toMatchObject({ status: 'AVAILABLE', currentVersion: 1, latestVersion: 2 });
  });

  test('a new version of an existing file: name and folder, when given, must match', async () => {
    const folderId = await createFolder(U, 'Versioned');
    const { file } = await upload(U, 'doc.txt', 'one', { folderId });
    await markAvailable(U.tenantId!, file.id, 1);
    expectError(await call(U, 'POST', FILES, { body: { fileId: file.id, name: 'other.txt', size: 3, contentType: 'text/plain' } }), 409, 'FILE_MISMATCH',
      /is named "doc\.txt", not "other\.txt"/);
    expectError(await call(U, 'POST', FILES, { body: { fileId: file.id, size: 3, contentType: 'text/plain', folderId: MISSING } }), 409, 'FILE_MISMATCH', /is not in folder/);
    const v2 = await upload(U, 'DOC.txt', 'two', { fileId: file.id, folderId });
    expect(v2.version.version).toBe(2);
    expect(await objectBytes(keys.objectKey(U.tenantId!, file.id, 2))).toEqual(Buffer.from('two'));
    // A new version is not a new child of the folder.
    expect(await childCount(U, folderId)).toBe(1);
  });
});

// ------------------------------------------------------------------------------------ limits

describe('tenant limits', () => {
  const Q: Identity = { tenantId: 'tenant-quota', sub: 'user-q' };

  test('the remaining quota, the maximum file size and the allowed types are enforced with the numbers', async () => {
    await setTenant(Q.tenantId!, { quotaBytes: 1000, storedBytes: 900 });
    const quota = await call(Q, 'POST', FILES, { body: { name: 'q.txt', size: 200, contentType: 'text/plain' } });
    expectError(quota, 413, 'QUOTA_EXCEEDED', /^File size 200 bytes exceeds the remaining storage quota: 100 of 1000 bytes left \(900 bytes stored\)$/);
    expect(quota.body.error.details).toEqual({ limit: 'quotaBytes', size: 200, quotaBytes: 1000, storedBytes: 900, remainingBytes: 100 });
    expect((await startUpload(Q, 'fits.txt', 100)).file.size).toBe(100);

    await setTenant(Q.tenantId!, { quotaBytes: 10_000, storedBytes: 0, maxFileBytes: 50 });
    const tooBig = await call(Q, 'POST', FILES, { body: { name: 'big.txt', size: 60, contentType: 'text/plain' } });
    expectError(tooBig, 413, 'FILE_TOO_LARGE', /^File size 60 bytes exceeds this tenant's maximum file size of 50 bytes$/);
    expect(tooBig.body.error.details).toEqual({ limit: 'maxFileBytes', size: 60, maxFileBytes: 50 });

    await setTenant(Q.tenantId!, { allowedContentTypes: ['image/png', 'image/jpeg'] });
    expectError(await call(Q, 'POST', FILES, { body: { name: 't.txt', size: 5, contentType: 'text/plain' } }), 400, 'CONTENT_TYPE_NOT_ALLOWED',
      /^Content type "text\/plain" is not allowed for this tenant; allowed: image\/png, image\/jpeg$/);

    // Refused uploads wrote nothing.
    expect(names(await call(Q, 'GET', FILES))).toEqual(['fits.txt']);
  });

  test('pending uploads reserve their bytes: 5 x 900 bytes against a 1000-byte quota, only 1 is accepted', async () => {
    const R: Identity = { tenantId: 'tenant-reserve', sub: 'user-r' };
    await setTenant(R.tenantId!, { quotaBytes: 1000 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => call(R, 'POST', FILES, { body: { name: `r${i}.txt`, size: 900, contentType: 'text/plain' } })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 413, 413, 413, 413]);
    for (const r of results.filter((x) => x.statusCode === 413)) expectError(r, 413, 'QUOTA_EXCEEDED');
    expect(await item(keys.tenantKey(R.tenantId!))).toMatchObject({ reservedBytes: 900, usedBytes: 900 });

    // Verification turns the reservation into stored bytes; the quota still holds.
    const accepted = results.find((r) => r.statusCode === 201)!.body;
    expect((await putTo(accepted.upload, Buffer.alloc(900, 'a'))).status).toBe(200);
    await markAvailable(R.tenantId!, accepted.file.id, 1);
    expect(await item(keys.tenantKey(R.tenantId!))).toMatchObject({ storedBytes: 900, reservedBytes: 0, usedBytes: 900 });
    expectError(await call(R, 'POST', FILES, { body: { name: 'r6.txt', size: 101, contentType: 'text/plain' } }), 413, 'QUOTA_EXCEEDED');

    // Deleting releases; an aborted multipart upload releases its reservation.
    expect((await call(R, 'DELETE', FILE, { id: accepted.file.id })).statusCode).toBe(200);
    await setTenant(R.tenantId!, { quotaBytes: 20 * MiB, storedBytes: 0, reservedBytes: 0, usedBytes: 0 });
    const big = await startUpload(R, 'big.zip', 9 * MiB, { contentType: 'application/zip' });
    expectError(await call(R, 'POST', FILES, { body: { name: 'big2.zip', size: 12 * MiB, contentType: 'application/zip' } }), 413, 'QUOTA_EXCEEDED');
    expect((await call(R, 'DELETE', UPLOAD, { id: big.file.id })).statusCode).toBe(200);
    expect(await item(keys.tenantKey(R.tenantId!))).toMatchObject({ reservedBytes: 0, usedBytes: 0 });
    expect((await startUpload(R, 'big2.zip', 12 * MiB, { contentType: 'application/zip' })).file.size).toBe(12 * MiB);
  });

  test('without a profile the quota is 10 GiB; a 5 GiB upload gets 640 parts of 8 MiB', async () => {
    const D: Identity = { tenantId: 'tenant-default-quota', sub: 'user-d' };
    const max = await startUpload(D, 'max.zip', 5 * 1024 ** 3, { contentType: 'application/zip' });
    expect(max.upload.partSize).toBe(8 * MiB);
    expect(max.upload.parts).toHaveLength(640);
    expect(max.upload.parts[639].size).toBe(5 * 1024 ** 3 - 639 * 8 * MiB);
    await setTenant(D.tenantId!, { storedBytes: 6 * 1024 ** 3 });
    expectError(await call(D, 'POST', FILES, { body: { name: 'more.zip', size: 5 * 1024 ** 3, contentType: 'application/zip' } }), 413, 'QUOTA_EXCEEDED',
      /4294967296 of 10737418240 bytes left/);
  });
});

// ------------------------------------------------------------------------------------ idempotency

describe('idempotency', () => {
  const I: Identity = { tenantId: 'tenant-idem', sub: 'user-i' };
  const body = { name: 'retry.zip', size: 9 * MiB, contentType: 'application/zip' };

  test('a retried POST with the same Idempotency-Key returns the same file and upload; without a key it is a new request', async () => {
    const key = `upload-${randomUUID()}`;
    const first = await call(I, 'POST', FILES, { body, headers: { 'Idempotency-Key': key } });
    const retry = await call(I, 'POST', FILES, { body, headers: { 'idempotency-key': key } });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body.file.id).toBe(first.body.file.id);
    expect(retry.body.version).toEqual(first.body.version);
    expect(retry.body.upload.uploadId).toBe(first.body.upload.uploadId);
    expect(retry.body.upload.parts).toHaveLength(2);
    expect(names(await call(I, 'GET', FILES))).toEqual(['retry.zip']);

    // Without the header nothing is deduplicated: the same body is a second create (a name conflict here).
    expectError(await call(I, 'POST', FILES, { body }), 409, 'NAME_CONFLICT');
    // The same key with another body is refused, not a silent second upload.
    const other = await call(I, 'POST', FILES, { body: { ...body, name: 'other.zip' }, headers: { 'Idempotency-Key': key } });
    expectError(other, 422, 'IDEMPOTENCY_KEY_REUSED', /different request body/);
    expect(names(await call(I, 'GET', FILES))).toEqual(['retry.zip']);

    // Records live in the table under the operation's partition, hashed, with a TTL.
    const records = await doc.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'idempotency#files.createUpload' },
    }));
    expect(records.Items!.length).toBeGreaterThanOrEqual(1);
    for (const record of records.Items!) {
      expect(record.sk).toMatch(/^files\.createUpload#[A-Za-z0-9+/]{43}=$/); // base64 SHA-256
      expect(record.status).toBe('COMPLETED');
      expect(record.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500);
      expect(JSON.stringify(record)).not.toMatch(/X-Amz-Signature/); // URLs are signed per response, never stored
    }
  });

  test("tenants' equal keys and bodies never meet", async () => {
    const key = `shared-${randomUUID()}`;
    const J: Identity = { tenantId: 'tenant-idem-2', sub: 'user-j' };
    const a = await call(I, 'POST', FILES, { body: { ...body, name: 'same.zip' }, headers: { 'Idempotency-Key': key } });
    const b = await call(J, 'POST', FILES, { body: { ...body, name: 'same.zip' }, headers: { 'Idempotency-Key': key } });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.body.file.id).not.toBe(a.body.file.id);
    expect(names(await call(J, 'GET', FILES))).toEqual(['same.zip']);
    expectError(await call(J, 'GET', FILE, { id: a.body.file.id }), 404, 'NOT_FOUND');
  });

  test('a failed request is not remembered: the retry runs again', async () => {
    const key = `fail-${randomUUID()}`;
    const { file } = await upload(I, 'taken.txt', 'x');
    const request = { body: { name: 'taken.txt', size: 1, contentType: 'text/plain' }, headers: { 'Idempotency-Key': key } };
    expectError(await call(I, 'POST', FILES, request), 409, 'NAME_CONFLICT');
    expect((await call(I, 'DELETE', FILE, { id: file.id })).statusCode).toBe(200);
    expect((await call(I, 'POST', FILES, request)).statusCode).toBe(201);
  });

  test('concurrent requests with one key create one file', async () => {
    const key = `race-${randomUUID()}`;
    const results = await Promise.all([1, 2, 3].map(() => call(I, 'POST', FILES, { body: { ...body, name: 'race.zip' }, headers: { 'Idempotency-Key': key } })));
    const ok = results.filter((r) => r.statusCode === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.file.id)).size).toBe(1);
    for (const r of results.filter((x) => x.statusCode !== 201)) expectError(r, 409, 'IDEMPOTENCY_IN_PROGRESS', /still being processed/);
    expect(names(await call(I, 'GET', FILES, { query: { name: 'race' } }))).toEqual(['race.zip']);
  });

  test('a retried restore with the same key restores once', async () => {
    const { file } = await upload(I, 'restore-once.txt', 'v1');
    await markAvailable(I.tenantId!, file.id, 1);
    const key = `restore-${randomUUID()}`;
    const first = await call(I, 'POST', VERSIONS, { id: file.id, body: { version: 1 }, headers: { 'Idempotency-Key': key } });
    const retry = await call(I, 'POST', VERSIONS, { id: file.id, body: { version: 1 }, headers: { 'Idempotency-Key': key } });
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(retry.body.version.version).toBe(2);
    expect((await call(I, 'GET', VERSIONS, { id: file.id })).body.versions).toHaveLength(2);
  });
});

describe('content types of request bodies', () => {
  const T: Identity = { tenantId: 'tenant-ctype', sub: 'user-t' };
  test.each([['text/plain'], [''], [undefined]])('a JSON body sent as %p is a 415, nothing written', async (contentType) => {
    const event = apiEvent({ method: 'POST', resource: FILES, body: { name: 'typed.txt', size: 1, contentType: 'text/plain' }, identity: T });
    event.headers = contentType === undefined ? {} : { 'Content-Type': contentType };
    expectError(parseResponse(await handler(event, lambdaContext('files'))), 415, 'UNSUPPORTED_MEDIA_TYPE', /must be application\/json/);
    expect(names(await call(T, 'GET', FILES))).toEqual([]);
  });
  test('application/json with a charset is fine', async () => {
    expect((await call(T, 'POST', FILES, { body: { name: 'typed.txt', size: 1, contentType: 'text/plain' }, headers: { 'content-type': 'application/json; charset=utf-8' } })).statusCode).toBe(201);
  });
});

// ------------------------------------------------------------------------------------ large completions

describe('completing the largest multipart upload', () => {
  const L: Identity = { tenantId: 'tenant-large', sub: 'user-l' };

  test('a 640-part completion body (over WAF\'s old 8 KB limit) is parsed and reaches S3; parts never uploaded are an InvalidPart 400, not a crash', async () => {
    const started = await startUpload(L, 'max.zip', 5 * 1024 ** 3, { contentType: 'application/zip' });
    const parts = started.upload.parts.map((p: any) => ({ partNumber: p.partNumber, etag: `"${'0123456789abcdef'.repeat(2)}"` }));
    const body = { version: 1, parts };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(8192);
    expectError(await call(L, 'POST', UPLOAD, { id: started.file.id, body }), 400, 'VALIDATION_FAILED', /S3 refused the parts/);
    // The emulator is still up.
    expect((await call(L, 'DELETE', UPLOAD, { id: started.file.id })).body).toMatchObject({ fileDeleted: true });
  });

  test('without a part list the server lists the uploaded parts itself: the body stays a few bytes for 640 parts', async () => {
    const started = await startUpload(L, 'max-server-side.zip', 5 * 1024 ** 3, { contentType: 'application/zip' });
    expect(started.upload.parts).toHaveLength(640);
    // Nothing uploaded yet: a 409 that says what is missing, and nothing completed.
    const res = await call(L, 'POST', UPLOAD, { id: started.file.id, body: {} });
    expectError(res, 409, 'UPLOAD_INCOMPLETE', /640 of the 640 parts are not uploaded yet \(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, \.\.\.\)/);
    expect(res.body.error.details).toMatchObject({ expectedParts: 640, uploadedParts: 0 });
    expect(await item(keys.versionKey(L.tenantId!, started.file.id, 1))).not.toHaveProperty('uploadCompletedAt');
    expect((await call(L, 'DELETE', UPLOAD, { id: started.file.id })).body).toMatchObject({ fileDeleted: true });
  });

  test('server-side completion: missing parts are a 409 that completes nothing; once all are uploaded, `{}` or no body completes the upload', async () => {
    const data = randomBytes(9 * MiB);
    const started = await startUpload(L, 'two-parts.zip', data.length, { contentType: 'application/zip' });
    expect(started.upload.parts).toHaveLength(2);
    const key = keys.objectKey(L.tenantId!, started.file.id, 1);
    const [first, second] = started.upload.parts;
    expect((await fetch(first.url, { method: 'PUT', body: data.subarray(0, first.size) })).status).toBe(200);
    expectError(await call(L, 'POST', UPLOAD, { id: started.file.id, body: { version: 1 } }), 409, 'UPLOAD_INCOMPLETE', /1 of the 2 parts are not uploaded yet \(2\)/);
    expect(await objectExists(key)).toBe(false);
    expect(await item(keys.versionKey(L.tenantId!, started.file.id, 1))).not.toHaveProperty('uploadCompletedAt');

    expect((await fetch(second.url, { method: 'PUT', body: data.subarray(first.size) })).status).toBe(200);
    const done = await call(L, 'POST', UPLOAD, { id: started.file.id });
    expect(done.statusCode).toBe(200);
    expect(done.body.version.version).toBe(1);
    expect((await objectBytes(key)).equals(data)).toBe(true);
    expect(await item(keys.versionKey(L.tenantId!, started.file.id, 1))).toHaveProperty('uploadCompletedAt');
    // A retry answers the same, without touching S3 again.
    expect((await call(L, 'POST', UPLOAD, { id: started.file.id, body: {} })).statusCode).toBe(200);
  });
});

// ------------------------------------------------------------------------------------ names

describe('names must be well-formed, visible text', () => {
  const N: Identity = { tenantId: 'tenant-names', sub: 'user-n' };

  test.each([
    ['a lone surrogate', 'c\ud800d.txt', /must be well-formed Unicode text/],
    ['a bidi override', 'invoice\u202Efdp.exe', /must not contain bidirectional controls or invisible characters/],
    ['a zero-width space', 'Rep\u200Borts', /must not contain bidirectional controls or invisible characters/],
    ['a byte order mark', '\uFEFFnotes.txt', /must not contain bidirectional controls or invisible characters/],
  ])('a name with %s is a 400, on create and rename', async (_case, name, message) => {
    expectError(await call(N, 'POST', FILES, { body: { name, size: 1, contentType: 'text/plain' } }), 400, 'VALIDATION_FAILED', message);
    const { file } = await startUpload(N, `ok-${randomUUID()}.txt`, 1);
    expectError(await call(N, 'PATCH', FILE, { id: file.id, body: { name } }), 400, 'VALIDATION_FAILED', message);
    expectError(await folders(N, 'POST', { body: { name } }), 400, 'VALIDATION_FAILED', message);
  });

  test('names are stored in NFC: a decomposed "é" is the same name as a composed one', async () => {
    const { file } = await startUpload(N, 'Cafe\u0301.txt', 1);
    expect(file.name).toBe('Caf\u00e9.txt');
    expectError(await call(N, 'POST', FILES, { body: { name: 'Caf\u00e9.txt', size: 1, contentType: 'text/plain' } }), 409, 'NAME_CONFLICT');
  });

  test('a stored name with a lone surrogate (older data) still gets its download URL', async () => {
    const { file } = await upload(N, `legacy-${randomUUID()}.txt`, 'x');
    await markAvailable(N.tenantId!, file.id, 1);
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.fileKey(N.tenantId!, file.id), UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': 'c\ud800d.txt' } }));
    const res = await call(N, 'GET', FILE, { id: file.id });
    expect(res.statusCode).toBe(200);
    expect(res.body.download.url).toContain('X-Amz-Signature');
  });
});

// ------------------------------------------------------------------------------------ immutability

describe('verified bytes cannot be replaced', () => {
  const V: Identity = { tenantId: 'tenant-immutable', sub: 'user-v' };

  test('the upload URL signs If-None-Match: * so it writes once; a second PUT with it is refused', async () => {
    const content = Buffer.from('first and only bytes');
    const started = await startUpload(V, 'once.txt', content.length);
    expect(started.upload.headers).toEqual({ 'Content-Type': 'text/plain', 'If-None-Match': '*' });
    expect(new URL(started.upload.url).searchParams.get('X-Amz-SignedHeaders')).toContain('if-none-match');
    expect((await putTo(started.upload, content)).status).toBe(200);

    const again = await putTo(started.upload, Buffer.from('other bytes, same size'.slice(0, content.length)));
    expect(again.status).toBe(412);
    expect(await objectBytes(keys.objectKey(V.tenantId!, started.file.id, 1))).toEqual(content);
  });

  test('a replayed POST with the same Idempotency-Key signs no new URL once the version left PENDING', async () => {
    const key = `immutable-${randomUUID()}`;
    const request = { body: { name: 'replay.txt', size: 5, contentType: 'text/plain' }, headers: { 'Idempotency-Key': key } };
    const first = await call(V, 'POST', FILES, request);
    expect(first.statusCode).toBe(201);
    // While the version is PENDING a retry gets fresh URLs (how a client recovers a lost answer).
    expect((await call(V, 'POST', FILES, request)).body.upload.method).toBe('PUT');
    expect((await putTo(first.body.upload, Buffer.from('hello'))).status).toBe(200);
    await markAvailable(V.tenantId!, first.body.file.id, 1);

    const replay = await call(V, 'POST', FILES, request);
    expectError(replay, 409, 'UPLOAD_COMPLETED', /already uploaded/);
  });

  test('downloads are pinned to the S3 version id the processor verified', async () => {
    const { file } = await upload(V, 'pinned.txt', 'pinned');
    await markAvailable(V.tenantId!, file.id, 1);
    await doc.send(new UpdateCommand({
      TableName: table,
      Key: keys.versionKey(V.tenantId!, file.id, 1),
      UpdateExpression: 'SET s3VersionId = :v',
      ExpressionAttributeValues: { ':v': 'verified-version-id' },
    }));
    const res = await call(V, 'GET', FILE, { id: file.id });
    expect(new URL(res.body.download.url).searchParams.get('versionId')).toBe('verified-version-id');
  });
});

// ------------------------------------------------------------------------------------ listing

describe('list, filters and pagination', () => {
  const L: Identity = { tenantId: 'tenant-list', sub: 'user-l' };
  let photos: string;
  const ids: Record<string, string> = {};

  /** Moves a file's creation time (and its FileSearch sort key) to `createdAt`. */
  async function backdate(fileId: string, createdAt: string): Promise<void> {
    const index = keys.fileSearchIndex(L.tenantId!, createdAt, fileId);
    await doc.send(new UpdateCommand({
      TableName: table,
      Key: keys.fileKey(L.tenantId!, fileId),
      UpdateExpression: 'SET createdAt = :c, gsi3sk = :s',
      ExpressionAttributeValues: { ':c': createdAt, ':s': index.gsi3sk },
    }));
  }

  beforeAll(async () => {
    photos = await createFolder(L, 'Photos');
    const files: [string, string, string | undefined, string][] = [
      ['Beach.png', 'image/png', photos, '2026-01-10T10:00:00.000Z'],
      ['sunset.JPG', 'image/jpeg', photos, '2026-02-15T08:30:00.000Z'],
      ['report-2025.pdf', 'application/pdf', undefined, '2025-12-31T23:00:00.000Z'],
      ['Report-final.pdf', 'application/pdf', undefined, '2026-03-01T12:00:00.000Z'],
      ['notes.txt', 'text/plain', undefined, '2026-03-05T09:00:00.000Z'],
    ];
    for (const [name, contentType, folderId, createdAt] of files) {
      const { file } = await upload(L, name, `content of ${name}`, { contentType, folderId });
      ids[name] = file.id;
      await backdate(file.id, createdAt);
    }
    await markAvailable(L.tenantId!, ids['Beach.png'], 1);
    await markAvailable(L.tenantId!, ids['notes.txt'], 1);
  });

  const list = (query: Record<string, string> = {}) => call(L, 'GET', FILES, { query });

  test('default: every file of the tenant, newest first', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(names(res)).toEqual(['notes.txt', 'Report-final.pdf', 'sunset.JPG', 'Beach.png', 'report-2025.pdf']);
    expect(res.body).toMatchObject({ count: 5, nextToken: null });
    expect(res.body.files[0]).toEqual(expect.objectContaining({ id: ids['notes.txt'], status: 'AVAILABLE', contentType: 'text/plain', folderId: null }));
  });

  test('pages follow nextToken without gaps or repeats', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    const pages: string[][] = [];
    do {
      const res = await list({ limit: '2', ...(token ? { nextToken: token } : {}) });
      pages.push(names(res));
      seen.push(...names(res));
      token = res.body.nextToken ?? undefined;
    } while (token);
    expect(pages).toEqual([['notes.txt', 'Report-final.pdf'], ['sunset.JPG', 'Beach.png'], ['report-2025.pdf']]);
    expect(new Set(seen).size).toBe(5);
  });

  test('a folder lists its files by name; ROOT lists the top level', async () => {
    expect(names(await list({ folderId: photos }))).toEqual(['Beach.png', 'sunset.JPG']);
    expect(names(await list({ folderId: 'ROOT' }))).toEqual(['notes.txt', 'report-2025.pdf', 'Report-final.pdf']);
    expect(names(await list({ folderId: 'ROOT', namePrefix: 'REP' }))).toEqual(['report-2025.pdf', 'Report-final.pdf']);
    expect(names(await list({ folderId: photos, from: '2026-02-01' }))).toEqual(['sunset.JPG']);
  });

  test('type: exact or prefix, case-insensitive', async () => {
    expect(names(await list({ type: 'image/' }))).toEqual(['sunset.JPG', 'Beach.png']);
    expect(names(await list({ type: 'IMAGE/PNG' }))).toEqual(['Beach.png']);
    expect(names(await list({ type: 'application/pdf' }))).toEqual(['Report-final.pdf', 'report-2025.pdf']);
    expect(names(await list({ type: 'video/' }))).toEqual([]);
  });

  test('name: case-insensitive substring; namePrefix: prefix', async () => {
    expect(names(await list({ name: 'REPORT' }))).toEqual(['Report-final.pdf', 'report-2025.pdf']);
    expect(names(await list({ name: 'final' }))).toEqual(['Report-final.pdf']);
    expect(names(await list({ name: '.jpg' }))).toEqual(['sunset.JPG']);
    expect(names(await list({ namePrefix: 'b' }))).toEqual(['Beach.png']);
    expect(names(await list({ namePrefix: 'each' }))).toEqual([]);
  });

  test('from / to on the creation time: dates cover whole days, date-times with offsets are exact', async () => {
    expect(names(await list({ from: '2026-01-01', to: '2026-02-28' }))).toEqual(['sunset.JPG', 'Beach.png']);
    expect(names(await list({ to: '2025-12-31' }))).toEqual(['report-2025.pdf']);
    expect(names(await list({ from: '2026-03-01T13:00:00+01:00' }))).toEqual(['notes.txt', 'Report-final.pdf']);
    expect(names(await list({ from: '2026-03-01T13:00:00.001+01:00' }))).toEqual(['notes.txt']);
    expect(names(await list({ to: '2026-01-10T10:00:00Z' }))).toEqual(['Beach.png', 'report-2025.pdf']);
  });

  test('status, and filters combined with pagination', async () => {
    expect(names(await list({ status: 'AVAILABLE' }))).toEqual(['notes.txt', 'Beach.png']);
    const first = await list({ type: 'application/pdf', limit: '1' });
    expect(names(first)).toEqual(['Report-final.pdf']);
    expect(first.body.nextToken).toEqual(expect.any(String));
    const second = await list({ type: 'application/pdf', limit: '1', nextToken: first.body.nextToken });
    expect(names(second)).toEqual(['report-2025.pdf']);
    expect(second.body.nextToken).toBeNull();
  });

  test('page tokens only work for the listing and tenant they came from', async () => {
    const token = (await list({ limit: '1' })).body.nextToken;
    expectError(await list({ folderId: 'ROOT', nextToken: token }), 400, 'VALIDATION_FAILED', /query\.nextToken: is not a valid page token/);
    const forged = JSON.parse(Buffer.from(token, 'base64url').toString());
    forged.k.pk = 'TENANT#tenant-other';
    forged.k.gsi3pk = 'TENANT#tenant-other#FILES';
    const forgedToken = Buffer.from(JSON.stringify(forged)).toString('base64url');
    expectError(await list({ nextToken: forgedToken }), 400, 'VALIDATION_FAILED', /query\.nextToken/);
    const O: Identity = { tenantId: 'tenant-other', sub: 'user-o' };
    expectError(await call(O, 'GET', FILES, { query: { nextToken: token } }), 400, 'VALIDATION_FAILED', /query\.nextToken/);
  });
});

// ------------------------------------------------------------------------------------ rename, move

describe('rename and move', () => {
  const M: Identity = { tenantId: 'tenant-move', sub: 'user-m' };

  test('names are unique among a folder\'s files and folders; renames and moves keep counters right', async () => {
    const f1 = await createFolder(M, 'F1');
    const f2 = await createFolder(M, 'F2');
    const a = (await upload(M, 'a.txt', 'a', { folderId: f1 })).file.id;
    await upload(M, 'b.txt', 'b', { folderId: f1 });
    await createFolder(M, 'Sub', f1);
    expect(await childCount(M, f1)).toBe(3);

    expectError(await call(M, 'PATCH', FILE, { id: a, body: { name: 'B.TXT' } }), 409, 'NAME_CONFLICT', /"B\.TXT" already exists/);
    expectError(await call(M, 'PATCH', FILE, { id: a, body: { name: 'sub' } }), 409, 'NAME_CONFLICT');
    expectError(await folders(M, 'POST', { body: { name: 'A.TXT', parentId: f1 } }), 409, 'NAME_CONFLICT');
    expectError(await call(M, 'POST', FILES, { body: { name: 'SUB', size: 1, contentType: 'text/plain', folderId: f1 } }), 409, 'NAME_CONFLICT');

    const caseOnly = await call(M, 'PATCH', FILE, { id: a, body: { name: 'A.txt' } });
    expect(caseOnly.body).toMatchObject({ id: a, name: 'A.txt', folderId: f1 });

    const moved = await call(M, 'PATCH', FILE, { id: a, body: { folderId: f2, name: 'moved.txt' } });
    expect(moved.body).toMatchObject({ id: a, name: 'moved.txt', folderId: f2 });
    expect(await childCount(M, f1)).toBe(2);
    expect((await folders(M, 'GET', { id: f2 })).body).toMatchObject({ childCount: 1, children: [{ id: a, name: 'moved.txt', kind: 'FILE' }] });
    expect(names(await call(M, 'GET', FILES, { query: { folderId: f2 } }))).toEqual(['moved.txt']);
    await upload(M, 'a.txt', 'the old name is free', { folderId: f1 });

    const top = await call(M, 'PATCH', FILE, { id: a, body: { folderId: null } });
    expect(top.body.folderId).toBeNull();
    expect(await childCount(M, f2)).toBe(0);
    expect(names(await call(M, 'GET', FILES, { query: { folderId: 'ROOT' } }))).toEqual(['moved.txt']);

    expectError(await call(M, 'PATCH', FILE, { id: a, body: { folderId: MISSING } }), 404, 'NOT_FOUND', /Folder .* not found/);
    expectError(await call(M, 'PATCH', FILE, { id: a, body: { folderId: f1, name: 'b.txt' } }), 409, 'NAME_CONFLICT');
    expect((await call(M, 'GET', FILE, { id: a })).body).toMatchObject({ name: 'moved.txt', folderId: null });
    expect(await childCount(M, f1)).toBe(3);

    const unchanged = await call(M, 'PATCH', FILE, { id: a, body: { name: 'moved.txt', folderId: null } });
    expect(unchanged.body).toMatchObject({ name: 'moved.txt', updatedAt: top.body.updatedAt });
  });
});

// ------------------------------------------------------------------------------------ delete

describe('delete', () => {
  const D: Identity = { tenantId: 'tenant-delete', sub: 'user-d' };

  test('removes the file, every version item and object, the thumbnails, its name and its bytes', async () => {
    const folderId = await createFolder(D, 'Keep');
    await setTenant(D.tenantId!, { storedBytes: 1000 });
    const { file } = await upload(D, 'photo.png', Buffer.alloc(300, 1), { contentType: 'image/png', folderId });
    await markAvailable(D.tenantId!, file.id, 1, { thumbnail: true });
    await upload(D, undefined, Buffer.alloc(200, 2), { contentType: 'image/png', fileId: file.id });
    await markAvailable(D.tenantId!, file.id, 2, { thumbnail: true });
    await startUpload(D, undefined, 9 * MiB, { contentType: 'image/png', fileId: file.id }); // v3: an unfinished multipart upload
    expect(await storedBytes(D.tenantId!)).toBe(1500);
    const objects = [1, 2].flatMap((v) => [keys.objectKey(D.tenantId!, file.id, v), keys.thumbnailKey(D.tenantId!, file.id, v)]);
    for (const key of objects) expect(await objectExists(key)).toBe(true);

    const res = await call(D, 'DELETE', FILE, { id: file.id });
    expect(res.statusCode).toBe(200);
    expect(res.body).toEqual({ deleted: [file.id], deletedVersions: 3, freedBytes: 500 });

    expectError(await call(D, 'GET', FILE, { id: file.id }), 404, 'NOT_FOUND');
    expectError(await call(D, 'GET', VERSIONS, { id: file.id }), 404, 'NOT_FOUND');
    for (const v of [1, 2, 3]) expect(await item(keys.versionKey(D.tenantId!, file.id, v))).toBeUndefined();
    for (const key of objects) expect(await objectExists(key)).toBe(false);
    expect(await storedBytes(D.tenantId!)).toBe(1000);
    expect(await childCount(D, folderId)).toBe(0);
    expect(await item(keys.nameGuardKey(D.tenantId!, folderId, 'photo.png'))).toBeUndefined();
    await upload(D, 'photo.png', 'name reusable', { contentType: 'image/png', folderId });
    expectError(await call(D, 'DELETE', FILE, { id: file.id }), 404, 'NOT_FOUND');
  });
});

describe('role model: deleting a file or aborting an upload is for its owner or a tenant admin', () => {
  const OWNER: Identity = { tenantId: 'tenant-file-roles', sub: 'user-owner', groups: ['member'] };
  const OTHER: Identity = { tenantId: 'tenant-file-roles', sub: 'user-other', groups: ['member'] };
  const ADMIN: Identity = { tenantId: 'tenant-file-roles', sub: 'user-admin', groups: ['admin'] };

  async function partition(): Promise<unknown> {
    const res = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.tenantPk('tenant-file-roles') }, ConsistentRead: true }));
    return res.Items;
  }

  test('another member may not delete the file: 403, nothing changed; the owner may', async () => {
    const { file } = await upload(OWNER, 'owned.txt', 'owned');
    await markAvailable('tenant-file-roles', file.id, 1);
    const before = await partition();
    expectError(await call(OTHER, 'DELETE', FILE, { id: file.id }), 403, 'FORBIDDEN', /owner or a tenant admin may delete this file/);
    expect(await partition()).toEqual(before);
    expect(await objectExists(keys.objectKey('tenant-file-roles', file.id, 1))).toBe(true);
    expect((await call(OWNER, 'DELETE', FILE, { id: file.id })).statusCode).toBe(200);
    expect(await objectExists(keys.objectKey('tenant-file-roles', file.id, 1))).toBe(false);
  });

  test('an admin may delete any member\'s file', async () => {
    const { file } = await upload(OTHER, 'members.txt', 'theirs');
    expect((await call(ADMIN, 'DELETE', FILE, { id: file.id })).statusCode).toBe(200);
    expectError(await call(OTHER, 'GET', FILE, { id: file.id }), 404, 'NOT_FOUND');
  });

  test('another member may not abort someone\'s multipart upload (it would delete the file); its uploader or an admin may', async () => {
    const first = await startUpload(OWNER, 'big-1.zip', 9 * MiB, { contentType: 'application/zip' });
    const before = await partition();
    expectError(await call(OTHER, 'DELETE', UPLOAD, { id: first.file.id }), 403, 'FORBIDDEN', /abort this upload/);
    expect(await partition()).toEqual(before);
    expect((await call(OWNER, 'DELETE', UPLOAD, { id: first.file.id })).body).toMatchObject({ fileDeleted: true });
    const second = await startUpload(OWNER, 'big-2.zip', 9 * MiB, { contentType: 'application/zip' });
    expect((await call(ADMIN, 'DELETE', UPLOAD, { id: second.file.id })).body).toMatchObject({ fileDeleted: true });
  });
});

// ------------------------------------------------------------------------------------ versions

describe('versions', () => {
  const R: Identity = { tenantId: 'tenant-versions', sub: 'user-r' };

  test('list newest first; restore copies a version to a new one that becomes current once verified', async () => {
    const { file } = await upload(R, 'story.txt', 'one');
    await markAvailable(R.tenantId!, file.id, 1);
    await upload(R, undefined, 'two!', { fileId: file.id });
    await markAvailable(R.tenantId!, file.id, 2);

    const listed = await call(R, 'GET', VERSIONS, { id: file.id });
    expect(listed.body).toMatchObject({ fileId: file.id, currentVersion: 2, latestVersion: 2 });
    expect(listed.body.versions.map((v: any) => [v.version, v.size, v.status, v.current])).toEqual([[2, 4, 'AVAILABLE', true], [1, 3, 'AVAILABLE', false]]);
    expect(listed.body.versions[1]).toEqual({
      version: 1,
      size: 3,
      contentType: 'text/plain',
      status: 'AVAILABLE',
      current: false,
      multipart: false,
      restoredFrom: null,
      checksum: createHash('sha256').update('one').digest('hex'),
      createdAt: expect.any(String),
      processedAt: expect.any(String),
    });

    const restored = await call(R, 'POST', VERSIONS, { id: file.id, body: { version: 1 } });
    expect(restored.statusCode).toBe(201);
    expect(restored.body.version).toMatchObject({ version: 3, status: 'PENDING', restoredFrom: 1, size: 3, contentType: 'text/plain' });
    expect(restored.body.file).toMatchObject({ currentVersion: 2, latestVersion: 3 });
    const key3 = keys.objectKey(R.tenantId!, file.id, 3);
    await until(() => createdObjects.includes(key3), 'the copy\'s object-created event');
    expect(await objectBytes(key3)).toEqual(Buffer.from('one'));
    // Still version 2 until the processor verifies the copy.
    expect(Buffer.from(await (await fetch((await call(R, 'GET', FILE, { id: file.id })).body.download.url)).arrayBuffer()).toString()).toBe('two!');
    await markAvailable(R.tenantId!, file.id, 3);
    const after = await call(R, 'GET', FILE, { id: file.id });
    expect(after.body).toMatchObject({ currentVersion: 3, latestVersion: 3, versionCount: 3, size: 3 });
    expect(Buffer.from(await (await fetch(after.body.download.url)).arrayBuffer()).toString()).toBe('one');

    expectError(await call(R, 'POST', VERSIONS, { id: file.id, body: { version: 9 } }), 404, 'NOT_FOUND', /Version 9 of file .* not found/);
    await startUpload(R, undefined, 5, { fileId: file.id }); // v4, PENDING
    expectError(await call(R, 'POST', VERSIONS, { id: file.id, body: { version: 4 } }), 409, 'VERSION_NOT_AVAILABLE', /Version 4 of file .* is PENDING/);
  });

  test('a restore counts against the quota like an upload', async () => {
    const { file } = await upload(R, 'quota.txt', 'x'.repeat(40));
    await markAvailable(R.tenantId!, file.id, 1);
    // Pending uploads of this tenant reserve quota too: leave 10 bytes beyond stored + reserved.
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.tenantKey(R.tenantId!), UpdateExpression: 'SET quotaBytes = usedBytes + :left', ExpressionAttributeValues: { ':left': 10 } }));
    expectError(await call(R, 'POST', VERSIONS, { id: file.id, body: { version: 1 } }), 413, 'QUOTA_EXCEEDED', /File size 40 bytes exceeds the remaining storage quota: 10 of/);
    expect((await call(R, 'GET', VERSIONS, { id: file.id })).body.versions).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------------------ isolation

describe('tenant isolation', () => {
  const A: Identity = { tenantId: 'tenant-a', sub: 'user-a' };
  const B: Identity = { tenantId: 'tenant-b', sub: 'user-b' };
  let aFolder: string;
  let aFile: string;
  let aMultipart: string;

  beforeAll(async () => {
    aFolder = await createFolder(A, 'A-private');
    aFile = (await upload(A, 'secret.txt', 'tenant A only', { folderId: aFolder })).file.id;
    await markAvailable(A.tenantId!, aFile, 1);
    aMultipart = (await startUpload(A, 'secret.zip', 9 * MiB, { contentType: 'application/zip', folderId: aFolder })).file.id;
  });

  test("tenant B gets 404 on every route for tenant A's files and folders, and changes nothing", async () => {
    const bFile = (await upload(B, 'mine.txt', 'tenant B')).file.id;
    const parts = [{ partNumber: 1, etag: '"x"' }, { partNumber: 2, etag: '"y"' }];
    const attempts: [string, string, CallOptions][] = [
      ['GET', FILE, { id: aFile }],
      ['PATCH', FILE, { id: aFile, body: { name: 'stolen.txt' } }],
      ['PATCH', FILE, { id: aFile, body: { folderId: null } }],
      ['DELETE', FILE, { id: aFile }],
      ['GET', VERSIONS, { id: aFile }],
      ['POST', VERSIONS, { id: aFile, body: { version: 1 } }],
      ['POST', UPLOAD, { id: aMultipart, body: { parts } }],
      ['DELETE', UPLOAD, { id: aMultipart }],
      ['POST', FILES, { body: { size: 5, contentType: 'text/plain', fileId: aFile } }],
      ['POST', FILES, { body: { name: 'intruder.txt', size: 5, contentType: 'text/plain', folderId: aFolder } }],
      ['GET', FILES, { query: { folderId: aFolder } }],
      ['PATCH', FILE, { id: bFile, body: { folderId: aFolder } }],
    ];
    for (const [method, resource, opts] of attempts) {
      const res = await call(B, method, resource, opts);
      expect({ method, resource, status: res.statusCode }).toEqual({ method, resource, status: 404 });
      expectError(res, 404, 'NOT_FOUND');
    }

    const queries: Record<string, string>[] = [{}, { name: 'secret' }, { type: 'application/' }, { folderId: 'ROOT' }, { status: 'AVAILABLE' }];
    for (const query of queries) {
      const res = await call(B, 'GET', FILES, { query });
      expect(res.body.files.map((f: any) => f.id)).not.toEqual(expect.arrayContaining([aFile]));
      expect(JSON.stringify(res.body)).not.toMatch(/secret/);
    }
    expect(names(await call(B, 'GET', FILES))).toEqual(['mine.txt']);

    // Tenant A's files are untouched.
    const a = await call(A, 'GET', FILE, { id: aFile });
    expect(a.body).toMatchObject({ name: 'secret.txt', folderId: aFolder, currentVersion: 1, latestVersion: 1, status: 'AVAILABLE' });
    expect(Buffer.from(await (await fetch(a.body.download.url)).arrayBuffer()).toString()).toBe('tenant A only');
    expect((await call(A, 'GET', FILE, { id: aMultipart })).body).toMatchObject({ status: 'PENDING', latestVersion: 1 });
    expect(await item(keys.versionKey(A.tenantId!, aMultipart, 1))).toMatchObject({ status: 'PENDING' });
    expect(await childCount(A, aFolder)).toBe(2);
    expect(names(await call(A, 'GET', FILES, { query: { folderId: aFolder } }))).toEqual(['secret.txt', 'secret.zip']);
  });

  test('object keys carry the tenant: uploads of B land under tenants/tenant-b/', async () => {
    const started = await startUpload(B, 'where.txt', 3);
    expect(decodeURIComponent(new URL(started.upload.url).pathname)).toBe(`/${bucket}/tenants/tenant-b/files/${started.file.id}/v1`);
  });
});
