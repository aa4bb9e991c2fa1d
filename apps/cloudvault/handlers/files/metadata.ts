/** GET, PATCH and DELETE /api/files/{id}: a file's metadata and download, rename and move, delete. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { downloadUrl, thumbnailUrl } from './presign';
import { idPath, updateBody } from './schemas';
import { tableName } from '../lib/clients';
import { NotFoundError } from '../lib/errors';
import { deleteFileCompletely, mustGetFile, toFile, versionsOf } from '../lib/file-items';
import { TransactItem, concurrentModification, counterUpdate, nameConflict, nameGuardDelete, nameGuardPut, transact } from '../lib/hierarchy';
import { ok } from '../lib/http';
import { childIndex, fileKey, nameKey } from '../lib/keys';
import { ApiRequest, MetricUnit, metrics } from '../lib/observability';
import { assertMayDestroy } from '../lib/roles';
import { parseBody, parsePath } from '../lib/validation';

export async function getFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const file = await mustGetFile(tenantId, id);
  const versions = await versionsOf(tenantId, id);
  const current = versions.find((v) => v.version === file.currentVersion && v.status === 'AVAILABLE');
  const download = current ? await downloadUrl(current.objectKey, file.name, current.contentType, current.s3VersionId) : null;
  const thumbnail = current?.thumbnailKey ? await thumbnailUrl(tenantId, current.thumbnailKey) : null;
  return ok({ ...toFile(file), versionCount: versions.length, download, thumbnail });
}

export async function updateFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

export async function deleteFile(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const file = await mustGetFile(tenantId, id);
  assertMayDestroy(req.caller, file.createdBy, 'delete this file');
  const result = await deleteFileCompletely(tenantId, file);
  return ok({ deleted: [id], deletedVersions: result.versions, freedBytes: result.freedBytes });
}
