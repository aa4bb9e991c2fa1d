/**
 * A tenant's upload limits, from its profile item (keys.tenantKey, sk `TENANT`):
 * - `quotaBytes`: storage quota (default 10 GiB when absent);
 * - `storedBytes`: bytes of AVAILABLE versions, maintained by the fileProcessor (ADD on verify)
 *   and by deletes (ADD of a negative value);
 * - `maxFileBytes`: optional per-file maximum, below the service's 5 GiB;
 * - `allowedContentTypes`: optional narrowing of ALLOWED_CONTENT_TYPES.
 *
 * - `reservedBytes`: declared bytes of uploads (and restores) not verified yet;
 * - `usedBytes`: storedBytes + reservedBytes, kept as one counter because a DynamoDB condition
 *   cannot add two attributes: it is what the quota condition compares.
 *
 * An upload reserves its declared size in the same transaction that writes its metadata, on
 * condition that `usedBytes + size <= quotaBytes` (reserveQuota), so concurrent uploads cannot
 * overshoot the quota. The reservation is released when the version is verified (it becomes
 * stored bytes), quarantined, aborted or deleted (releaseReservation); the version item carries
 * `reservedBytes` so each release happens once, with the status change it belongs to.
 */
import * as z from 'zod/mini';
import { tableName } from './clients';
import { BadRequestError, LimitExceededError } from './errors';
import type { TransactItem } from './hierarchy';
import { tenantKey } from './keys';
import { getItem } from './query';
import './zod-locale';

export const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3;

export interface TenantLimits {
  readonly quotaBytes: number;
  readonly storedBytes: number;
  readonly reservedBytes: number;
  /** stored + reserved; undefined on a profile written before reservations existed. */
  readonly usedBytes?: number;
  readonly maxFileBytes?: number;
  readonly allowedContentTypes?: readonly string[];
}

// The profile is written by onboarding and the processor; a malformed one fails closed (500, logged).
const stringList = z.pipe(z.union([z.array(z.string()), z.set(z.string())]), z.transform((v) => [...v]));
const tenantProfile = z.object({
  quotaBytes: z.optional(z.int().check(z.nonnegative())),
  storedBytes: z.optional(z.int()),
  reservedBytes: z.optional(z.int()),
  usedBytes: z.optional(z.int()),
  maxFileBytes: z.optional(z.int().check(z.positive())),
  allowedContentTypes: z.optional(stringList),
});

export async function tenantLimits(tenantId: string): Promise<TenantLimits> {
  const parsed = z.safeParse(tenantProfile, (await getItem(tenantKey(tenantId))) ?? {});
  if (!parsed.success) throw new Error(`Tenant profile of ${tenantId} is malformed: ${parsed.error.message}`);
  const p = parsed.data;
  return {
    quotaBytes: p.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    storedBytes: p.storedBytes ?? 0,
    reservedBytes: p.reservedBytes ?? 0,
    usedBytes: p.usedBytes,
    maxFileBytes: p.maxFileBytes,
    allowedContentTypes: p.allowedContentTypes,
  };
}

/** Bytes counted against the quota: stored and reserved. */
export const usedBytesOf = (limits: TenantLimits): number => limits.usedBytes ?? limits.storedBytes + limits.reservedBytes;
export const remainingBytes = (limits: TenantLimits): number => Math.max(0, limits.quotaBytes - usedBytesOf(limits));

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
  if (size > remainingBytes(limits)) throw quotaExceeded(limits, size);
}

export function quotaExceeded(limits: TenantLimits, size: number): LimitExceededError {
  const remaining = remainingBytes(limits);
  const pending = limits.reservedBytes > 0 ? `, ${limits.reservedBytes} reserved by pending uploads` : '';
  return new LimitExceededError(
    'QUOTA_EXCEEDED',
    `File size ${size} bytes exceeds the remaining storage quota: ${remaining} of ${limits.quotaBytes} bytes left (${limits.storedBytes} bytes stored${pending})`,
    {
      limit: 'quotaBytes',
      size,
      quotaBytes: limits.quotaBytes,
      storedBytes: limits.storedBytes,
      remainingBytes: remaining,
      ...(limits.reservedBytes > 0 ? { reservedBytes: limits.reservedBytes } : {}),
    },
  );
}

/**
 * The tenant-counter item of an upload's metadata transaction: reserves `size` bytes on condition
 * that they fit (`usedBytes <= quota - size`; a profile without usedBytes yet is initialised from
 * the storedBytes just read, on condition it did not change). Its failure means: over quota.
 */
export function reserveQuota(tenantId: string, limits: TenantLimits, size: number): TransactItem {
  const legacy = limits.storedBytes > 0 ? '(attribute_not_exists(usedBytes) AND storedBytes = :stored)' : '(attribute_not_exists(usedBytes) AND attribute_not_exists(storedBytes))';
  return {
    Update: {
      TableName: tableName(),
      Key: tenantKey(tenantId),
      UpdateExpression: 'SET usedBytes = if_not_exists(usedBytes, :stored) + :size ADD reservedBytes :size',
      ConditionExpression: `usedBytes <= :limit OR ${legacy}`,
      ExpressionAttributeValues: { ':size': size, ':stored': limits.storedBytes + limits.reservedBytes, ':limit': limits.quotaBytes - size },
    },
  };
}

/** Gives back a version's reservation (quarantined, aborted, deleted before verification). */
export function releaseReservation(tenantId: string, bytes: number): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: tenantKey(tenantId),
      UpdateExpression: 'ADD reservedBytes :minus, usedBytes :minus',
      ExpressionAttributeValues: { ':minus': -bytes },
    },
  };
}
