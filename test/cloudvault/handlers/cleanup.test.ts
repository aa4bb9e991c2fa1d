import '../../support/handler-env'; // before the handler: Powertools reads it at module load
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MultipartProxy, startMultipartProxy } from './multipart-proxy';
import { tableWithCredentials } from './table-with-credentials';
import { DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb-local';
import { S3_EMULATOR_CREDENTIALS, S3Emulator, emulatorClient, startS3Emulator } from '../../../local/s3-emulator';
import { CleanupResult, STALE_UPLOAD_HOURS, handler } from '../../../src/cloudvault/handlers/cleanup.lambda';
import { activeTenantKey, fileKey, nameGuardKey, objectKey, shareKey, tenantPk, versionKey } from '../../../src/cloudvault/handlers/lib/keys';
import { lambdaContext } from '../../support/api-event';

const FILE_1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const FILE_2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const FILE_3 = 'aaaaaaaa-0000-4000-8000-000000000003';
const FILE_4 = 'aaaaaaaa-0000-4000-8000-000000000004';
const HOUR = 3600 * 1000;
const NOTHING_DONE: CleanupResult = {
  expiredSharesRemoved: 0,
  staleUploadsAborted: 0,
  uploadVersionsAborted: 0,
  abandonedFilesRemoved: 0,
  incomplete: false,
};

let db: DynamoDbLocal;
let s3: S3Emulator;
let proxy: MultipartProxy;
let ddbClient: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let client: S3Client;
let bucket: string;
let table: string;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
  [db, s3] = await Promise.all([startDynamoDbLocal(), startS3Emulator()]);
  // s3rver has no ListMultipartUploads / AbortMultipartUpload: the proxy adds them (and back-dating).
  // Pages of 2 uploads, so the job has to follow NextKeyMarker / NextUploadIdMarker.
  proxy = await startMultipartProxy(s3.endpoint, { pageSize: 2 });
  process.env.DYNAMODB_ENDPOINT = db.endpoint;
  process.env.S3_ENDPOINT = proxy.endpoint;
  ({ client: ddbClient, tableName: table } = await tableWithCredentials(db, S3_EMULATOR_CREDENTIALS));
  process.env.TABLE_NAME = table;
  bucket = await s3.createBucket();
  process.env.FILES_BUCKET = bucket;
  doc = DynamoDBDocumentClient.from(ddbClient);
  client = emulatorClient(proxy.endpoint);
}, 30_000);
afterAll(async () => {
  client?.destroy();
  ddbClient?.destroy();
  await proxy?.stop();
  await Promise.all([db?.stop(), s3?.stop()]);
});

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

async function startUpload(key: string, ageHours: number): Promise<string> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  proxy.backdate(UploadId!, new Date(Date.now() - ageHours * HOUR));
  return UploadId!;
}

describe('cleanup job', () => {
  const expiredA = shareKey('tenant-a', 'expired-a');
  const expiredB = shareKey('tenant-b', 'expired-b');
  const validA = shareKey('tenant-a', 'valid-a');
  const foreverA = shareKey('tenant-a', 'forever-a');
  const eventA = { pk: tenantPk('tenant-a'), sk: 'EVENT#2026-01-01#10:00#x' };
  let uploads: Record<string, string>;
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

  test('aborts uploads under tenants/ older than the threshold, and only those', () => {
    expect([...proxy.aborted].sort()).toEqual([uploads.newFile, uploads.newVersion, uploads.staleAvailable, uploads.staleOddKey].sort());
    expect([...proxy.uploads.keys()].sort()).toEqual([uploads.fresh, uploads.staleOtherPrefix].sort());
    // Five uploads under tenants/ in pages of two: three list calls, the later ones from the markers.
    expect(proxy.listRequests).toHaveLength(3);
    expect(proxy.listRequests.every((q) => q.includes('prefix=tenants%2F'))).toBe(true);
    expect(proxy.listRequests[1]).toMatch(/key-marker=.+upload-id-marker=|upload-id-marker=.+key-marker=/);
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
