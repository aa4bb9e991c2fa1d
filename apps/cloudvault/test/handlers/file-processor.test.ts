import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { createHash, randomUUID } from 'crypto';
import { crc32 } from 'zlib';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import sharp from 'sharp';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { lambdaContext } from '../../../kit/test/api-event';
import {
  FileProcessorEvent,
  InvalidEventError,
  ProcessingResult,
  THUMBNAIL_MAX_INPUT_PIXELS,
  handler,
  objectCreatedEvent,
} from '../../handlers/file-processor.lambda';
import { ddb, tableName } from '../../handlers/lib/clients';
import { fileKey, objectKey, quarantineKey, tenantKey, thumbnailKey, versionKey } from '../../handlers/lib/keys';
import { metrics } from '../../handlers/lib/observability';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const A = 'tenant-a';
const B = 'tenant-b';

let emu: S3Emulator;
let bucket: string;
let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ s3: true });
  ({ s3: emu, bucket } = services as Required<HandlerServices>);
}, 60_000);
afterAll(async () => services?.stop());

// ---------------------------------------------------------------------------------------------
// Helpers: what the fileService leaves behind for an upload, and S3's event for it
// ---------------------------------------------------------------------------------------------

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const image = (format: 'png' | 'jpeg' | 'webp' | 'gif', width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 120, sigma: 40 } } }).toFormat(format).toBuffer();

interface Upload {
  readonly tenantId: string;
  readonly fileId: string;
  readonly version: number;
  readonly key: string;
  readonly body: Buffer;
}

interface UploadOptions {
  readonly contentType: string;
  /** Declared size; the body's length unless a test lies. */
  readonly size?: number;
  readonly fileId?: string;
  readonly version?: number;
  /** Write the version item (false: an object without metadata). */
  readonly metadata?: boolean;
  readonly status?: string;
}

/** Writes the file and version items as the fileService does and puts the object in S3. */
async function upload(tenantId: string, body: Buffer, opts: UploadOptions): Promise<Upload> {
  const fileId = opts.fileId ?? randomUUID();
  const version = opts.version ?? 1;
  const size = opts.size ?? body.length;
  const key = objectKey(tenantId, fileId, version);
  const now = new Date().toISOString();
  if (opts.metadata !== false) {
    if (version === 1) {
      await put({
        ...fileKey(tenantId, fileId),
        id: fileId,
        name: `file-${fileId}`,
        contentType: opts.contentType,
        size,
        currentVersion: 0,
        latestVersion: 1,
        status: 'PENDING',
        createdAt: now,
        updatedAt: now,
        createdBy: 'user-1',
      });
    }
    await put({
      ...versionKey(tenantId, fileId, version),
      fileId,
      version,
      objectKey: key,
      contentType: opts.contentType,
      size,
      status: opts.status ?? 'PENDING',
      createdAt: now,
    });
  }
  await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { tenantId, fileId, version, key, body };
}

const put = (item: Record<string, unknown>) => ddb().send(new PutCommand({ TableName: tableName(), Item: item }));
const item = async (key: { pk: string; sk: string }): Promise<any> =>
  (await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }))).Item;
const versionOf = (u: Upload) => item(versionKey(u.tenantId, u.fileId, u.version));
const fileOf = (u: Upload) => item(fileKey(u.tenantId, u.fileId));
const storedBytes = async (tenantId: string): Promise<number> => (await item(tenantKey(tenantId)))?.storedBytes ?? 0;

async function object(key: string): Promise<Buffer | undefined> {
  try {
    const res = await emu.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

const eventFor = (u: Upload): FileProcessorEvent => objectCreatedEvent({ bucket, key: u.key, size: u.body.length });
const processEvent = (event: FileProcessorEvent): Promise<ProcessingResult> => handler(event, lambdaContext('file-processor'));
const processUpload = (u: Upload): Promise<ProcessingResult> => processEvent(eventFor(u));

// ---------------------------------------------------------------------------------------------

describe('images', () => {
  test('a PNG: checksum, 256 px WebP thumbnail (aspect kept), version and file AVAILABLE, stored bytes counted', async () => {
    const before = await storedBytes(A);
    const u = await upload(A, await image('png', 600, 400), { contentType: 'image/png' });

    const addMetric = jest.spyOn(metrics, 'addMetric');
    const result = await processUpload(u);

    expect(result).toEqual({ outcome: 'processed', checksum: sha256(u.body), thumbnailKey: thumbnailKey(A, u.fileId, 1) });
    expect(addMetric.mock.calls).toEqual([['UploadsProcessed', 'Count', 1], ['StoredBytes', 'Bytes', u.body.length]]);
    addMetric.mockRestore();
    const thumb = await object(thumbnailKey(A, u.fileId, 1));
    expect(thumb).toBeDefined();
    const meta = await sharp(thumb!).metadata();
    expect(meta.format).toBe('webp');
    expect([meta.width, meta.height]).toEqual([256, 171]); // 600x400 scaled to fit 256x256

    const version = await versionOf(u);
    expect(version).toMatchObject({ status: 'AVAILABLE', checksum: sha256(u.body), size: u.body.length, thumbnailKey: thumbnailKey(A, u.fileId, 1) });
    expect(Date.parse(version.processedAt)).toBeGreaterThan(Date.now() - 60_000);
    const file = await fileOf(u);
    expect(file).toMatchObject({
      status: 'AVAILABLE',
      currentVersion: 1,
      latestVersion: 1,
      size: u.body.length,
      checksum: sha256(u.body),
      contentType: 'image/png',
      thumbnailKey: thumbnailKey(A, u.fileId, 1),
    });
    expect(await storedBytes(A)).toBe(before + u.body.length);
    expect(await object(u.key)).toEqual(u.body); // the object stays where it is
  });

  test('a re-delivered event changes and counts nothing', async () => {
    const u = await upload(A, await image('png', 64, 64), { contentType: 'image/png' });
    const event = eventFor(u);
    expect((await processEvent(event)).outcome).toBe('processed');
    const afterFirst = { bytes: await storedBytes(A), version: await versionOf(u), file: await fileOf(u) };

    // The same event twice more (EventBridge delivers at least once), and a second event for the object.
    const addMetric = jest.spyOn(metrics, 'addMetric');
    expect(await processEvent(event)).toEqual({ outcome: 'duplicate', reason: 'version is AVAILABLE' });
    expect((await processUpload(u)).outcome).toBe('duplicate');
    expect(addMetric.mock.calls.map(([name]) => name)).toEqual(['DuplicateEvents', 'DuplicateEvents']);
    addMetric.mockRestore();

    expect(await storedBytes(A)).toBe(afterFirst.bytes);
    expect(await versionOf(u)).toEqual(afterFirst.version);
    expect(await fileOf(u)).toEqual(afterFirst.file);
  });

  test('two deliveries at the same time count the bytes once', async () => {
    const u = await upload(A, await image('jpeg', 300, 300), { contentType: 'image/jpeg' });
    const before = await storedBytes(A);
    const outcomes = (await Promise.all([processUpload(u), processUpload(u), processUpload(u)])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['duplicate', 'duplicate', 'processed']);
    expect(await storedBytes(A)).toBe(before + u.body.length);
  });

  test.each([
    ['image/jpeg', 'jpeg', 300, 900, [85, 256]], // portrait
    ['image/webp', 'webp', 1024, 256, [256, 64]],
    ['image/png', 'png', 100, 50, [100, 50]], // smaller than 256: not enlarged
  ] as const)('%s (%s) %ix%i gets a %j WebP thumbnail', async (contentType, format, width, height, expected) => {
    const u = await upload(A, await image(format, width, height), { contentType });
    const result = await processUpload(u);
    expect(result.outcome).toBe('processed');
    const meta = await sharp((await object(result.thumbnailKey!))!).metadata();
    expect(meta.format).toBe('webp');
    expect([meta.width, meta.height]).toEqual(expected);
  });

  test('GIF is checked and counted, but gets no thumbnail', async () => {
    const u = await upload(A, await image('gif', 40, 30), { contentType: 'image/gif' });
    const result = await processUpload(u);
    expect(result).toEqual({ outcome: 'processed', checksum: sha256(u.body), thumbnailKey: undefined });
    expect(await object(thumbnailKey(A, u.fileId, 1))).toBeUndefined();
    const version = await versionOf(u);
    expect(version.status).toBe('AVAILABLE');
    expect(version.thumbnailKey).toBeUndefined();
  });

  test('an image with more pixels than the limit is not decoded: available without thumbnail', async () => {
    // A real PNG whose header claims 20000x20000 pixels (400 MP); the CRC is fixed so only the size is "wrong".
    const png = Buffer.from(await image('png', 16, 16));
    png.writeUInt32BE(20_000, 16);
    png.writeUInt32BE(20_000, 20);
    png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
    expect(20_000 * 20_000).toBeGreaterThan(THUMBNAIL_MAX_INPUT_PIXELS);
    const u = await upload(A, png, { contentType: 'image/png' });

    const result = await processUpload(u);

    expect(result).toEqual({ outcome: 'processed', checksum: sha256(png), thumbnailKey: undefined });
    expect((await versionOf(u)).status).toBe('AVAILABLE');
  });

  test('an image with a valid signature that cannot be decoded is quarantined', async () => {
    const png = await image('png', 300, 200);
    const broken = Buffer.concat([png.subarray(0, 60), Buffer.alloc(2000, 0x41)]);
    const u = await upload(A, broken, { contentType: 'image/png' });

    const result = await processUpload(u);

    expect(result.outcome).toBe('quarantined');
    expect(result.reason).toMatch(/^declared image\/png but the image cannot be decoded: /);
    expect(await object(u.key)).toBeUndefined();
    expect(await object(quarantineKey(A, u.fileId, 1))).toEqual(broken);
  });
});

describe('other types', () => {
  test.each([
    ['application/pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')],
    ['application/zip', Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)])],
    ['text/plain', Buffer.from('Grüße aus Köln\n')],
    ['text/csv', Buffer.from('id,name\n1,Zoë\n')],
    ['application/json', Buffer.from('{"hello":["world",1,true,null]}')],
    ['text/plain', Buffer.alloc(0)],
  ])('%s (%#) is processed with its checksum and no thumbnail', async (contentType, body) => {
    const before = await storedBytes(B);
    const u = await upload(B, body, { contentType });
    expect(await processUpload(u)).toEqual({ outcome: 'processed', checksum: sha256(body), thumbnailKey: undefined });
    expect(await versionOf(u)).toMatchObject({ status: 'AVAILABLE', checksum: sha256(body), size: body.length });
    expect(await fileOf(u)).toMatchObject({ status: 'AVAILABLE', currentVersion: 1, contentType });
    expect(await storedBytes(B)).toBe(before + body.length);
  });

  test('a multi-megabyte object is streamed: checksum over every byte', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024 + 123, 'line of csv text,with,fields\n');
    const u = await upload(B, body, { contentType: 'text/csv' });
    expect(await processUpload(u)).toEqual({ outcome: 'processed', checksum: sha256(body), thumbnailKey: undefined });
  });

  test('text with a NUL byte far beyond the first bytes is still caught', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'plain text ');
    body[2 * 1024 * 1024] = 0;
    const u = await upload(B, body, { contentType: 'text/plain' });
    expect(await processUpload(u)).toEqual({ outcome: 'quarantined', reason: 'declared text/plain but the content contains NUL bytes' });
    expect((await versionOf(u)).status).toBe('QUARANTINED');
  });
});

describe('quarantine', () => {
  test('a text file declared image/png is moved to quarantine/, version and file QUARANTINED, nothing counted', async () => {
    const before = await storedBytes(A);
    const body = Buffer.from('definitely not a PNG\n');
    const u = await upload(A, body, { contentType: 'image/png' });

    const result = await processUpload(u);

    const reason = 'declared image/png but the content has no image/png signature';
    expect(result).toEqual({ outcome: 'quarantined', reason });
    expect(await object(u.key)).toBeUndefined();
    expect(await object(quarantineKey(A, u.fileId, 1))).toEqual(body);
    const moved = await emu.client.send(new HeadObjectCommand({ Bucket: bucket, Key: quarantineKey(A, u.fileId, 1) }));
    expect(moved.ContentType).toBe('application/octet-stream');
    expect(await versionOf(u)).toMatchObject({ status: 'QUARANTINED', quarantineReason: reason });
    expect(await fileOf(u)).toMatchObject({ status: 'QUARANTINED', quarantineReason: reason, currentVersion: 0 });
    expect(await object(thumbnailKey(A, u.fileId, 1))).toBeUndefined();
    expect(await storedBytes(A)).toBe(before);

    // Re-delivery: nothing more happens.
    const versionBefore = await versionOf(u);
    expect((await processUpload(u)).outcome).toBe('duplicate');
    expect(await versionOf(u)).toEqual(versionBefore);
    expect(await object(quarantineKey(A, u.fileId, 1))).toEqual(body);
  });

  test.each([
    ['a JPEG declared image/png', 'image/png', () => image('jpeg', 20, 20), /^declared image\/png but the content is image\/jpeg$/],
    ['a PNG declared text/plain', 'text/plain', () => image('png', 20, 20), /^declared text\/plain but the content is image\/png$/],
    ['invalid JSON', 'application/json', async () => Buffer.from('{"a": 1,'), /^declared application\/json but the content is not valid JSON$/],
    ['Latin-1 declared text/csv', 'text/csv', async () => Buffer.from('Zoë;Köln', 'latin1'), /not valid UTF-8/],
  ])('%s is quarantined', async (_case, contentType, make, reason) => {
    const u = await upload(A, await make(), { contentType });
    const result = await processUpload(u);
    expect(result.outcome).toBe('quarantined');
    expect(result.reason).toMatch(reason);
    expect(await object(u.key)).toBeUndefined();
    expect((await versionOf(u)).status).toBe('QUARANTINED');
  });

  test('an object whose size differs from the declared size is quarantined', async () => {
    const body = await image('png', 32, 32);
    const u = await upload(A, body, { contentType: 'image/png', size: body.length - 1 });
    expect(await processUpload(u)).toEqual({
      outcome: 'quarantined',
      reason: `object size ${body.length} differs from the declared size ${body.length - 1}`,
    });
    expect((await versionOf(u)).status).toBe('QUARANTINED');
  });

  test('an object without version metadata is quarantined', async () => {
    const u = await upload(A, Buffer.from('orphan'), { contentType: 'text/plain', metadata: false });
    expect(await processUpload(u)).toEqual({ outcome: 'quarantined', reason: 'no version metadata for the object' });
    expect(await object(u.key)).toBeUndefined();
    expect(await object(quarantineKey(A, u.fileId, 1))).toEqual(Buffer.from('orphan'));
    expect(await versionOf(u)).toBeUndefined();
    // Re-delivery: the object is already gone.
    expect((await processUpload(u)).outcome).toBe('missing');
  });

  test('an object of an aborted upload is quarantined; the version stays ABORTED', async () => {
    const u = await upload(A, Buffer.from('late part'), { contentType: 'text/plain', status: 'ABORTED' });
    expect(await processUpload(u)).toEqual({ outcome: 'quarantined', reason: 'the upload of this version was aborted' });
    expect(await object(u.key)).toBeUndefined();
    expect((await versionOf(u)).status).toBe('ABORTED');
  });

  test('a bad new version does not touch a file that has an available version', async () => {
    const v1 = await upload(A, await image('png', 50, 50), { contentType: 'image/png' });
    await processUpload(v1);
    const v2 = await upload(A, Buffer.from('not an image'), { contentType: 'image/png', fileId: v1.fileId, version: 2 });

    expect((await processUpload(v2)).outcome).toBe('quarantined');

    expect((await versionOf(v2)).status).toBe('QUARANTINED');
    const file = await fileOf(v1);
    expect(file).toMatchObject({ status: 'AVAILABLE', currentVersion: 1, checksum: sha256(v1.body) });
    expect(file.quarantineReason).toBeUndefined();
  });

  test('a version processed after its object was deleted is left alone', async () => {
    const u = await upload(A, Buffer.from('short-lived'), { contentType: 'text/plain' });
    await emu.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: u.key }));
    expect(await processUpload(u)).toEqual({ outcome: 'missing' });
    expect((await versionOf(u)).status).toBe('PENDING');
  });
});

describe('versions', () => {
  test('a new version of an AVAILABLE file becomes current; an older one finishing late does not', async () => {
    const before = await storedBytes(A);
    const v1 = await upload(A, await image('png', 400, 400), { contentType: 'image/png' });
    await processUpload(v1);
    const v2 = await upload(A, await image('jpeg', 800, 400), { contentType: 'image/jpeg', fileId: v1.fileId, version: 2 });
    const v3 = await upload(A, Buffer.from('{"v":3}'), { contentType: 'application/json', fileId: v1.fileId, version: 3 });

    // v3 finishes before v2.
    await processUpload(v3);
    expect(await fileOf(v1)).toMatchObject({
      status: 'AVAILABLE', currentVersion: 3, size: v3.body.length, checksum: sha256(v3.body), contentType: 'application/json',
    });
    expect((await fileOf(v1)).thumbnailKey).toBeUndefined(); // v1's thumbnail is not v3's

    await processUpload(v2);
    expect((await versionOf(v2))).toMatchObject({ status: 'AVAILABLE', checksum: sha256(v2.body) });
    expect((await fileOf(v1)).currentVersion).toBe(3);
    // Every version's bytes are stored (S3 keeps them all), each counted once.
    expect(await storedBytes(A)).toBe(before + v1.body.length + v2.body.length + v3.body.length);
  });

  test('a new version after v1 moves currentVersion and copies its metadata', async () => {
    const v1 = await upload(A, Buffer.from('first'), { contentType: 'text/plain' });
    await processUpload(v1);
    const v2 = await upload(A, await image('webp', 512, 512), { contentType: 'image/webp', fileId: v1.fileId, version: 2 });
    await processUpload(v2);
    expect(await fileOf(v1)).toMatchObject({
      status: 'AVAILABLE',
      currentVersion: 2,
      size: v2.body.length,
      checksum: sha256(v2.body),
      contentType: 'image/webp',
      thumbnailKey: thumbnailKey(A, v1.fileId, 2),
    });
  });
});

describe('events', () => {
  test('keys that are not file versions are ignored and left alone', async () => {
    for (const key of [`tenants/${A}/notes.txt`, `tenants/${A}/files/not-a-uuid/v1`, `tenants/${A}/files/${randomUUID()}/latest`]) {
      await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      expect(await processEvent(objectCreatedEvent({ bucket, key, size: 1 }))).toEqual({ outcome: 'ignored', reason: 'not a file version key' });
      expect(await object(key)).toEqual(Buffer.from('x'));
    }
  });

  test('objects of another bucket are ignored', async () => {
    const u = await upload(A, Buffer.from('x'), { contentType: 'text/plain' });
    const result = await processEvent(objectCreatedEvent({ bucket: 'some-other-bucket', key: u.key, size: 1 }));
    expect(result).toEqual({ outcome: 'ignored', reason: 'bucket some-other-bucket is not the files bucket' });
    expect((await versionOf(u)).status).toBe('PENDING');
  });

  test('the tenant is taken from the key: only its counter changes', async () => {
    const [a, b] = [await storedBytes(A), await storedBytes(B)];
    const u = await upload(B, Buffer.from('tenant b data'), { contentType: 'text/plain' });
    await processUpload(u);
    expect(await storedBytes(A)).toBe(a);
    expect(await storedBytes(B)).toBe(b + u.body.length);
  });

  const valid = () => objectCreatedEvent({ bucket: 'b-bucket', key: objectKey(A, randomUUID(), 1), size: 1 });
  test.each([
    ['no key', (e: any) => delete e.detail.object.key, /detail\.object\.key: /],
    ['an empty key', (e: any) => (e.detail.object.key = ''), /detail\.object\.key: /],
    ['a negative size', (e: any) => (e.detail.object.size = -1), /detail\.object\.size: /],
    ['a size that is a string', (e: any) => (e.detail.object.size = '12'), /detail\.object\.size: /],
    ['no bucket', (e: any) => delete e.detail.bucket, /detail\.bucket: /],
    ['another event type', (e: any) => (e['detail-type'] = 'Object Deleted'), /detail-type: /],
    ['no detail', (e: any) => delete e.detail, /detail: /],
  ])('an event with %s is rejected', async (_case, mutate, message) => {
    const event = valid();
    mutate(event);
    const failure = processEvent(event);
    await expect(failure).rejects.toThrow(InvalidEventError);
    await expect(failure).rejects.toThrow(message);
  });

  test('a null event is rejected', async () => {
    await expect(processEvent(null as unknown as FileProcessorEvent)).rejects.toThrow(/^Invalid event: /);
  });
});

describe('verified bytes are immutable', () => {
  test('the verified object and the S3 version id it had are recorded, so downloads can be pinned to them', async () => {
    const u = await upload(A, Buffer.from('pinned bytes'), { contentType: 'text/plain' });
    expect((await processUpload(u)).outcome).toBe('processed');
    const head = await emu.client.send(new HeadObjectCommand({ Bucket: bucket, Key: u.key }));
    // The emulator keeps no versions (S3 with versioning does: then s3VersionId is set too).
    expect(await versionOf(u)).toMatchObject({ status: 'AVAILABLE', etag: head.ETag });
  });

  test('an object that replaces verified bytes is quarantined and stops being served, not taken as a duplicate', async () => {
    const u = await upload(A, Buffer.from('the verified text'), { contentType: 'text/plain' });
    expect((await processUpload(u)).outcome).toBe('processed');
    const before = await storedBytes(A);

    // Someone overwrites the verified object (a replayed presigned URL, without S3's conditional write).
    const evil = Buffer.from('replacement bytes nobody verified');
    await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: u.key, Body: evil }));
    const result = await processEvent(objectCreatedEvent({ bucket, key: u.key, size: evil.length }));
    expect(result).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/replaced after verification/) });

    expect(await object(u.key)).toBeUndefined();
    expect(await object(`${quarantineKey(A, u.fileId, 1)}-replaced`)).toEqual(evil);
    expect(await versionOf(u)).toMatchObject({ status: 'QUARANTINED', quarantineReason: expect.stringMatching(/replaced after verification/) });
    expect(await fileOf(u)).toMatchObject({ status: 'QUARANTINED' });
    expect(await storedBytes(A)).toBe(before - u.body.length);
  });
});
