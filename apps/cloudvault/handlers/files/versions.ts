/** GET and POST /api/files/{id}/versions: a file's versions, and restoring one as a new version. */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { idPath, restoreBody } from './schemas';
import { allocateVersion, markAborted, mustGetVersion, newVersionItem, transactWithQuota } from './version-items';
import { filesBucket, s3, tableName } from '../lib/clients';
import { ConflictError } from '../lib/errors';
import { FileView, VersionView, mustGetFile, toFile, toVersion, versionsOf } from '../lib/file-items';
import { concurrentModification } from '../lib/hierarchy';
import { created, ok } from '../lib/http';
import { idempotencyKeyOf, idempotentOperation } from '../lib/idempotency';
import { objectKey } from '../lib/keys';
import { ApiRequest, MetricUnit, logger, metrics } from '../lib/observability';
import { assertUploadAllowed, reserveQuota, tenantLimits } from '../lib/quota';
import { parseBody, parsePath } from '../lib/validation';

export async function listVersions(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

export async function restoreVersion(req: ApiRequest): Promise<APIGatewayProxyResult> {
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
