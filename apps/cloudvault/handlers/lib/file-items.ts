/**
 * File and file-version items (keys in keys.ts) as the fileService writes them and the
 * fileProcessor completes them, and the one way to delete a file with everything it owns (used by
 * DELETE /api/files/{id}, by aborting a never-completed upload and by recursive folder deletes).
 *
 * Status model, shared with the fileProcessor:
 * - version: PENDING (upload or restore copy not verified yet) -> AVAILABLE (verified) or
 *   QUARANTINED (real type differs from the declared one); ABORTED when a multipart upload is
 *   abandoned. The processor ADDs a version's size to the tenant's `storedBytes` when it marks the
 *   version AVAILABLE, so deleting an AVAILABLE version subtracts it again.
 * - file: PENDING until its first version is verified; then `currentVersion` is the latest
 *   AVAILABLE version and size/checksum/contentType/thumbnailKey are copied from it;
 *   `latestVersion` is the highest version number handed out (uploads and restores).
 */
import { AbortMultipartUploadCommand, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { filesBucket, s3, tableName } from './clients';
import { NotFoundError } from './errors';
import { MAX_TRANSACTION_ITEMS, TransactItem, concurrentModification, counterUpdate, nameGuardDelete, transact } from './hierarchy';
import { GSI, childIndex, childSkPrefix, fileKey, tenantKey, tenantPk, thumbnailKey, versionKey, versionPrefix } from './keys';
import { logger, metrics, MetricUnit } from './observability';
import { getItem, queryAll } from './query';

export type FileStatus = 'PENDING' | 'AVAILABLE' | 'QUARANTINED';
export type VersionStatus = 'PENDING' | 'AVAILABLE' | 'QUARANTINED' | 'ABORTED';

/** The stored file item (plus the FolderChildren and FileSearch index attributes). */
export interface FileItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'FILE';
  readonly id: string;
  readonly name: string;
  /** nameKey(name): case-insensitive name filters. */
  readonly nameLower: string;
  readonly folderId?: string;
  readonly contentType: string;
  readonly size: number;
  /** Latest AVAILABLE version, 0 while none is. */
  readonly currentVersion: number;
  /** Highest version number created. */
  readonly latestVersion: number;
  readonly status: FileStatus;
  readonly checksum?: string;
  readonly thumbnailKey?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/** The stored version item. */
export interface VersionItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'FILE_VERSION';
  readonly fileId: string;
  readonly version: number;
  readonly objectKey: string;
  readonly contentType: string;
  readonly size: number;
  readonly status: VersionStatus;
  /** Quota reserved for this version while PENDING (lib/quota.ts); removed when released. */
  readonly reservedBytes?: number;
  readonly checksum?: string;
  /** The verified object: its ETag and, in a versioned bucket, its S3 version id (downloads are pinned to it). */
  readonly etag?: string;
  readonly s3VersionId?: string;
  readonly thumbnailKey?: string;
  /** Multipart uploads: the S3 upload id, the part size and count handed out. */
  readonly uploadId?: string;
  readonly partSize?: number;
  readonly partCount?: number;
  /** When the client completed the multipart upload (the processor then verifies the object). */
  readonly uploadCompletedAt?: string;
  /** Restores: the version this one is a copy of. */
  readonly restoredFrom?: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly processedAt?: string;
}

/** A file as clients see it. */
export interface FileView {
  readonly id: string;
  readonly name: string;
  readonly folderId: string | null;
  readonly contentType: string;
  readonly size: number;
  readonly status: FileStatus;
  readonly currentVersion: number;
  readonly latestVersion: number;
  readonly checksum: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/** A version as clients see it. */
export interface VersionView {
  readonly version: number;
  readonly size: number;
  readonly contentType: string;
  readonly checksum: string | null;
  readonly status: VersionStatus;
  readonly createdAt: string;
  readonly processedAt: string | null;
  readonly restoredFrom: number | null;
  readonly multipart: boolean;
}

export const toFile = (item: FileItem): FileView => ({
  id: item.id,
  name: item.name,
  folderId: item.folderId ?? null,
  contentType: item.contentType,
  size: item.size,
  status: item.status,
  currentVersion: item.currentVersion,
  latestVersion: item.latestVersion,
  checksum: item.checksum ?? null,
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
  createdBy: item.createdBy,
});

export const toVersion = (item: VersionItem): VersionView => ({
  version: item.version,
  size: item.size,
  contentType: item.contentType,
  checksum: item.checksum ?? null,
  status: item.status,
  createdAt: item.createdAt,
  processedAt: item.processedAt ?? null,
  restoredFrom: item.restoredFrom ?? null,
  multipart: item.uploadId !== undefined,
});

/** The files bucket (FILES_BUCKET, set by the stack). */
export async function getFileItem(tenantId: string, id: string): Promise<FileItem | undefined> {
  return getItem<FileItem>(fileKey(tenantId, id));
}

/** The file, or 404: also when the id belongs to another tenant (the key carries the caller's tenant). */
export async function mustGetFile(tenantId: string, id: string): Promise<FileItem> {
  const file = await getFileItem(tenantId, id);
  if (!file) throw new NotFoundError(`File ${id} not found`);
  return file;
}

export async function getVersionItem(tenantId: string, fileId: string, version: number): Promise<VersionItem | undefined> {
  return getItem<VersionItem>(versionKey(tenantId, fileId, version));
}

/** The file's versions, oldest first. */
export async function versionsOf(tenantId: string, fileId: string): Promise<VersionItem[]> {
  return (await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': versionPrefix(fileId) },
    ConsistentRead: true,
  })) as unknown as VersionItem[];
}

/** The files directly inside a folder (FolderChildren index; eventually consistent). */
export async function filesInFolder(tenantId: string, folderId: string): Promise<FileItem[]> {
  return (await queryAll({
    TableName: tableName(),
    IndexName: GSI.folderChildren,
    KeyConditionExpression: 'gsi2pk = :p AND begins_with(gsi2sk, :kind)',
    ExpressionAttributeValues: { ':p': childIndex(tenantId, folderId, 'FILE', '').gsi2pk, ':kind': childSkPrefix('FILE') },
  })) as unknown as FileItem[];
}

/** Room in the final transaction next to the file, its name guard, its folder and the tenant counter. */
const VERSIONS_PER_TRANSACTION = MAX_TRANSACTION_ITEMS - 4;

export interface DeletedFile {
  readonly versions: number;
  /** Bytes of AVAILABLE versions, subtracted from the tenant's storedBytes. */
  readonly freedBytes: number;
}

/**
 * Deletes a file with its versions, name guard and place in its folder's child counter, subtracts
 * its AVAILABLE versions from the tenant's `storedBytes`, aborts its unfinished multipart uploads
 * and deletes its objects (every version and thumbnail).
 *
 * Each version is deleted on condition that its status is still the one read, in the same
 * transaction as the matching storedBytes change, so a version the processor verifies meanwhile
 * is never miscounted (409, retry). The file item goes last (on condition that no version was added
 * meanwhile): a failure half-way leaves the file with fewer versions, and the request can simply
 * be repeated. A file has rarely more versions than fit in one transaction; older ones beyond
 * that are removed in earlier transactions.
 *
 * Objects are deleted after the metadata: a failure there leaves unreferenced objects (logged as
 * an error with their keys), never metadata pointing at missing objects.
 */
export async function deleteFileCompletely(tenantId: string, file: FileItem): Promise<DeletedFile> {
  const versions = await versionsOf(tenantId, file.id);
  const earlier = versions.slice(0, Math.max(0, versions.length - VERSIONS_PER_TRANSACTION));
  const last = versions.slice(earlier.length);
  for (let i = 0; i < earlier.length; i += VERSIONS_PER_TRANSACTION) {
    const chunk = earlier.slice(i, i + VERSIONS_PER_TRANSACTION);
    const items = versionDeletes(tenantId, chunk);
    await transact(items, () => concurrentModification('A version of this file changed meanwhile; retry'));
  }

  const items: TransactItem[] = [
    {
      Delete: {
        TableName: tableName(),
        Key: fileKey(tenantId, file.id),
        ConditionExpression: 'attribute_exists(pk) AND latestVersion = :latest',
        ExpressionAttributeValues: { ':latest': file.latestVersion },
      },
    },
    nameGuardDelete(tenantId, file.folderId, file.name),
  ];
  if (file.folderId) items.push(counterUpdate(tenantId, file.folderId, -1));
  items.push(...versionDeletes(tenantId, last));
  await transact(items, (i) => {
    if (i === 0) return concurrentModification('The file was changed meanwhile (renamed, moved or a new version); retry');
    return concurrentModification('A version of this file changed meanwhile; retry');
  });

  await abortUnfinishedUploads(versions);
  await deleteObjects(tenantId, file.id, versions);
  const freedBytes = availableBytes(versions);
  metrics.addMetric('FilesDeleted', MetricUnit.Count, 1);
  if (freedBytes > 0) metrics.addMetric('BytesDeleted', MetricUnit.Bytes, freedBytes);
  return { versions: versions.length, freedBytes };
}

const availableBytes = (versions: readonly VersionItem[]) =>
  versions.filter((v) => v.status === 'AVAILABLE').reduce((sum, v) => sum + v.size, 0);

/** Deletes of `versions` (each on condition its status is unchanged) and the matching storedBytes change. */
function versionDeletes(tenantId: string, versions: readonly VersionItem[]): TransactItem[] {
  const items: TransactItem[] = versions.map((v) => ({
    Delete: {
      TableName: tableName(),
      Key: versionKey(tenantId, v.fileId, v.version),
      ConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': v.status },
    },
  }));
  const bytes = availableBytes(versions);
  // Pending versions give back their quota reservation.
  const reserved = versions.filter((v) => v.status === 'PENDING').reduce((sum, v) => sum + (v.reservedBytes ?? 0), 0);
  if (bytes > 0 || reserved > 0) {
    items.push({
      Update: {
        TableName: tableName(),
        Key: tenantKey(tenantId),
        UpdateExpression: 'ADD storedBytes :stored, reservedBytes :reserved, usedBytes :used',
        ExpressionAttributeValues: { ':stored': -bytes, ':reserved': -reserved, ':used': -(bytes + reserved) },
      },
    });
  }
  return items;
}

/** Frees the parts of multipart uploads that were never completed (the bucket's lifecycle rule is the backstop). */
async function abortUnfinishedUploads(versions: readonly VersionItem[]): Promise<void> {
  for (const v of versions) {
    if (!v.uploadId || v.uploadCompletedAt || v.status !== 'PENDING') continue;
    try {
      await s3().send(new AbortMultipartUploadCommand({ Bucket: filesBucket(), Key: v.objectKey, UploadId: v.uploadId }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchUpload') {
        logger.warn('could not abort a multipart upload; the bucket lifecycle rule will', { objectKey: v.objectKey, error: err as Error });
      }
    }
  }
}

/** Every object of the file: each version's object and thumbnail. Only this tenant's prefixes, whatever an item says. */
export function objectKeysOf(tenantId: string, fileId: string, versions: readonly VersionItem[]): string[] {
  const keys = new Set<string>();
  for (const v of versions) {
    keys.add(v.objectKey);
    keys.add(thumbnailKey(tenantId, fileId, v.version));
    if (v.thumbnailKey) keys.add(v.thumbnailKey);
  }
  const own = [`tenants/${tenantId}/files/${fileId}/`, `thumbnails/${tenantId}/files/${fileId}/`];
  return [...keys].filter((k) => own.some((prefix) => k.startsWith(prefix)));
}

async function deleteObjects(tenantId: string, fileId: string, versions: readonly VersionItem[]): Promise<void> {
  const keys = objectKeysOf(tenantId, fileId, versions);
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    try {
      const res = await s3().send(new DeleteObjectsCommand({
        Bucket: filesBucket(),
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }));
      if (res.Errors && res.Errors.length > 0) {
        logger.error('objects of a deleted file were not deleted', { fileId, errors: res.Errors });
        metrics.addMetric('ObjectDeleteFailures', MetricUnit.Count, res.Errors.length);
      }
    } catch (err) {
      logger.error('objects of a deleted file were not deleted', { fileId, keys: batch, error: err as Error });
      metrics.addMetric('ObjectDeleteFailures', MetricUnit.Count, batch.length);
    }
  }
}
