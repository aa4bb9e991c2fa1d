/**
 * Cleanup job (EventBridge Scheduler, daily, input `{}`):
 *
 * 1. Expired share links that DynamoDB TTL has not deleted yet (TTL deletes within days, not at
 *    the expiry second; the share routes already refuse expired links, this keeps lists tidy):
 *    items whose sk begins with `SHARE#` and whose `expiresAt` (epoch seconds) has passed.
 * 2. Stale multipart uploads: uploads under `tenants/` initiated more than STALE_UPLOAD_HOURS ago
 *    are aborted (their parts cost storage until then), and the file version they were for
 *    (keys.parseObjectKey -> keys.versionKey) is marked ABORTED if it is still PENDING. As with
 *    the files API's abort route, a new file that never had a usable version is then removed
 *    entirely (lib/file-items.ts deleteFileCompletely), which frees its name in the folder.
 *
 * Returns and logs the counts; metrics ExpiredSharesRemoved, StaleUploadsAborted,
 * UploadVersionsAborted, AbandonedFilesRemoved.
 * Every step is safe to repeat, so a retried or overlapping run does no harm.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListMultipartUploadsCommandOutput } from '@aws-sdk/client-s3';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { ddb, filesBucket, s3, tableName } from './lib/clients';
import { HttpError } from './lib/errors';
import { withEventHandler } from './lib/event-handler';
import { deleteFileCompletely, getFileItem, getVersionItem, versionsOf } from './lib/file-items';
import { TransactItem, transact } from './lib/hierarchy';
import { SHARE_PREFIX, TENANT_OBJECT_PREFIX, parseObjectKey, versionKey } from './lib/keys';
import { MetricUnit, logger, metrics } from './lib/observability';
import { releaseReservation } from './lib/quota';
import { describeProblems } from './lib/validation';
import './lib/zod-locale';

/** Multipart uploads older than this are abandoned (presigned part URLs expire long before). */
export const STALE_UPLOAD_HOURS = 24;
/** Stop starting new work when less time than this is left; the next run continues. */
const SAFETY_MARGIN_MS = 15_000;

/** The schedule's input: `{}` (no options; anything else is a misconfigured schedule). */
export const cleanupInput = z.strictObject({});

export interface CleanupResult {
  readonly expiredSharesRemoved: number;
  readonly staleUploadsAborted: number;
  readonly uploadVersionsAborted: number;
  /** New files removed because their only upload was abandoned. */
  readonly abandonedFilesRemoved: number;
  /** True when the run stopped early because the function was running out of time. */
  readonly incomplete: boolean;
}

export const handler = withEventHandler(async (event: unknown, context: Context): Promise<CleanupResult> => {
  const parsed = z.safeParse(cleanupInput, event);
  if (!parsed.success) {
    throw new Error(`Invalid cleanup event: ${describeProblems(parsed.error, '(event)')}`);
  }
  const outOfTime = () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS;
  const now = new Date();
  const shares = await removeExpiredShares(now, outOfTime);
  const uploads = await abortStaleUploads(now, outOfTime);
  const result: CleanupResult = {
    expiredSharesRemoved: shares.removed,
    staleUploadsAborted: uploads.aborted,
    uploadVersionsAborted: uploads.versions,
    abandonedFilesRemoved: uploads.files,
    incomplete: shares.incomplete || uploads.incomplete,
  };
  metrics.addMetric('ExpiredSharesRemoved', MetricUnit.Count, result.expiredSharesRemoved);
  metrics.addMetric('StaleUploadsAborted', MetricUnit.Count, result.staleUploadsAborted);
  metrics.addMetric('UploadVersionsAborted', MetricUnit.Count, result.uploadVersionsAborted);
  metrics.addMetric('AbandonedFilesRemoved', MetricUnit.Count, result.abandonedFilesRemoved);
  logger.info('cleanup finished', { ...result });
  return result;
});

/**
 * Share links live in their tenants' partitions, so finding the expired ones across tenants
 * takes a Scan with a filter. That reads the whole table, which is acceptable for a job that
 * runs once a day off-peak (on-demand capacity; a GSI keyed by expiry day would avoid it if the
 * table grows large). Each delete is conditional on the link still being expired.
 */
async function removeExpiredShares(now: Date, outOfTime: () => boolean): Promise<{ removed: number; incomplete: boolean }> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  let removed = 0;
  let start: Record<string, unknown> | undefined;
  do {
    if (outOfTime()) return { removed, incomplete: true };
    const page = await ddb().send(new ScanCommand({
      TableName: tableName(),
      FilterExpression: 'begins_with(sk, :share) AND expiresAt < :now',
      ExpressionAttributeValues: { ':share': SHARE_PREFIX, ':now': nowSeconds },
      ProjectionExpression: 'pk, sk',
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      try {
        await ddb().send(new DeleteCommand({
          TableName: tableName(),
          Key: { pk: item.pk, sk: item.sk },
          // Not if the link was extended since the scan read it.
          ConditionExpression: 'expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }));
        removed++;
      } catch (err) {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { removed, incomplete: false };
}

interface UploadCleanup {
  readonly aborted: number;
  readonly versions: number;
  readonly files: number;
  readonly incomplete: boolean;
}

async function abortStaleUploads(now: Date, outOfTime: () => boolean): Promise<UploadCleanup> {
  const bucket = filesBucket();
  const cutoff = now.getTime() - STALE_UPLOAD_HOURS * 60 * 60 * 1000;
  let aborted = 0;
  let versions = 0;
  let files = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    if (outOfTime()) return { aborted, versions, files, incomplete: true };
    const page: ListMultipartUploadsCommandOutput = await s3().send(new ListMultipartUploadsCommand({
      Bucket: bucket,
      Prefix: TENANT_OBJECT_PREFIX,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
    }));
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= cutoff) continue;
      try {
        await s3().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
      } catch (err) {
        // Completed or aborted meanwhile: then its version is not ours to touch.
        if ((err as { name?: string }).name === 'NoSuchUpload') continue;
        throw err;
      }
      aborted++;
      logger.info('stale multipart upload aborted', { key: upload.Key, initiated: upload.Initiated.toISOString() });
      const version = parseObjectKey(upload.Key);
      if (!version) {
        logger.warn('aborted upload has no file version key', { key: upload.Key });
        continue;
      }
      if (!(await markVersionAborted(version, now))) continue;
      versions++;
      if (await removeAbandonedFile(version.tenantId, version.fileId)) files++;
    }
    if (!page.IsTruncated) return { aborted, versions, files, incomplete: false };
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Sets the upload's file version to ABORTED when it is still PENDING; false when there is none or it moved on. */
async function markVersionAborted(parsed: { tenantId: string; fileId: string; version: number }, now: Date): Promise<boolean> {
  const version = await getVersionItem(parsed.tenantId, parsed.fileId, parsed.version);
  if (!version || version.status !== 'PENDING') return false;
  // The version's quota reservation is given back with the status change (lib/quota.ts).
  const items: TransactItem[] = [{
    Update: {
      TableName: tableName(),
      Key: versionKey(parsed.tenantId, parsed.fileId, parsed.version),
      UpdateExpression: 'SET #status = :aborted, abortedAt = :now, updatedAt = :now REMOVE reservedBytes',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':aborted': 'ABORTED', ':pending': 'PENDING', ':now': now.toISOString() },
    },
  }];
  if (version.reservedBytes) items.push(releaseReservation(parsed.tenantId, version.reservedBytes));
  try {
    await transact(items, () => undefined);
    return true;
  } catch (err) {
    if (err instanceof HttpError && err.statusCode === 409) return false;
    throw err;
  }
}

/**
 * Removes a file that never had a usable version (currentVersion 0) once no other version is
 * pending or available, as DELETE /api/files/{id}/upload does; true when it was removed. A file
 * changed meanwhile is left alone (its owner can still delete it).
 */
async function removeAbandonedFile(tenantId: string, fileId: string): Promise<boolean> {
  const file = await getFileItem(tenantId, fileId);
  if (!file || file.currentVersion !== 0) return false;
  const versions = await versionsOf(tenantId, fileId);
  if (versions.some((v) => v.status === 'PENDING' || v.status === 'AVAILABLE')) return false;
  try {
    await deleteFileCompletely(tenantId, file);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    logger.warn('abandoned file changed meanwhile; left in place', { tenantId, fileId, reason: err.message });
    return false;
  }
  logger.info('abandoned file removed', { tenantId, fileId });
  return true;
}
