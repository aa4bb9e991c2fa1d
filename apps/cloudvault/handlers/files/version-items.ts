/** Writing version items: allocating the next number, the PENDING item, aborting one, and reading one or 404. */
import { UploadPlan } from './upload-plan';
import { tableName } from '../lib/clients';
import { NotFoundError } from '../lib/errors';
import { FileItem, VersionItem, getVersionItem } from '../lib/file-items';
import { TransactItem, concurrentModification, transact } from '../lib/hierarchy';
import { fileKey, versionKey } from '../lib/keys';
import { quotaExceeded, releaseReservation, tenantLimits } from '../lib/quota';

/** Claims version `number` on the file: fails when another version was handed out since `file` was read. */
export function allocateVersion(tenantId: string, file: FileItem, number: number, now: string): TransactItem {
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

export function newVersionItem(
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

/** transact() whose item `quotaIndex` is a reserveQuota: its failure is a 413 with the current numbers. */
export async function transactWithQuota(
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
export async function markAborted(tenantId: string, version: VersionItem): Promise<void> {
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

export async function mustGetVersion(tenantId: string, file: FileItem, version: number): Promise<VersionItem> {
  const item = await getVersionItem(tenantId, file.id, version);
  if (!item) throw new NotFoundError(`Version ${version} of file ${file.id} not found`);
  return item;
}
