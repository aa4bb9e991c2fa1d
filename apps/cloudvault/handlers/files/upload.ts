/**
 * POST /api/files: starts an upload of a new file or of a new version of one, writing its metadata
 * once per Idempotency-Key and answering with freshly signed upload URLs.
 */
import { randomUUID } from 'crypto';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { PART_URL_SECONDS, UPLOAD_URL_SECONDS } from './limits';
import { objectExists } from './objects';
import { SIGNED_PART_HEADERS, SIGNED_UPLOAD_HEADERS, expiresAt } from './presign';
import { CreateBody, createBody } from './schemas';
import { UploadPlan, startUpload, transactOrAbortUpload } from './upload-plan';
import { allocateVersion, newVersionItem } from './version-items';
import { filesBucket, presigner, tableName } from '../lib/clients';
import { ConflictError, NotFoundError } from '../lib/errors';
import { FileItem, FileView, VersionView, getVersionItem, mustGetFile, toFile, toVersion } from '../lib/file-items';
import { TransactItem, concurrentModification, counterUpdate, nameConflict, nameGuardPut } from '../lib/hierarchy';
import { created } from '../lib/http';
import { idempotencyKeyOf, idempotentOperation } from '../lib/idempotency';
import { childIndex, fileKey, fileSearchIndex, nameKey, objectKey } from '../lib/keys';
import { ApiRequest, MetricUnit, metrics } from '../lib/observability';
import { assertUploadAllowed, quotaExceeded, reserveQuota, tenantLimits } from '../lib/quota';
import { parseBody } from '../lib/validation';

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

export async function createUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
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
