/**
 * fileService: a tenant's files, their versions and the uploads that create them.
 *
 *   GET    /api/files                  list: newest first, or a folder's files by name; filters, pages
 *   POST   /api/files                  start an upload `{ name, folderId?, size, contentType, fileId? }`
 *   GET    /api/files/{id}             metadata, download URL (current version), thumbnail URL
 *   PATCH  /api/files/{id}             rename and/or move `{ name?, folderId? }` (folderId null = top level)
 *   DELETE /api/files/{id}             delete with every version, object and thumbnail (owner or admin)
 *   POST   /api/files/{id}/upload      complete a multipart upload `{ version?, parts?: [{ partNumber, etag }] }`
 *                                      (without `parts` the server lists the uploaded parts itself)
 *   DELETE /api/files/{id}/upload      abort a multipart upload (`?version=`; its uploader or an admin)
 *   GET    /api/files/{id}/versions    versions, newest first
 *   POST   /api/files/{id}/versions    restore `{ version }`
 *
 * Uploads: file bytes never pass through Lambda. POST /api/files writes the metadata (file item,
 * version item, name guard and the folder's child counter in one transaction, as folders do;
 * lib/hierarchy.ts) and answers with a presigned PUT URL (up to 8 MiB; Content-Type and
 * Content-Length are signed, so the client cannot store another size or type) or with an S3
 * multipart upload and a presigned URL per part (each part's Content-Length signed). With an
 * `Idempotency-Key` header the metadata is written once (lib/idempotency.ts): a retry returns the
 * same file, version and upload id, with freshly signed URLs (also the way to get new part URLs).
 * `fileId` in the body uploads a new version of an existing file; its current version stays
 * downloadable meanwhile.
 *
 * Verification is the fileProcessor's (S3 object created): it checks the real type, records size
 * and checksum, makes thumbnails, marks the version AVAILABLE (or QUARANTINED), moves the file's
 * current version and adds the bytes to the tenant's storedBytes. Status model: lib/file-items.ts.
 *
 * Restore (POST /versions) copies the chosen version's object to a NEW version n+1 instead of
 * re-pointing `currentVersion` at the old one: history stays append-only (what was current before
 * the restore remains a version one can go back to), the copy is verified by the fileProcessor
 * exactly like an upload (it is an object-created event like any other), and every version has
 * exactly one object, which keeps deletes and storedBytes accounting simple. The new version is
 * PENDING until verified; the file's currentVersion moves then.
 */
import { randomUUID } from 'crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { ddb, filesBucket, functionS3, presigner, s3, tableName } from './lib/clients';
import { attachmentDisposition } from './lib/content-disposition';
import { ALLOWED_CONTENT_TYPES } from './lib/content-types';
import { ConflictError, MethodNotAllowedError, NotFoundError, ValidationError } from './lib/errors';
import {
  FileItem,
  FileView,
  VersionItem,
  VersionView,
  deleteFileCompletely,
  getVersionItem,
  mustGetFile,
  toFile,
  toVersion,
  versionsOf,
} from './lib/file-items';
import { TransactItem, concurrentModification, counterUpdate, nameConflict, nameGuardDelete, nameGuardPut, transact } from './lib/hierarchy';
import { created, ok } from './lib/http';
import { idempotencyKeyOf, idempotentOperation } from './lib/idempotency';
import { FILE_PREFIX, GSI, ROOT, childIndex, childSkPrefix, fileKey, fileSearchIndex, folderKey, nameKey, objectKey, tenantPk, versionKey } from './lib/keys';
import { ApiRequest, MetricUnit, logger, metrics, withApiHandler } from './lib/observability';
import { assertUploadAllowed, quotaExceeded, releaseReservation, reserveQuota, tenantLimits } from './lib/quota';
import { assertMayDestroy } from './lib/roles';
import { idSchema, nameSchema, parseBody, parsePath, parseQuery } from './lib/validation';
import './lib/zod-locale';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Largest file: S3's limit for a single PUT and for CopyObject (restores). */
export const MAX_FILE_BYTES = 5 * GiB;
/** Up to this size one presigned PUT; above it a multipart upload. */
export const SINGLE_UPLOAD_MAX_BYTES = 8 * MiB;
export const MIN_PART_BYTES = 8 * MiB;
/** Parts per upload at most (S3 allows 10,000; fewer keeps the response small). */
export const MAX_PARTS = 1000;
export const UPLOAD_URL_SECONDS = 15 * 60;
/** Part URLs live longer: a large upload over a slow link takes a while (a retried POST re-signs them). */
export const PART_URL_SECONDS = 60 * 60;
export const DOWNLOAD_URL_SECONDS = 5 * 60;
export const DEFAULT_PAGE_SIZE = 50;
/** A filtered list reads at most this many DynamoDB pages per request, then returns what it has and a token. */
const MAX_LIST_ROUNDS = 10;

/** Part size for `size` bytes: at least 8 MiB, and large enough for MAX_PARTS parts (whole MiB). */
export function partSizeFor(size: number): number {
  return Math.max(MIN_PART_BYTES, Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB);
}

// ---------------------------------------------------------------- input schemas

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

const contentTypeSchema = z.pipe(
  z.string({ error: required('a string') }).check(z.trim(), z.toLowerCase()),
  z.enum(ALLOWED_CONTENT_TYPES, { message: `must be one of ${ALLOWED_CONTENT_TYPES.join(', ')}` }),
);

// z.int() as a check (not z.int() as the schema) keeps "is required"/"must be a number" apart from "must be a whole number".
const sizeSchema = z.number({ error: required('a number') }).check(
  z.int({ message: 'must be a whole number of bytes' }),
  z.gte(1, { message: 'must be at least 1 byte' }),
  z.lte(MAX_FILE_BYTES, { message: `must be at most ${MAX_FILE_BYTES} bytes (5 GiB)` }),
);

const versionSchema = z.number({ error: required('a number') }).check(z.int({ message: 'must be a whole number' }), z.gte(1, { message: 'must be at least 1' }));

const createBody = z
  .strictObject({
    name: z.optional(nameSchema),
    folderId: z.optional(idSchema),
    size: sizeSchema,
    contentType: contentTypeSchema,
    fileId: z.optional(idSchema),
  })
  .check(z.refine((b) => b.fileId !== undefined || b.name !== undefined, { message: 'is required', path: ['name'] }));
type CreateBody = z.infer<typeof createBody>;

const updateBody = z
  .strictObject({ name: z.optional(nameSchema), folderId: z.optional(z.nullable(idSchema)) })
  .check(z.refine((b) => b.name !== undefined || b.folderId !== undefined, { message: 'provide "name" and/or "folderId"' }));

/** `parts` is optional: without it the server lists the uploaded parts itself (S3 ListParts). */
const completeBody = z.strictObject({
  version: z.optional(versionSchema),
  parts: z.optional(z
    .array(
      z.strictObject({
        partNumber: z.number({ error: required('a number') }).check(
          z.int({ message: 'must be a whole number' }),
          z.gte(1, { message: 'must be at least 1' }),
          z.lte(10_000, { message: 'must be at most 10000' }),
        ),
        etag: z.string({ error: required('a string') }).check(
          z.minLength(1, { message: 'must not be empty' }),
          z.maxLength(128, { message: 'must be at most 128 characters' }),
          z.regex(/^[\x21-\x7e]+$/, { message: 'must be the ETag header S3 returned for the part' }),
        ),
      }),
      { error: required('an array') },
    )
    .check(z.minLength(1, { message: 'must list the uploaded parts' }), z.maxLength(10_000, { message: 'must list at most 10000 parts' }))),
});

const restoreBody = z.strictObject({ version: versionSchema });

const idPath = z.object({ id: idSchema });

const wholeNumberQuery = (message: string, min: number, max: number) =>
  z.pipe(z.string().check(z.regex(/^\d{1,9}$/, { message })), z.transform(Number)).check(z.refine((n) => n >= min && n <= max, { message }));

const abortQuery = z.strictObject({ version: z.optional(wholeNumberQuery('must be a version number (1 or more)', 1, 999_999)) });

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isIsoInstant = (s: string) =>
  (ISO_DATE.test(s) && z.safeParse(z.iso.date(), s).success) || z.safeParse(z.iso.datetime({ offset: true }), s).success;
/** A date bound on createdAt: a date means the whole day (from its start / to its end), in UTC. */
const dateBound = (edge: 'start' | 'end') =>
  z.pipe(
    z.string().check(z.refine(isIsoInstant, { message: 'must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)' })),
    z.transform((s) => (ISO_DATE.test(s) ? `${s}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : new Date(s).toISOString())),
  );

const nameFilter = z.pipe(
  z.string().check(z.minLength(1, { message: 'must not be empty' }), z.maxLength(255, { message: 'must be at most 255 characters' })),
  z.transform(nameKey),
);

const listQuery = z
  .strictObject({
    limit: z.optional(wholeNumberQuery('must be a whole number from 1 to 100', 1, 100)),
    nextToken: z.optional(z.string().check(z.maxLength(4096, { message: 'is not a valid page token' }))),
    folderId: z.optional(z.string().check(z.refine((s) => s === ROOT || z.safeParse(idSchema, s).success, { message: `must be a folder id (UUID) or "${ROOT}"` }))),
    type: z.optional(
      z.string().check(
        z.trim(),
        z.toLowerCase(),
        z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/([a-z0-9][a-z0-9!#$&^_.+-]*)?$/, { message: 'must be a content type ("image/png") or a type prefix ending in "/" ("image/")' }),
      ),
    ),
    name: z.optional(nameFilter),
    namePrefix: z.optional(nameFilter),
    status: z.optional(z.enum(['PENDING', 'AVAILABLE', 'QUARANTINED'], { message: 'must be one of PENDING, AVAILABLE, QUARANTINED' })),
    from: z.optional(dateBound('start')),
    to: z.optional(dateBound('end')),
  })
  .check(z.refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'must not be after "to"', path: ['from'] }));
type ListQuery = z.infer<typeof listQuery>;

/** A 400 for one problem found after schema validation, in the same shape as parseBody's. */
function invalid(where: 'body' | 'query', field: string, message: string): ValidationError {
  const path = `${where}.${field}`;
  return new ValidationError(`Invalid ${where}: ${path}: ${message}`, [{ path, message }]);
}

// ---------------------------------------------------------------- routing

export const handler = withApiHandler(async (req) => {
  const { httpMethod: method, resource } = req.event;
  switch (resource) {
    case '/api/files':
      if (method === 'GET') return listFiles(req);
      if (method === 'POST') return createUpload(req);
      break;
    case '/api/files/{id}':
      if (method === 'GET') return getFile(req);
      if (method === 'PATCH') return updateFile(req);
      if (method === 'DELETE') return deleteFile(req);
      break;
    case '/api/files/{id}/upload':
      if (method === 'POST') return completeUpload(req);
      if (method === 'DELETE') return abortUpload(req);
      break;
    case '/api/files/{id}/versions':
      if (method === 'GET') return listVersions(req);
      if (method === 'POST') return restoreVersion(req);
      break;
    default:
      throw new NotFoundError(`No route for ${resource}`);
  }
  throw new MethodNotAllowedError(method, resource);
});

// ---------------------------------------------------------------- presigned URLs

/** Headers the uploader must send exactly as signed (presigning leaves content-type unsigned by default). */
const SIGNED_UPLOAD_HEADERS = new Set(['content-type', 'content-length', 'if-none-match']);
/** Parts: only the length (the SDK adds a generic content-type clients do not send for parts). */
const SIGNED_PART_HEADERS = new Set(['content-length']);

const expiresAt = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

interface SignedUrl {
  readonly url: string;
  readonly expiresAt: string;
}

/** A download of exactly the bytes the processor verified: pinned to their S3 version id when the bucket keeps versions. */
async function downloadUrl(key: string, name: string, contentType: string, versionId?: string): Promise<SignedUrl> {
  const command = new GetObjectCommand({
    Bucket: filesBucket(),
    Key: key,
    VersionId: versionId,
    ResponseContentDisposition: attachmentDisposition(name),
    ResponseContentType: contentType,
  });
  return { url: await getSignedUrl(presigner(), command, { expiresIn: DOWNLOAD_URL_SECONDS }), expiresAt: expiresAt(DOWNLOAD_URL_SECONDS) };
}

async function thumbnailUrl(tenantId: string, key: string): Promise<SignedUrl | null> {
  // The key comes from the processor; never sign anything outside this tenant's thumbnails.
  if (!key.startsWith(`thumbnails/${tenantId}/`)) return null;
  const command = new GetObjectCommand({ Bucket: filesBucket(), Key: key });
  return { url: await getSignedUrl(presigner(), command, { expiresIn: DOWNLOAD_URL_SECONDS }), expiresAt: expiresAt(DOWNLOAD_URL_SECONDS) };
}

// ---------------------------------------------------------------- POST /api/files

type UploadPlan =
  | { readonly method: 'PUT' }
  | { readonly method: 'MULTIPART'; readonly uploadId: string; readonly partSize: number; readonly partCount: number };

/** What an upload request wrote: stored as the idempotent result (no URLs: those are signed per response). */
interface PreparedUpload {
  readonly file: FileView;
  readonly version: VersionView;
  readonly plan: UploadPlan;
}

type UploadInstructions =
  | { readonly method: 'PUT'; readonly url: string; readonly headers: Record<string, string>; readonly expiresAt: string }
  | {
    readonly method: 'MULTIPART';
    readonly uploadId: string;
    readonly partSize: number;
    readonly parts: readonly { readonly partNumber: number; readonly size: number; readonly url: string }[];
    readonly expiresAt: string;
  };

const createUploadOnce = idempotentOperation('files.createUpload');

async function createUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const key = idempotencyKeyOf(req.event);
  const body = parseBody(req.event, createBody);
  let fresh = false;
  const prepared = await createUploadOnce(key, { tenantId, body }, req.context, () => {
    fresh = true;
    return prepareUpload(tenantId, userId, body);
  });
  // A replay re-signs URLs only while the bytes are still awaited: once uploaded (or verified,
  // quarantined, aborted) a fresh URL would be a way to replace what was verified.
  if (!fresh) await assertStillAwaitingBytes(tenantId, prepared);
  const upload = await uploadInstructions(tenantId, prepared);
  return created({ file: prepared.file, version: prepared.version, upload });
}

async function assertStillAwaitingBytes(tenantId: string, prepared: PreparedUpload): Promise<void> {
  const n = prepared.version.version;
  const version = await getVersionItem(tenantId, prepared.file.id, n);
  const uploaded = !version || version.status !== 'PENDING' || version.uploadCompletedAt !== undefined
    || (prepared.plan.method === 'PUT' && await objectExists(version.objectKey));
  if (uploaded) {
    throw new ConflictError(
      `Version ${n} of file ${prepared.file.id} was already uploaded (${version?.status ?? 'deleted'}); start a new upload for new bytes`,
      { status: version?.status ?? null }, 'UPLOAD_COMPLETED');
  }
}

async function prepareUpload(tenantId: string, userId: string, body: CreateBody): Promise<PreparedUpload> {
  const prepared = body.fileId ? await prepareNewVersion(tenantId, userId, body.fileId, body) : await prepareNewFile(tenantId, userId, body);
  metrics.addMetric('UploadsStarted', MetricUnit.Count, 1);
  if (prepared.plan.method === 'MULTIPART') metrics.addMetric('MultipartUploadsStarted', MetricUnit.Count, 1);
  return prepared;
}

async function prepareNewFile(tenantId: string, userId: string, body: CreateBody): Promise<PreparedUpload> {
  const name = body.name!; // the schema requires it without fileId
  const limits = await tenantLimits(tenantId);
  assertUploadAllowed(limits, body.size, body.contentType);
  const id = randomUUID();
  const now = new Date().toISOString();
  const key = objectKey(tenantId, id, 1);
  const plan = await startUpload(key, body.size, body.contentType);

  const file: FileItem & Record<string, unknown> = {
    ...fileKey(tenantId, id),
    type: 'FILE',
    id,
    name,
    nameLower: nameKey(name),
    folderId: body.folderId,
    contentType: body.contentType,
    size: body.size,
    currentVersion: 0,
    latestVersion: 1,
    status: 'PENDING',
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    ...childIndex(tenantId, body.folderId, 'FILE', name),
    ...fileSearchIndex(tenantId, now, id),
  };
  const version = newVersionItem(tenantId, id, 1, key, body.contentType, body.size, plan, now, userId);
  const items: TransactItem[] = [
    { Put: { TableName: tableName(), Item: file, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: tableName(), Item: version, ConditionExpression: 'attribute_not_exists(pk)' } },
    nameGuardPut(tenantId, body.folderId, name, 'FILE', id),
    reserveQuota(tenantId, limits, body.size),
  ];
  if (body.folderId) items.push(counterUpdate(tenantId, body.folderId, +1));

  await transactOrAbortUpload(key, plan, items, async (i) => {
    if (i === 2) return nameConflict(name);
    if (i === 3) return quotaExceeded(await tenantLimits(tenantId), body.size);
    if (i === 4) return new NotFoundError(`Folder ${body.folderId} not found`);
    return undefined;
  });
  return { file: toFile(file), version: toVersion(version), plan };
}

async function prepareNewVersion(tenantId: string, userId: string, fileId: string, body: CreateBody): Promise<PreparedUpload> {
  const file = await mustGetFile(tenantId, fileId);
  // name and folderId are optional here; when given they must describe the file being versioned.
  if (body.name !== undefined && nameKey(body.name) !== nameKey(file.name)) {
    throw new ConflictError(`File ${fileId} is named "${file.name}", not "${body.name}"; rename it with PATCH /api/files/${fileId}`, { name: file.name }, 'FILE_MISMATCH');
  }
  if (body.folderId !== undefined && body.folderId !== file.folderId) {
    throw new ConflictError(`File ${fileId} is not in folder ${body.folderId}; move it with PATCH /api/files/${fileId}`, { folderId: file.folderId ?? null }, 'FILE_MISMATCH');
  }
  const limits = await tenantLimits(tenantId);
  assertUploadAllowed(limits, body.size, body.contentType);
  const number = file.latestVersion + 1;
  const now = new Date().toISOString();
  const key = objectKey(tenantId, fileId, number);
  const plan = await startUpload(key, body.size, body.contentType);
  const version = newVersionItem(tenantId, fileId, number, key, body.contentType, body.size, plan, now, userId);

  const items = [allocateVersion(tenantId, file, number, now), { Put: { TableName: tableName(), Item: version, ConditionExpression: 'attribute_not_exists(pk)' } }, reserveQuota(tenantId, limits, body.size)];
  await transactOrAbortUpload(key, plan, items, async (i) => {
    if (i === 0) return concurrentModification('Another version of this file was created meanwhile, or the file was deleted; retry');
    if (i === 2) return quotaExceeded(await tenantLimits(tenantId), body.size);
    return undefined;
  });
  return { file: toFile({ ...file, latestVersion: number, updatedAt: now }), version: toVersion(version), plan };
}

/** Claims version `number` on the file: fails when another version was handed out since `file` was read. */
function allocateVersion(tenantId: string, file: FileItem, number: number, now: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: fileKey(tenantId, file.id),
      UpdateExpression: 'SET latestVersion = :number, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND latestVersion = :previous',
      ExpressionAttributeValues: { ':number': number, ':now': now, ':previous': file.latestVersion },
    },
  };
}

function newVersionItem(
  tenantId: string, fileId: string, version: number, key: string, contentType: string, size: number,
  plan: UploadPlan | undefined, now: string, userId: string, restoredFrom?: number,
): VersionItem {
  return {
    ...versionKey(tenantId, fileId, version),
    type: 'FILE_VERSION',
    fileId,
    version,
    objectKey: key,
    contentType,
    size,
    status: 'PENDING',
    reservedBytes: size, // released when it leaves PENDING (lib/quota.ts)
    ...(plan?.method === 'MULTIPART' ? { uploadId: plan.uploadId, partSize: plan.partSize, partCount: plan.partCount } : {}),
    restoredFrom,
    createdAt: now,
    createdBy: userId,
  };
}

/** A single PUT for small files; otherwise starts an S3 multipart upload. */
async function startUpload(key: string, size: number, contentType: string): Promise<UploadPlan> {
  if (size <= SINGLE_UPLOAD_MAX_BYTES) return { method: 'PUT' };
  const partSize = partSizeFor(size);
  const res = await s3().send(new CreateMultipartUploadCommand({ Bucket: filesBucket(), Key: key, ContentType: contentType }));
  if (!res.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return { method: 'MULTIPART', uploadId: res.UploadId, partSize, partCount: Math.ceil(size / partSize) };
}

/** The metadata transaction; a multipart upload started for it is aborted when it fails. */
type AsyncExplain = (i: number) => Promise<Error | undefined>;

async function transactOrAbortUpload(key: string, plan: UploadPlan, items: TransactItem[], explain: AsyncExplain): Promise<void> {
  try {
    let failed: number | undefined;
    await transact(items, (i) => {
      failed = i;
      return undefined;
    }).catch(async (err) => {
      throw (failed !== undefined ? await explain(failed) : undefined) ?? err;
    });
  } catch (err) {
    if (plan.method === 'MULTIPART') await abortQuietly(key, plan.uploadId);
    throw err;
  }
}

/** transact() whose item `quotaIndex` is a reserveQuota: its failure is a 413 with the current numbers. */
async function transactWithQuota(
  items: TransactItem[], tenantId: string, size: number, quotaIndex: number, explain: (i: number) => Error | undefined,
): Promise<void> {
  let failed: number | undefined;
  await transact(items, (i) => {
    failed = i;
    return i === quotaIndex ? undefined : explain(i);
  }).catch(async (err) => {
    if (failed === quotaIndex) throw quotaExceeded(await tenantLimits(tenantId), size);
    throw err;
  });
}

/** PENDING -> ABORTED, giving back the version's quota reservation in the same transaction. */
async function markAborted(tenantId: string, version: VersionItem): Promise<void> {
  const items: TransactItem[] = [{
    Update: {
      TableName: tableName(),
      Key: versionKey(tenantId, version.fileId, version.version),
      UpdateExpression: 'SET #status = :aborted, abortedAt = :now REMOVE reservedBytes',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':aborted': 'ABORTED', ':pending': 'PENDING', ':now': new Date().toISOString() },
    },
  }];
  if (version.reservedBytes) items.push(releaseReservation(tenantId, version.reservedBytes));
  await transact(items, (i) => (i === 0 ? concurrentModification('The version changed meanwhile; reload') : undefined));
}

async function abortQuietly(key: string, uploadId: string): Promise<void> {
  try {
    await s3().send(new AbortMultipartUploadCommand({ Bucket: filesBucket(), Key: key, UploadId: uploadId }));
  } catch (err) {
    logger.warn('could not abort a multipart upload; the bucket lifecycle rule will', { objectKey: key, error: err as Error });
  }
}

async function uploadInstructions(tenantId: string, prepared: PreparedUpload): Promise<UploadInstructions> {
  const { file, version, plan } = prepared;
  const key = objectKey(tenantId, file.id, version.version);
  const bucket = filesBucket();
  if (plan.method === 'PUT') {
    // If-None-Match: * (S3 conditional write) is signed: the URL can create the object once, never overwrite it.
    const command = new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: version.contentType, ContentLength: version.size, IfNoneMatch: '*' });
    const url = await getSignedUrl(presigner(), command, { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: SIGNED_UPLOAD_HEADERS });
    return { method: 'PUT', url, headers: { 'Content-Type': version.contentType, 'If-None-Match': '*' }, expiresAt: expiresAt(UPLOAD_URL_SECONDS) };
  }
  const parts = await Promise.all(Array.from({ length: plan.partCount }, async (_, i) => {
    const partNumber = i + 1;
    const size = partNumber < plan.partCount ? plan.partSize : version.size - plan.partSize * (plan.partCount - 1);
    const command = new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: plan.uploadId, PartNumber: partNumber, ContentLength: size });
    const url = await getSignedUrl(presigner(), command, { expiresIn: PART_URL_SECONDS, signableHeaders: SIGNED_PART_HEADERS });
    return { partNumber, size, url };
  }));
  return { method: 'MULTIPART', uploadId: plan.uploadId, partSize: plan.partSize, parts, expiresAt: expiresAt(PART_URL_SECONDS) };
}

// ---------------------------------------------------------------- multipart complete / abort

async function completeUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  // No body at all is the same as `{}`: complete the latest version with the parts S3 holds.
  const body = req.event.body === null || req.event.body === undefined || req.event.body === '' ? {} : parseBody(req.event, completeBody);
  const file = await mustGetFile(tenantId, id);
  const version = await mustGetVersion(tenantId, file, body.version ?? file.latestVersion);
  const n = version.version;
  if (!version.uploadId || !version.partCount) {
    throw new ConflictError(`Version ${n} of file ${id} is not a multipart upload; nothing to complete`, undefined, 'NOT_MULTIPART');
  }
  if (version.status === 'ABORTED') throw new ConflictError(`The upload of version ${n} was aborted; start a new upload`, undefined, 'UPLOAD_ABORTED');
  // Already completed (a retry, or the processor was faster): same answer again.
  if (version.uploadCompletedAt || version.status !== 'PENDING') return ok({ file: toFile(file), version: toVersion(version) });

  if (body.parts) {
    const numbers = body.parts.map((p) => p.partNumber).sort((a, b) => a - b);
    if (numbers.length !== version.partCount || numbers.some((num, i) => num !== i + 1)) {
      throw invalid('body', 'parts', `must list each of the ${version.partCount} parts exactly once (partNumber 1 to ${version.partCount}); got ${numbers.join(', ')}`);
    }
  }
  try {
    const parts = body.parts ?? await uploadedParts(version.objectKey, version.uploadId, version.partCount);
    await s3().send(new CompleteMultipartUploadCommand({
      Bucket: filesBucket(),
      Key: version.objectKey,
      UploadId: version.uploadId,
      IfNoneMatch: '*', // never over an existing (verified) object
      MultipartUpload: {
        Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
      },
    }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchUpload') {
      // Completed by an earlier attempt whose answer was lost? Then the object exists.
      if (!(await objectExists(version.objectKey))) {
        throw new ConflictError(`The multipart upload of version ${n} no longer exists (aborted or expired); start a new upload`, undefined, 'UPLOAD_NOT_FOUND');
      }
    } else if (name === 'PreconditionFailed') {
      throw new ConflictError(`Version ${n} of file ${id} already has an object; start a new upload for new bytes`, undefined, 'UPLOAD_COMPLETED');
    } else if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
      throw invalid('body', 'parts', `S3 refused the parts: ${(err as Error).message}`);
    } else {
      throw err;
    }
  }

  const now = new Date().toISOString();
  try {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: versionKey(tenantId, id, n),
      UpdateExpression: 'SET uploadCompletedAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':now': now },
    }));
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') throw new NotFoundError(`File ${id} not found`);
    throw err;
  }
  metrics.addMetric('MultipartUploadsCompleted', MetricUnit.Count, 1);
  return ok({ file: toFile(file), version: toVersion({ ...version, uploadCompletedAt: now }) });
}

/**
 * The parts S3 holds for an upload (ListParts, every page), for a completion without a part list:
 * a client completing a 5 GiB upload then sends a few bytes instead of about 65 per part. 409
 * UPLOAD_INCOMPLETE (nothing completed) unless exactly the parts 1 to `partCount` were uploaded.
 */
async function uploadedParts(key: string, uploadId: string, partCount: number): Promise<{ partNumber: number; etag: string }[]> {
  const parts: { partNumber: number; etag: string }[] = [];
  let marker: string | undefined;
  do {
    const page = await s3().send(new ListPartsCommand({ Bucket: filesBucket(), Key: key, UploadId: uploadId, PartNumberMarker: marker }));
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined && p.ETag !== undefined) parts.push({ partNumber: p.PartNumber, etag: p.ETag });
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker !== undefined);
  const uploaded = new Set(parts.map((p) => p.partNumber));
  const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !uploaded.has(n));
  if (missing.length > 0) {
    throw new ConflictError(
      `${missing.length} of the ${partCount} parts are not uploaded yet (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}); upload them, then complete again`,
      { expectedParts: partCount, uploadedParts: uploaded.size, missing: missing.slice(0, 100) },
      'UPLOAD_INCOMPLETE',
    );
  }
  // Only the parts that were signed for (S3 drops the others when the upload completes).
  return parts.filter((p) => p.partNumber <= partCount);
}

async function abortUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const query = parseQuery(req.event, abortQuery);
  const file = await mustGetFile(tenantId, id);
  const version = await mustGetVersion(tenantId, file, query.version ?? file.latestVersion);
  const n = version.version;
  // Aborting can delete the file (a new file without a usable version): the uploader's or an admin's call.
  assertMayDestroy(req.caller, version.createdBy, 'abort this upload');
  if (!version.uploadId) {
    throw new ConflictError(`Version ${n} of file ${id} is not a multipart upload; delete the file to remove it`, undefined, 'NOT_MULTIPART');
  }
  if (version.status === 'ABORTED') return ok({ fileDeleted: false, file: toFile(file), version: toVersion(version) });
  const completed = () => new ConflictError(`The upload of version ${n} was already completed; delete the file to remove it`, undefined, 'UPLOAD_COMPLETED');
  if (version.status !== 'PENDING' || version.uploadCompletedAt) throw completed();

  try {
    await s3().send(new AbortMultipartUploadCommand({ Bucket: filesBucket(), Key: version.objectKey, UploadId: version.uploadId }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
    // Gone: aborted by an earlier attempt (fine) or completed behind our back (then the object exists).
    if (await objectExists(version.objectKey)) throw completed();
  }
  metrics.addMetric('UploadsAborted', MetricUnit.Count, 1);
  const aborted = toVersion({ ...version, status: 'ABORTED' });

  // A new file that never had a usable version goes away entirely, freeing its name.
  const versions = await versionsOf(tenantId, id);
  const othersInUse = versions.some((v) => v.version !== n && (v.status === 'PENDING' || v.status === 'AVAILABLE'));
  if (file.currentVersion === 0 && !othersInUse) {
    await deleteFileCompletely(tenantId, file);
    return ok({ fileDeleted: true, file: null, version: aborted });
  }
  await markAborted(tenantId, version);
  return ok({ fileDeleted: false, file: toFile(file), version: aborted });
}

async function objectExists(key: string): Promise<boolean> {
  try {
    // The function's own role: telling a missing object (404) from a denied one needs s3:ListBucket,
    // which tenant sessions do not have (it would list every tenant's keys).
    await functionS3().send(new HeadObjectCommand({ Bucket: filesBucket(), Key: key }));
    return true;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function mustGetVersion(tenantId: string, file: FileItem, version: number): Promise<VersionItem> {
  const item = await getVersionItem(tenantId, file.id, version);
  if (!item) throw new NotFoundError(`Version ${version} of file ${file.id} not found`);
  return item;
}

// ---------------------------------------------------------------- GET / PATCH / DELETE /api/files/{id}

async function getFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const file = await mustGetFile(tenantId, id);
  const versions = await versionsOf(tenantId, id);
  const current = versions.find((v) => v.version === file.currentVersion && v.status === 'AVAILABLE');
  const download = current ? await downloadUrl(current.objectKey, file.name, current.contentType, current.s3VersionId) : null;
  const thumbnail = current?.thumbnailKey ? await thumbnailUrl(tenantId, current.thumbnailKey) : null;
  return ok({ ...toFile(file), versionCount: versions.length, download, thumbnail });
}

async function updateFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const body = parseBody(req.event, updateBody);
  const file = await mustGetFile(tenantId, id);

  const newName = body.name ?? file.name;
  const oldFolder = file.folderId;
  const newFolder = body.folderId === undefined ? oldFolder : body.folderId ?? undefined;
  const moved = newFolder !== oldFolder;
  const renamed = newName !== file.name;
  if (!moved && !renamed) return ok(toFile(file));

  const now = new Date().toISOString();
  const index = childIndex(tenantId, newFolder, 'FILE', newName);
  const values: Record<string, unknown> = {
    ':name': newName,
    ':lower': nameKey(newName),
    ':g2pk': index.gsi2pk,
    ':g2sk': index.gsi2sk,
    ':now': now,
    ':oldName': file.name,
  };
  if (newFolder) values[':folder'] = newFolder;
  if (oldFolder) values[':oldFolder'] = oldFolder;
  // Guarded by the name and folder read: a concurrent rename or move makes this a 409, not a lost update.
  const items: TransactItem[] = [{
    Update: {
      TableName: tableName(),
      Key: fileKey(tenantId, id),
      UpdateExpression: `SET #name = :name, nameLower = :lower, gsi2pk = :g2pk, gsi2sk = :g2sk, updatedAt = :now${newFolder ? ', folderId = :folder' : ' REMOVE folderId'}`,
      ConditionExpression: `attribute_exists(pk) AND #name = :oldName AND ${oldFolder ? 'folderId = :oldFolder' : 'attribute_not_exists(folderId)'}`,
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: values,
    },
  }];
  let guardIndex = -1;
  if (moved || nameKey(newName) !== nameKey(file.name)) {
    items.push(nameGuardDelete(tenantId, oldFolder, file.name));
    guardIndex = items.push(nameGuardPut(tenantId, newFolder, newName, 'FILE', id)) - 1;
  }
  let newFolderIndex = -1;
  if (moved) {
    if (oldFolder) items.push(counterUpdate(tenantId, oldFolder, -1));
    if (newFolder) newFolderIndex = items.push(counterUpdate(tenantId, newFolder, +1)) - 1;
  }

  await transact(items, (i) => {
    if (i === 0) return concurrentModification('File was changed by another request; reload and retry');
    if (i === guardIndex) return nameConflict(newName);
    if (i === newFolderIndex) return new NotFoundError(`Folder ${newFolder} not found`);
    return undefined;
  });
  if (moved) metrics.addMetric('FilesMoved', MetricUnit.Count, 1);
  if (renamed) metrics.addMetric('FilesRenamed', MetricUnit.Count, 1);
  return ok(toFile({ ...file, name: newName, nameLower: nameKey(newName), folderId: newFolder, updatedAt: now }));
}

async function deleteFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const file = await mustGetFile(tenantId, id);
  assertMayDestroy(req.caller, file.createdBy, 'delete this file');
  const result = await deleteFileCompletely(tenantId, file);
  return ok({ deleted: [id], deletedVersions: result.versions, freedBytes: result.freedBytes });
}

// ---------------------------------------------------------------- versions

async function listVersions(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const file = await mustGetFile(tenantId, id);
  const versions = (await versionsOf(tenantId, id)).reverse();
  return ok({
    fileId: id,
    currentVersion: file.currentVersion,
    latestVersion: file.latestVersion,
    versions: versions.map((v) => ({ ...toVersion(v), current: v.version === file.currentVersion })),
  });
}

const restoreOnce = idempotentOperation('files.restoreVersion');

async function restoreVersion(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const key = idempotencyKeyOf(req.event);
  const { id } = parsePath(req.event, idPath);
  const body = parseBody(req.event, restoreBody);
  const result = await restoreOnce(key, { tenantId, fileId: id, body }, req.context, () => restore(tenantId, userId, id, body.version));
  return created(result);
}

async function restore(tenantId: string, userId: string, id: string, from: number): Promise<{ file: FileView; version: VersionView }> {
  const file = await mustGetFile(tenantId, id);
  const source = await mustGetVersion(tenantId, file, from);
  if (source.status !== 'AVAILABLE') {
    throw new ConflictError(`Version ${from} of file ${id} is ${source.status}; only AVAILABLE versions can be restored`, { status: source.status }, 'VERSION_NOT_AVAILABLE');
  }
  const limits = await tenantLimits(tenantId);
  assertUploadAllowed(limits, source.size, source.contentType);
  const number = file.latestVersion + 1;
  const now = new Date().toISOString();
  const key = objectKey(tenantId, id, number);
  const version = newVersionItem(tenantId, id, number, key, source.contentType, source.size, undefined, now, userId, from);
  const items = [allocateVersion(tenantId, file, number, now), { Put: { TableName: tableName(), Item: version, ConditionExpression: 'attribute_not_exists(pk)' } }, reserveQuota(tenantId, limits, source.size)];
  await transactWithQuota(items, tenantId, source.size, 2, (i) =>
    i === 0 ? concurrentModification('Another version of this file was created meanwhile, or the file was deleted; retry') : undefined);

  const bucket = filesBucket();
  try {
    await s3().send(new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${bucket}/${source.objectKey.split('/').map(encodeURIComponent).join('/')}${source.s3VersionId ? `?versionId=${encodeURIComponent(source.s3VersionId)}` : ''}`,
      MetadataDirective: 'COPY',
    }));
  } catch (err) {
    // No object will arrive for this version: mark it so (releasing its reservation), then fail the request.
    await markAborted(tenantId, version).catch((e: Error) => logger.error('could not mark a failed restore ABORTED', e));
    throw err;
  }
  metrics.addMetric('VersionsRestored', MetricUnit.Count, 1);
  return { file: toFile({ ...file, latestVersion: number, updatedAt: now }), version: toVersion(version) };
}

// ---------------------------------------------------------------- GET /api/files

type ListMode = 'folder' | 'search';
/** The key attributes of an item in each listing's index (what ExclusiveStartKey needs). */
const PAGE_KEY_ATTRIBUTES: Record<ListMode, readonly string[]> = {
  folder: ['pk', 'sk', 'gsi2pk', 'gsi2sk'],
  search: ['pk', 'sk', 'gsi3pk', 'gsi3sk'],
};

interface Listing {
  readonly mode: ListMode;
  readonly input: QueryCommandInput;
  /** The index partition of this listing: a page token must point into it. */
  readonly partition: { readonly attribute: string; readonly value: string };
  readonly filtered: boolean;
}

async function listFiles(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const query = parseQuery(req.event, listQuery);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const listing = await listingFor(tenantId, query);
  const start = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken, tenantId, listing);
  const page = await readPage(listing, limit, start);
  return ok({
    files: (page.items as unknown as FileItem[]).map(toFile),
    count: page.items.length,
    nextToken: page.next ? encodePageToken(listing.mode, page.next) : null,
  });
}

/**
 * The query for a listing. A folder's files come from FolderChildren (sorted by name; a name
 * prefix narrows the key range); everything else from FileSearch, newest first (a date range
 * narrows the key range). Other filters are filter expressions.
 */
async function listingFor(tenantId: string, q: ListQuery): Promise<Listing> {
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (q.type !== undefined) {
    filters.push(q.type.endsWith('/') ? 'begins_with(contentType, :type)' : 'contentType = :type');
    values[':type'] = q.type;
  }
  if (q.name !== undefined) {
    filters.push('contains(nameLower, :name)');
    values[':name'] = q.name;
  }
  if (q.status !== undefined) {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = q.status;
  }

  let mode: ListMode;
  let keyCondition: string;
  let partition: Listing['partition'];
  if (q.folderId !== undefined) {
    mode = 'folder';
    const folderId = q.folderId === ROOT ? undefined : q.folderId;
    if (folderId) await mustExistFolder(tenantId, folderId);
    partition = { attribute: 'gsi2pk', value: childIndex(tenantId, folderId, 'FILE', '').gsi2pk };
    keyCondition = 'gsi2pk = :p AND begins_with(gsi2sk, :prefix)';
    values[':prefix'] = childSkPrefix('FILE', q.namePrefix);
    if (q.from !== undefined) {
      filters.push('createdAt >= :from');
      values[':from'] = q.from;
    }
    if (q.to !== undefined) {
      filters.push('createdAt <= :to');
      values[':to'] = q.to;
    }
  } else {
    mode = 'search';
    partition = { attribute: 'gsi3pk', value: fileSearchIndex(tenantId, '', '').gsi3pk };
    keyCondition = 'gsi3pk = :p';
    // gsi3sk = `<createdAt>#<fileId>`: an id of `~` sorts after every id character, so `to` includes its instant.
    if (q.from !== undefined && q.to !== undefined) keyCondition += ' AND gsi3sk BETWEEN :from AND :to';
    else if (q.from !== undefined) keyCondition += ' AND gsi3sk >= :from';
    else if (q.to !== undefined) keyCondition += ' AND gsi3sk <= :to';
    if (q.from !== undefined) values[':from'] = q.from;
    if (q.to !== undefined) values[':to'] = fileSearchIndex(tenantId, q.to, '~').gsi3sk;
    if (q.namePrefix !== undefined) {
      filters.push('begins_with(nameLower, :namePrefix)');
      values[':namePrefix'] = q.namePrefix;
    }
  }
  values[':p'] = partition.value;
  return {
    mode,
    partition,
    filtered: filters.length > 0,
    input: {
      TableName: tableName(),
      IndexName: mode === 'folder' ? GSI.folderChildren : GSI.fileSearch,
      KeyConditionExpression: keyCondition,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: mode === 'folder',
    },
  };
}

/**
 * Up to `limit` matching items after `start`. DynamoDB applies Limit before the filter, so a
 * filtered listing reads several pages until it has `limit` items; the next token is the key of the
 * last item returned, so nothing is skipped or repeated.
 */
async function readPage(listing: Listing, limit: number, start: Record<string, unknown> | undefined) {
  const items: Record<string, unknown>[] = [];
  const keyOf = (item: Record<string, unknown>) => Object.fromEntries(PAGE_KEY_ATTRIBUTES[listing.mode].map((a) => [a, item[a]]));
  let exclusiveStart = start;
  for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
    let page;
    try {
      page = await ddb().send(new QueryCommand({
        ...listing.input,
        Limit: listing.filtered ? Math.max(100, limit + 1) : limit + 1,
        ExclusiveStartKey: exclusiveStart,
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ValidationException' && start) throw invalid('query', 'nextToken', 'is not a valid page token for this listing');
      throw err;
    }
    const found = page.Items ?? [];
    for (let i = 0; i < found.length; i++) {
      items.push(found[i]);
      if (items.length === limit) {
        const more = i < found.length - 1 || page.LastEvaluatedKey !== undefined;
        return { items, next: more ? keyOf(found[i]) : undefined };
      }
    }
    if (!page.LastEvaluatedKey) return { items, next: undefined };
    exclusiveStart = page.LastEvaluatedKey;
  }
  return { items, next: exclusiveStart };
}

function encodePageToken(mode: ListMode, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ m: mode, k: key })).toString('base64url');
}

const pageTokenSchema = z.object({ m: z.enum(['folder', 'search']), k: z.record(z.string(), z.string()) });

/** A client's page token, accepted only when it points into this very listing of the caller's tenant. */
function decodePageToken(token: string, tenantId: string, listing: Listing): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = z.safeParse(pageTokenSchema, decoded);
  const key = parsed.success ? parsed.data.k : undefined;
  const attributes = PAGE_KEY_ATTRIBUTES[listing.mode];
  const valid = parsed.success && key !== undefined
    && parsed.data.m === listing.mode
    && Object.keys(key).length === attributes.length
    && attributes.every((a) => typeof key[a] === 'string')
    && key.pk === tenantPk(tenantId)
    && key.sk.startsWith(FILE_PREFIX)
    && key[listing.partition.attribute] === listing.partition.value;
  if (!valid) throw invalid('query', 'nextToken', 'is not a valid page token for this listing');
  return key;
}

async function mustExistFolder(tenantId: string, folderId: string): Promise<void> {
  const res = await ddb().send(new GetCommand({ TableName: tableName(), Key: folderKey(tenantId, folderId), ProjectionExpression: 'pk' }));
  if (!res.Item) throw new NotFoundError(`Folder ${folderId} not found`);
}
