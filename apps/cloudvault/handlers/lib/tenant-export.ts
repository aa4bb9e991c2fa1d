import { createHash } from 'crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { TENANT_ID } from './auth';
import { filesBucket, s3, tableName } from './clients';
import { BACKUP_PREFIX, tenantPk } from './keys';
import { queryAll } from './query';
import { idSchema } from './validation';

/**
 * On-demand tenant exports (POST /api/backup): the backup API records the request and queues a
 * job; the backup-export worker writes the export and verifies it (backup-export.lambda.ts).
 *
 * An export is one JSON document `{ format, version, tenantId, backupId, exportedAt, count, items }`
 * at keys.backupObjectKey, written with a SHA-256 checksum (S3 rejects the upload if the bytes it
 * got differ) and then read back: the SHA-256 of the stored bytes, the tenant, the id and the item
 * count must match before the backup is COMPLETED and `verified`.
 */
export const EXPORT_FORMAT = 'cloudvault-tenant-export';
export const EXPORT_VERSION = 1;

/** A backup (export) record as stored at keys.backupKey and as clients see it (without the keys). */
export interface BackupRecord {
  readonly backupId: string;
  /** RUNNING from the request until the worker finished (or gave up). */
  readonly status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  readonly objectKey: string;
  readonly startedAt: string;
  readonly completedAt?: string;
  readonly itemCount?: number;
  readonly sizeBytes?: number;
  /** Hex SHA-256 of the export object. */
  readonly sha256?: string;
  readonly verified: boolean;
  readonly requestedBy: string;
  /** Why it failed (a fixed description, never internals). */
  readonly error?: string;
}

/** The queued job (BACKUP_EXPORTS_QUEUE_URL): which record to fulfil; everything else is in the record. */
export const exportJobSchema = z.strictObject({
  tenantId: z.string().check(z.regex(TENANT_ID, { message: 'must be a tenant id' })),
  backupId: idSchema,
});
export type ExportJob = z.infer<typeof exportJobSchema>;

/** Thrown when the stored export does not match what was written. */
export class VerificationError extends Error {}

/** What a finished export adds to its record. */
export interface ExportResult {
  readonly itemCount: number;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** Writes the tenant's export to `objectKey` and verifies it by reading it back. */
export async function exportTenant(tenantId: string, backupId: string, objectKey: string): Promise<ExportResult> {
  const items = await tenantItems(tenantId);
  const exportedAt = new Date().toISOString();
  const document = { format: EXPORT_FORMAT, version: EXPORT_VERSION, tenantId, backupId, exportedAt, count: items.length, items };
  const bytes = Buffer.from(JSON.stringify(document), 'utf8');
  const digest = createHash('sha256').update(bytes).digest();
  await s3().send(new PutObjectCommand({
    Bucket: filesBucket(),
    Key: objectKey,
    Body: bytes,
    ContentType: 'application/json',
    // S3 recomputes it and refuses the upload on a mismatch; it is stored with the object.
    ChecksumSHA256: digest.toString('base64'),
    Metadata: { 'tenant-id': tenantId, 'backup-id': backupId, 'item-count': String(items.length) },
  }));
  const sha256 = digest.toString('hex');
  await verifyExport(filesBucket(), objectKey, { tenantId, backupId, itemCount: items.length, sha256 });
  return { itemCount: items.length, sizeBytes: bytes.length, sha256 };
}

/** What verifyExport compares the stored export with. */
export interface ExpectedExport {
  readonly tenantId: string;
  readonly backupId: string;
  readonly itemCount: number;
  /** Hex SHA-256 of the bytes that were written. */
  readonly sha256: string;
}

/**
 * Reads an export back and checks it against what was written: the SHA-256 of the stored bytes
 * (and S3's own stored checksum when it reports one), the tenant, the backup id and the item count.
 * Throws VerificationError on any difference.
 */
export async function verifyExport(bucket: string, key: string, expected: ExpectedExport): Promise<void> {
  const res = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  const bytes = Buffer.from(await res.Body!.transformToByteArray());
  const digest = createHash('sha256').update(bytes).digest();
  if (digest.toString('hex') !== expected.sha256) throw new VerificationError('the SHA-256 of the stored object differs');
  if (res.ChecksumSHA256 !== undefined && res.ChecksumSHA256 !== digest.toString('base64')) throw new VerificationError('the checksum S3 stored differs');
  let document: { format?: unknown; tenantId?: unknown; backupId?: unknown; count?: unknown; items?: unknown };
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new VerificationError('the stored object is not JSON');
  }
  if (document.format !== EXPORT_FORMAT || document.tenantId !== expected.tenantId || document.backupId !== expected.backupId) {
    throw new VerificationError('the stored object belongs to another export');
  }
  if (document.count !== expected.itemCount || !Array.isArray(document.items) || document.items.length !== expected.itemCount) {
    throw new VerificationError(`the stored object does not hold ${expected.itemCount} items`);
  }
}

/** Every item of the tenant's partition except the backup records themselves (consistent reads, paginated). */
async function tenantItems(tenantId: string): Promise<Record<string, unknown>[]> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': tenantPk(tenantId) },
    ConsistentRead: true,
  });
  // Filtered here: a Query's FilterExpression cannot use the sort key.
  return items.filter((item) => !String(item.sk).startsWith(BACKUP_PREFIX));
}
