import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListMultipartUploadsCommandOutput,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { lambdaContext } from '../../../kit/test/api-event';
import { CleanupResult, STALE_UPLOAD_HOURS, handler } from '../../handlers/cleanup.lambda';
import { activeTenantKey, fileKey, nameGuardKey, objectKey, shareKey, tenantPk, versionKey } from '../../handlers/lib/keys';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const FILE_1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const FILE_2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const FILE_3 = 'aaaaaaaa-0000-4000-8000-000000000003';
const FILE_4 = 'aaaaaaaa-0000-4000-8000-000000000004';
const HOUR = 3600 * 1000;
/** ListMultipartUploads pages of two, so the job has to follow NextKeyMarker / NextUploadIdMarker. */
const PAGE_SIZE = 2;
const NOTHING_DONE: CleanupResult = {
  expiredSharesRemoved: 0,
  staleUploadsAborted: 0,
  uploadVersionsAborted: 0,
  abandonedFilesRemoved: 0,
  incomplete: false,
};

let s3: S3Emulator;
let doc: DynamoDBDocumentClient;
let bucket: string;
let table: string;

let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ s3: { maxUploadsPerPage: PAGE_SIZE } });
  ({ s3, table, bucket, doc } = services as Required<HandlerServices>);
}, 30_000);
afterAll(async () => services?.stop());

const run = (event: unknown = {}, remainingMs = 60_000) => handler(event, { ...lambdaContext('cleanup'), getRemainingTimeInMillis: () => remainingMs });
const put = (item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: table, Item: item }));
const get = async (key: { pk: string; sk: string }) => (await doc.send(new GetCommand({ TableName: table, Key: key }))).Item;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A file item, its name guard and its versions, shaped as the files API writes them (lib/file-items.ts). */
interface VersionSpec {
  readonly version: number;
  readonly status: string;
  readonly uploadId?: string;
}

async function putFile(tenantId: string, fileId: string, name: string, currentVersion: number, versions: VersionSpec[]) {
  const now = new Date().toISOString();
  const latestVersion = Math.max(...versions.map((v) => v.version));
  await put({
    ...fileKey(tenantId, fileId),
    type: 'FILE',
    id: fileId,
    name,
    nameLower: name,
    contentType: 'application/octet-stream',
    size: 0,
    currentVersion,
    latestVersion,
    status: currentVersion === 0 ? 'PENDING' : 'AVAILABLE',
    createdAt: now,
    updatedAt: now,
    createdBy: 'user',
  });
  await put({ ...nameGuardKey(tenantId, undefined, name), type: 'NAME', kind: 'FILE', targetId: fileId });
  for (const v of versions) {
    await put({
      ...versionKey(tenantId, fileId, v.version),
      type: 'FILE_VERSION',
      fileId,
      version: v.version,
      objectKey: objectKey(tenantId, fileId, v.version),
      contentType: 'application/octet-stream',
      size: 0,
      status: v.status,
      ...(v.uploadId ? { uploadId: v.uploadId } : {}),
      createdAt: now,
      createdBy: 'user',
    });
  }
}

async function startUpload(key: string, ageHours: number, inBucket = bucket): Promise<string> {
  const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: inBucket, Key: key }));
  s3.backdateUpload(inBucket, UploadId!, new Date(Date.now() - ageHours * HOUR));
  return UploadId!;
}

/** Every open upload of the bucket under `prefix`, through ListMultipartUploads and its page markers. */
async function listAllUploads(inBucket: string, prefix?: string): Promise<ListMultipartUploadsCommandOutput[]> {
  const pages: ListMultipartUploadsCommandOutput[] = [];
  let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
  for (;;) {
    const page = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: inBucket, Prefix: prefix, ...markers }));
    pages.push(page);
    if (!page.IsTruncated) return pages;
    markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
  }
}
const uploadIds = (pages: ListMultipartUploadsCommandOutput[]) => pages.flatMap((p) => (p.Uploads ?? []).map((u) => u.UploadId!));

describe('cleanup job', () => {
  const expiredA = shareKey('tenant-a', 'expired-a');
  const expiredB = shareKey('tenant-b', 'expired-b');
  const validA = shareKey('tenant-a', 'valid-a');
  const foreverA = shareKey('tenant-a', 'forever-a');
  const eventA = { pk: tenantPk('tenant-a'), sk: 'EVENT#2026-01-01#10:00#x' };
  let uploads: Record<string, string>;
  /** The job's bucket under tenants/ as the job found it, page by page. */
  let pagesBefore: string[][];
  let result: CleanupResult;

  beforeAll(async () => {
    await put({ ...expiredA, type: 'SHARE', expiresAt: nowSeconds() - 60 });
    await put({ ...expiredB, type: 'SHARE', expiresAt: nowSeconds() - 86_400 });
    await put({ ...validA, type: 'SHARE', expiresAt: nowSeconds() + 3600 });
    await put({ ...foreverA, type: 'SHARE' }); // no expiry
    // Expired items that are not shares are left to TTL.
    await put({ ...eventA, type: 'EVENT', expiresAt: nowSeconds() - 60 });
    await put({ ...activeTenantKey('2026-01-01', 'tenant-a'), expiresAt: nowSeconds() - 60 });

    // FILE_1: a new file whose only version is a stale upload. FILE_4: a file with an available
    // version 1 and a stale upload of version 2. FILE_2: an upload whose version is available
    // already. FILE_3: an upload in progress.
    uploads = {
      newFile: await startUpload(objectKey('tenant-a', FILE_1, 1), STALE_UPLOAD_HOURS + 1),
      newVersion: await startUpload(objectKey('tenant-a', FILE_4, 2), STALE_UPLOAD_HOURS + 2),
      staleAvailable: await startUpload(objectKey('tenant-b', FILE_2, 2), STALE_UPLOAD_HOURS * 3),
      fresh: await startUpload(objectKey('tenant-a', FILE_3, 1), STALE_UPLOAD_HOURS - 1),
      staleOddKey: await startUpload('tenants/tenant-a/imports/archive.zip', STALE_UPLOAD_HOURS + 5),
      staleOtherPrefix: await startUpload('thumbnails/tenant-a/x.webp', STALE_UPLOAD_HOURS + 5),
    };
    await putFile('tenant-a', FILE_1, 'draft.zip', 0, [{ version: 1, status: 'PENDING', uploadId: uploads.newFile }]);
    await putFile('tenant-a', FILE_4, 'report.pdf', 1, [{ version: 1, status: 'AVAILABLE' }, { version: 2, status: 'PENDING', uploadId: uploads.newVersion }]);
    await putFile('tenant-b', FILE_2, 'photo.png', 2, [{ version: 2, status: 'AVAILABLE', uploadId: uploads.staleAvailable }]);
    await putFile('tenant-a', FILE_3, 'big.iso', 0, [{ version: 1, status: 'PENDING', uploadId: uploads.fresh }]);
    pagesBefore = (await listAllUploads(bucket, 'tenants/')).map((page) => page.Uploads!.map((u) => u.UploadId!));
    result = await run();
  });

  test('reports what it did', () => {
    expect(result).toEqual({ ...NOTHING_DONE, expiredSharesRemoved: 2, staleUploadsAborted: 4, uploadVersionsAborted: 2, abandonedFilesRemoved: 1 });
  });

  test('removes expired shares of every tenant and nothing else', async () => {
    expect(await get(expiredA)).toBeUndefined();
    expect(await get(expiredB)).toBeUndefined();
    expect(await get(validA)).toBeDefined();
    expect(await get(foreverA)).toBeDefined();
    expect(await get(eventA)).toBeDefined();
    expect(await get(activeTenantKey('2026-01-01', 'tenant-a'))).toBeDefined();
  });

  test('aborts uploads under tenants/ older than the threshold, and only those', async () => {
    // Five uploads under tenants/ in pages of two: the last stale one (tenant-b's) is only on the
    // third page, so the job followed the markers; the stale one outside tenants/ is left alone.
    expect(pagesBefore).toEqual([[uploads.newFile, uploads.fresh], [uploads.newVersion, uploads.staleOddKey], [uploads.staleAvailable]]);
    expect((await s3.openUploads(bucket)).map((u) => u.uploadId).sort()).toEqual([uploads.fresh, uploads.staleOtherPrefix].sort());
    expect(uploadIds(await listAllUploads(bucket, 'tenants/'))).toEqual([uploads.fresh]);
    // Aborted as S3 aborts: the upload cannot be completed any more.
    for (const [key, id] of [[objectKey('tenant-a', FILE_1, 1), uploads.newFile], [objectKey('tenant-a', FILE_4, 2), uploads.newVersion], [objectKey('tenant-b', FILE_2, 2), uploads.staleAvailable], ['tenants/tenant-a/imports/archive.zip', uploads.staleOddKey]]) {
      await expect(s3.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: 1, Body: 'x' }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
      await expect(s3.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
      await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
    }
  });

  test('marks the PENDING version of an aborted upload ABORTED, leaves other versions alone', async () => {
    expect(await get(versionKey('tenant-a', FILE_4, 2))).toMatchObject({ status: 'ABORTED', abortedAt: expect.any(String) });
    expect(await get(versionKey('tenant-a', FILE_4, 1))).toMatchObject({ status: 'AVAILABLE' });
    expect(await get(fileKey('tenant-a', FILE_4))).toMatchObject({ currentVersion: 1 });
    expect(await get(versionKey('tenant-b', FILE_2, 2))).toMatchObject({ status: 'AVAILABLE' });
    expect(await get(versionKey('tenant-a', FILE_3, 1))).toMatchObject({ status: 'PENDING' });
  });

  test('removes a new file whose only upload was abandoned, freeing its name', async () => {
    expect(await get(fileKey('tenant-a', FILE_1))).toBeUndefined();
    expect(await get(versionKey('tenant-a', FILE_1, 1))).toBeUndefined();
    expect(await get(nameGuardKey('tenant-a', undefined, 'draft.zip'))).toBeUndefined();
    // The others keep their names.
    expect(await get(nameGuardKey('tenant-a', undefined, 'report.pdf'))).toBeDefined();
    expect(await get(nameGuardKey('tenant-a', undefined, 'big.iso'))).toBeDefined();
  });

  test('a second run finds nothing to do', async () => {
    expect(await run()).toEqual(NOTHING_DONE);
  });

  test('stops early, doing nothing more, when the function is out of time', async () => {
    const late = shareKey('tenant-a', 'late');
    await put({ ...late, type: 'SHARE', expiresAt: nowSeconds() - 1 });
    expect(await run({}, 1_000)).toEqual({ ...NOTHING_DONE, incomplete: true });
    expect(await get(late)).toBeDefined();
  });

  test.each([
    [{ dryRun: true }, /dryRun/],
    [null, /expected object/],
    ['cleanup', /expected object/],
  ])('input %j is refused before anything is removed', async (event, message) => {
    const late = shareKey('tenant-a', 'refused');
    await put({ ...late, type: 'SHARE', expiresAt: nowSeconds() - 1 });
    await expect(run(event)).rejects.toThrow(message);
    expect(await get(late)).toBeDefined();
  });
});

describe('the S3 emulator\'s multipart calls the job relies on (local/s3-emulator.ts)', () => {
  const listing = 'multipart-listing';
  const ODD_KEY = 'tenants/a & <b> "é"';
  let ids: Record<'odd' | 'b1' | 'b2' | 'c' | 'thumbnail', string>;

  beforeAll(async () => {
    await s3.createBucket(listing);
    ids = {
      odd: await startUpload(ODD_KEY, 2, listing),
      b1: await startUpload('tenants/b', 30, listing),
      b2: await startUpload('tenants/b', 1, listing),
      c: await startUpload('tenants/c', 3, listing),
      thumbnail: await startUpload('thumbnails/x', 4, listing),
    };
  });

  test('lists the open uploads under a prefix by key, with their (back-dated) initiation time, in pages', async () => {
    const pages = await listAllUploads(listing, 'tenants/');
    const sameKey = [ids.b1, ids.b2].sort(); // one key's uploads by upload id
    expect(pages.map((p) => [p.Uploads?.length, p.IsTruncated, p.MaxUploads, p.Prefix])).toEqual([[2, true, PAGE_SIZE, 'tenants/'], [2, false, PAGE_SIZE, 'tenants/']]);
    expect(pages[0]).toMatchObject({ NextKeyMarker: 'tenants/b', NextUploadIdMarker: sameKey[0] });
    expect(pages[1]).toMatchObject({ KeyMarker: 'tenants/b', UploadIdMarker: sameKey[0] });
    expect(pages[1].NextKeyMarker).toBeUndefined();
    const listed = pages.flatMap((p) => p.Uploads!);
    expect(listed.map((u) => [u.Key, u.UploadId])).toEqual([[ODD_KEY, ids.odd], ['tenants/b', sameKey[0]], ['tenants/b', sameKey[1]], ['tenants/c', ids.c]]);
    const ageHours = (id: string) => (Date.now() - listed.find((u) => u.UploadId === id)!.Initiated!.getTime()) / HOUR;
    expect(ageHours(ids.b1)).toBeCloseTo(30, 2);
    expect(ageHours(ids.b2)).toBeCloseTo(1, 2);
    expect(listed[0]).toMatchObject({ StorageClass: 'STANDARD', Owner: { ID: expect.any(String) }, Initiator: { ID: expect.any(String) } });
  });

  test('max-uploads under the page size is honoured, a key-marker alone skips all of that key\'s uploads, no prefix lists all', async () => {
    const one = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: listing, MaxUploads: 1 }));
    expect([one.Uploads?.map((u) => u.UploadId), one.IsTruncated, one.NextKeyMarker]).toEqual([[ids.odd], true, ODD_KEY]);
    const afterB = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: listing, KeyMarker: 'tenants/b' }));
    expect(afterB.Uploads?.map((u) => u.UploadId)).toEqual([ids.c, ids.thumbnail]);
    expect(uploadIds(await listAllUploads(listing))).toHaveLength(5);
    expect(uploadIds(await listAllUploads(listing, 'thumbnails/'))).toEqual([ids.thumbnail]);
    expect(uploadIds(await listAllUploads(listing, 'nothing/'))).toEqual([]);
  });

  test('the next page starts after the marker even when the marker\'s upload was aborted meanwhile', async () => {
    const first = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: listing, Prefix: 'tenants/b', MaxUploads: 1 }));
    const [marked] = first.Uploads!;
    await s3.client.send(new AbortMultipartUploadCommand({ Bucket: listing, Key: 'tenants/b', UploadId: marked.UploadId }));
    const next = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: listing, Prefix: 'tenants/b', KeyMarker: first.NextKeyMarker, UploadIdMarker: first.NextUploadIdMarker }));
    expect(next.Uploads?.map((u) => u.UploadId)).toEqual([[ids.b1, ids.b2].find((id) => id !== marked.UploadId)]);
    expect(next.IsTruncated).toBe(false);
  });

  test('abort and parts answer NoSuchUpload for an unknown id or another key; an open upload still completes', async () => {
    const noSuchUpload = { name: 'NoSuchUpload' };
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket: listing, Key: 'tenants/c', UploadId: 'ffff0000' }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket: listing, Key: 'tenants/other', UploadId: ids.c }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.client.send(new UploadPartCommand({ Bucket: listing, Key: 'tenants/other', UploadId: ids.c, PartNumber: 1, Body: 'x' }))).rejects.toMatchObject(noSuchUpload);
    const { ETag } = await s3.client.send(new UploadPartCommand({ Bucket: listing, Key: 'tenants/c', UploadId: ids.c, PartNumber: 1, Body: 'the only part' }));
    await s3.client.send(new CompleteMultipartUploadCommand({ Bucket: listing, Key: 'tenants/c', UploadId: ids.c, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    expect(uploadIds(await listAllUploads(listing, 'tenants/c'))).toEqual([]);
    await expect(s3.client.send(new AbortMultipartUploadCommand({ Bucket: listing, Key: 'tenants/c', UploadId: ids.c }))).rejects.toMatchObject(noSuchUpload);
  });

  test('errors: an unknown bucket, a delimiter (not supported), back-dating an upload that is not open', async () => {
    await expect(s3.client.send(new ListMultipartUploadsCommand({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(s3.client.send(new ListMultipartUploadsCommand({ Bucket: listing, Delimiter: '/' }))).rejects.toMatchObject({ name: 'NotImplemented' });
    expect(() => s3.backdateUpload(listing, 'ffff0000', new Date())).toThrow(/no open multipart upload ffff0000/);
    expect(() => s3.backdateUpload('no-such-bucket', ids.thumbnail, new Date())).toThrow(/no open multipart upload/);
  });
});
