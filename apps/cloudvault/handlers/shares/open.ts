/**
 * GET /api/shares/{token}, PUBLIC: a 302 to a short-lived presigned download of the linked file's
 * current version, after the link's password, expiry and download limit are checked.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { ShareItem, nowSeconds, tokenPath } from './links';
import { storeEvent } from '../lib/analytics';
import { ddb, filesBucket, s3, tableName } from '../lib/clients';
import { attachmentDisposition } from '../lib/content-disposition';
import { GoneError, HttpError, NotFoundError, ValidationError } from '../lib/errors';
import { GSI, TENANT_OBJECT_PREFIX, fileKey, shareIndexPk, shareKey, versionKey } from '../lib/keys';
import { ApiRequest, MetricUnit, logger, metrics } from '../lib/observability';
import { getItem } from '../lib/query';
import { verifySharePassword } from '../lib/share-password';
import { parsePath } from '../lib/validation';
import '../lib/zod-locale';

/** Lifetime of the presigned download URL a share link redirects to. */
export const DOWNLOAD_URL_SECONDS = 60;
/** Header carrying the password of a protected link (a header, not the query string, so it stays out of access logs). */
export const PASSWORD_HEADER = 'x-share-password';
/** Wrong passwords in a row after which a link is locked (checked before any scrypt run). */
export const MAX_PASSWORD_FAILURES = 10;
/** How long a locked link refuses every password. */
export const PASSWORD_LOCK_SECONDS = 15 * 60;

const passwordHeader = z.optional(z.string().check(z.maxLength(128, { message: 'must be at most 128 characters' })));

/** PUBLIC: no caller. Everything below is derived from the token and the link's own tenant. */
export async function openShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { token } = parsePath(req.event, tokenPath);
  const password = readPasswordHeader(req.event.headers);

  const found = await ddb().send(new QueryCommand({
    TableName: tableName(),
    IndexName: GSI.shareLinks,
    KeyConditionExpression: 'gsi4pk = :token',
    ExpressionAttributeValues: { ':token': shareIndexPk(token) },
  }));
  const link = found.Items?.[0] as ShareItem | undefined;
  if (!link) throw new NotFoundError('Share link not found');
  logger.appendKeys({ tenant_id: link.tenantId });

  // The password first: whether a protected link expired or was used up is for those who know it.
  if (link.passwordHash !== undefined) await checkPassword(link, password);
  assertUsable(link);

  // The file is looked up and the URL built first, so a link to a deleted file, or a failure
  // building the URL, does not use up a download.
  const download = await currentDownload(link.tenantId, link.fileId);
  const url = await getSignedUrl(s3(), new GetObjectCommand({
    Bucket: filesBucket(),
    Key: download.objectKey,
    VersionId: download.versionId, // the bytes the processor verified
    ResponseContentDisposition: attachmentDisposition(download.fileName),
  }), { expiresIn: DOWNLOAD_URL_SECONDS });
  await countDownload(link);
  metrics.addMetric('ShareLinkDownloads', MetricUnit.Count, 1);
  await recordOpen(link);
  return {
    statusCode: 302,
    headers: { 'location': url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' },
    body: '',
  };
}

/**
 * The link's password, or 401 (same answer for a missing and a wrong one). A locked link is a 429
 * before any hashing, so guessing costs no scrypt run; each wrong password is counted, and the
 * MAX_PASSWORD_FAILURES-th locks the link for PASSWORD_LOCK_SECONDS. A right one clears the count.
 */
async function checkPassword(link: ShareItem, password: string | undefined): Promise<void> {
  const now = nowSeconds();
  if (link.lockedUntil !== undefined && link.lockedUntil > now) {
    metrics.addMetric('ShareLinkLockedOpens', MetricUnit.Count, 1);
    throw new HttpError(429, 'SHARE_LOCKED', `This share link is locked after too many wrong passwords; retry in ${link.lockedUntil - now} s`, { retryAfterSeconds: link.lockedUntil - now });
  }
  const key = shareKey(link.tenantId, link.token);
  if (password !== undefined && await verifySharePassword(password, link.passwordHash!)) {
    if (link.failedPasswordAttempts) {
      await ddb().send(new UpdateCommand({ TableName: tableName(), Key: key, UpdateExpression: 'REMOVE failedPasswordAttempts', ConditionExpression: 'attribute_exists(pk)' }))
        .catch((err: Error) => logger.warn('could not reset the failed password count', { error: err }));
    }
    return;
  }
  if (password !== undefined) {
    metrics.addMetric('ShareLinkWrongPasswords', MetricUnit.Count, 1);
    const res = await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: key,
      UpdateExpression: 'ADD failedPasswordAttempts :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    })).catch((err: { name?: string }) => {
      if (err.name === 'ConditionalCheckFailedException') throw new NotFoundError('Share link not found');
      throw err;
    });
    if (Number(res.Attributes?.failedPasswordAttempts ?? 0) >= MAX_PASSWORD_FAILURES) {
      await ddb().send(new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'SET lockedUntil = :until REMOVE failedPasswordAttempts',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':until': now + PASSWORD_LOCK_SECONDS },
      })).catch((err: Error) => logger.warn('could not lock a share link', { error: err }));
      logger.warn('share link locked after wrong passwords', { tenantId: link.tenantId });
    }
  }
  throw new HttpError(401, 'SHARE_PASSWORD_REQUIRED', `This share link is password-protected: send the correct password in the ${PASSWORD_HEADER} header`);
}

/** 410 for an expired link (TTL may not have removed it yet) or one whose downloads are used up. */
function assertUsable(link: ShareItem): void {
  if (link.expiresAt <= nowSeconds()) throw new GoneError('This share link has expired', 'SHARE_EXPIRED');
  if (link.maxDownloads !== undefined && link.downloadCount >= link.maxDownloads) {
    throw new GoneError('This share link has reached its download limit', 'SHARE_EXHAUSTED');
  }
}

/**
 * Counts one download on condition that the link still exists, has not expired and has downloads
 * left: DynamoDB evaluates the condition and the increment atomically, so concurrent opens of a
 * link with one download left yield exactly one success.
 */
async function countDownload(link: ShareItem): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: shareKey(link.tenantId, link.token),
      UpdateExpression: 'SET downloadCount = downloadCount + :one, lastDownloadAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(maxDownloads) OR downloadCount < maxDownloads)',
      ExpressionAttributeValues: { ':one': 1, ':now': nowSeconds(), ':at': new Date().toISOString() },
    }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    // Say why: revoked meanwhile (404), or expired / used up by a concurrent open (410).
    const current = (await getItem(shareKey(link.tenantId, link.token))) as ShareItem | undefined;
    if (!current) throw new NotFoundError('Share link not found');
    assertUsable(current);
    throw new GoneError('This share link has reached its download limit', 'SHARE_EXHAUSTED');
  }
}

/**
 * The S3 key of the file's current version and the file's current name (it may have been renamed
 * since the link was made), from the link's tenant only; 410 when the file is gone or not available.
 */
async function currentDownload(tenantId: string, fileId: string): Promise<{ objectKey: string; fileName: string; versionId?: string }> {
  const gone = () => new GoneError('The shared file is no longer available', 'SHARE_FILE_UNAVAILABLE');
  const file = await getItem(fileKey(tenantId, fileId));
  if (!file || file.status !== 'AVAILABLE' || typeof file.currentVersion !== 'number') throw gone();
  const version = await getItem(versionKey(tenantId, fileId, file.currentVersion));
  const objectKey = version?.objectKey;
  // Defence in depth: the object must sit under the link's own tenant prefix.
  if (typeof objectKey !== 'string' || !objectKey.startsWith(`${TENANT_OBJECT_PREFIX}${tenantId}/`)) throw gone();
  if (version?.status !== undefined && version.status !== 'AVAILABLE') throw gone();
  return { objectKey, fileName: String(file.name), versionId: typeof version?.s3VersionId === 'string' ? version.s3VersionId : undefined };
}

/** Share opens feed the tenant's analytics (anonymous: no user); a failure there must not fail the download. */
async function recordOpen(link: ShareItem): Promise<void> {
  try {
    await storeEvent({ tenantId: link.tenantId, type: 'share_opened', fileId: link.fileId });
  } catch (err) {
    logger.warn('share_opened analytics event not stored', { error: err as Error });
  }
}

/** The optional password header (header names are case-insensitive; API Gateway passes them as sent). */
function readPasswordHeader(headers: Record<string, string | undefined> | null): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === PASSWORD_HEADER);
  const result = z.safeParse(passwordHeader, entry?.[1]);
  if (!result.success) {
    const message = result.error.issues[0]?.message ?? 'is invalid';
    throw new ValidationError(`Invalid headers: headers.${PASSWORD_HEADER}: ${message}`, [{ path: `headers.${PASSWORD_HEADER}`, message }]);
  }
  return result.data;
}
