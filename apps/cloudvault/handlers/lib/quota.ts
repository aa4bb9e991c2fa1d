/**
 * A tenant's upload limits, from its profile item (keys.tenantKey, sk `TENANT`):
 * - `quotaBytes`: storage quota (default 10 GiB when absent);
 * - `storedBytes`: bytes of AVAILABLE versions, maintained by the fileProcessor (ADD on verify)
 *   and by deletes (ADD of a negative value);
 * - `maxFileBytes`: optional per-file maximum, below the service's 5 GiB;
 * - `allowedContentTypes`: optional narrowing of ALLOWED_CONTENT_TYPES.
 *
 * Uploads are checked against the quota when they start (the declared size); pending uploads do
 * not reserve space, so concurrent uploads can overshoot the quota by at most their own sizes.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ddb, tableName } from './clients';
import { BadRequestError, LimitExceededError } from './errors';
import { tenantKey } from './keys';
import './zod-locale';

export const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3;

export interface TenantLimits {
  readonly quotaBytes: number;
  readonly storedBytes: number;
  readonly maxFileBytes?: number;
  readonly allowedContentTypes?: readonly string[];
}

// The profile is written by onboarding and the processor; a malformed one fails closed (500, logged).
const stringList = z.pipe(z.union([z.array(z.string()), z.set(z.string())]), z.transform((v) => [...v]));
const tenantProfile = z.object({
  quotaBytes: z.optional(z.int().check(z.nonnegative())),
  storedBytes: z.optional(z.int()),
  maxFileBytes: z.optional(z.int().check(z.positive())),
  allowedContentTypes: z.optional(stringList),
});

export async function tenantLimits(tenantId: string): Promise<TenantLimits> {
  const res = await ddb().send(new GetCommand({ TableName: tableName(), Key: tenantKey(tenantId), ConsistentRead: true }));
  const parsed = z.safeParse(tenantProfile, res.Item ?? {});
  if (!parsed.success) throw new Error(`Tenant profile of ${tenantId} is malformed: ${parsed.error.message}`);
  const p = parsed.data;
  return {
    quotaBytes: p.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    storedBytes: p.storedBytes ?? 0,
    maxFileBytes: p.maxFileBytes,
    allowedContentTypes: p.allowedContentTypes,
  };
}

export const remainingBytes = (limits: TenantLimits): number => Math.max(0, limits.quotaBytes - limits.storedBytes);

/** Throws when a file of `size` bytes and `contentType` may not be stored for this tenant. */
export function assertUploadAllowed(limits: TenantLimits, size: number, contentType: string): void {
  if (limits.allowedContentTypes && !limits.allowedContentTypes.includes(contentType)) {
    throw new BadRequestError(
      `Content type "${contentType}" is not allowed for this tenant; allowed: ${limits.allowedContentTypes.join(', ') || 'none'}`,
      { contentType, allowedContentTypes: limits.allowedContentTypes },
      'CONTENT_TYPE_NOT_ALLOWED',
    );
  }
  if (limits.maxFileBytes !== undefined && size > limits.maxFileBytes) {
    throw new LimitExceededError(
      'FILE_TOO_LARGE',
      `File size ${size} bytes exceeds this tenant's maximum file size of ${limits.maxFileBytes} bytes`,
      { limit: 'maxFileBytes', size, maxFileBytes: limits.maxFileBytes },
    );
  }
  const remaining = remainingBytes(limits);
  if (size > remaining) {
    throw new LimitExceededError(
      'QUOTA_EXCEEDED',
      `File size ${size} bytes exceeds the remaining storage quota: ${remaining} of ${limits.quotaBytes} bytes left (${limits.storedBytes} bytes stored)`,
      { limit: 'quotaBytes', size, quotaBytes: limits.quotaBytes, storedBytes: limits.storedBytes, remainingBytes: remaining },
    );
  }
}
