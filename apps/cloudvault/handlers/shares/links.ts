/** A share link as stored (keys.shareKey, found by token through the ShareLinks index) and as the tenant's users see it. */
import * as z from 'zod/mini';
import '../lib/zod-locale';

const SHARES = '/api/shares';

/** The stored link. */
export interface ShareItem {
  readonly pk: string;
  readonly sk: string;
  readonly token: string;
  readonly tenantId: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Epoch seconds (the table's TTL attribute). */
  readonly expiresAt: number;
  readonly maxDownloads?: number;
  readonly downloadCount: number;
  readonly passwordHash?: string;
  /** Wrong passwords since the last right one or lock. */
  readonly failedPasswordAttempts?: number;
  /** Epoch seconds until which every password is refused. */
  readonly lockedUntil?: number;
}

/** A link as the tenant's users see it (never the password hash). */
export interface ShareLink {
  readonly token: string;
  readonly url: string;
  readonly fileId: string;
  readonly fileName: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxDownloads?: number;
  readonly downloadCount: number;
  readonly passwordProtected: boolean;
  /** `expired` and `exhausted` links answer 410 until the cleanup job or TTL removes them. */
  readonly status: 'active' | 'expired' | 'exhausted';
}

const linkPath = (token: string) => `${SHARES}/${token}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function toShareLink(item: ShareItem): ShareLink {
  const exhausted = item.maxDownloads !== undefined && item.downloadCount >= item.maxDownloads;
  return {
    token: item.token,
    url: linkPath(item.token),
    fileId: item.fileId,
    fileName: item.fileName,
    createdAt: item.createdAt,
    expiresAt: new Date(item.expiresAt * 1000).toISOString(),
    maxDownloads: item.maxDownloads,
    downloadCount: item.downloadCount,
    passwordProtected: item.passwordHash !== undefined,
    status: item.expiresAt <= nowSeconds() ? 'expired' : exhausted ? 'exhausted' : 'active',
  };
}

/** 32 random bytes, base64url without padding. */
const tokenSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a share link token (43 base64url characters)' }));
export const tokenPath = z.object({ token: tokenSchema });
