/** POST and DELETE /api/files/{id}/upload: completing or aborting a multipart upload. */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { objectExists } from './objects';
import { abortQuery, completeBody, idPath, invalid } from './schemas';
import { markAborted, mustGetVersion } from './version-items';
import { ddb, filesBucket, s3, tableName } from '../lib/clients';
import { ConflictError, NotFoundError } from '../lib/errors';
import { deleteFileCompletely, mustGetFile, toFile, toVersion, versionsOf } from '../lib/file-items';
import { ok } from '../lib/http';
import { versionKey } from '../lib/keys';
import { ApiRequest, MetricUnit, metrics } from '../lib/observability';
import { assertMayDestroy } from '../lib/roles';
import { parseBody, parsePath, parseQuery } from '../lib/validation';

export async function completeUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

export async function abortUpload(req: ApiRequest): Promise<APIGatewayProxyResult> {
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
