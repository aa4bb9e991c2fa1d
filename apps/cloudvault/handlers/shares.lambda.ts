/**
 * Share links: a tenant's users hand out links to a file; anyone holding the link can download it.
 *
 *   POST   /api/shares           create `{ fileId, expiresInHours?, password?, maxDownloads? }` -> 201
 *                                (expiresInHours: members up to MEMBER_MAX_EXPIRY_HOURS, admins MAX_EXPIRY_HOURS)
 *   GET    /api/shares           the tenant's links, newest first (`?limit=&nextToken=`)
 *   DELETE /api/shares/{token}   revoke a link of the tenant -> 204 (its creator or an admin)
 *   GET    /api/shares/{token}   PUBLIC: 302 to a 60-second presigned download of the file's current version
 *
 * The token (32 random bytes, base64url) is the credential, so it is checked for shape before any
 * lookup and never logged. A link item (keys.shareKey) lives in its tenant's partition; the public
 * route finds it by token through the ShareLinks index and reads the file from that tenant only.
 * Expiry is the TTL attribute `expiresAt`; since TTL deletes late, expiry is also checked on open.
 * The download limit is enforced by a conditional increment, so concurrent opens cannot exceed it.
 */
import { randomBytes } from 'crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { storeEvent } from './lib/analytics';
import { ddb, filesBucket, s3, tableName } from './lib/clients';
import { attachmentDisposition } from './lib/content-disposition';
import { ConflictError, ForbiddenError, GoneError, HttpError, MethodNotAllowedError, NotFoundError, ValidationError } from './lib/errors';
import { created, noContent, ok } from './lib/http';
import { GSI, SHARE_PREFIX, TENANT_OBJECT_PREFIX, fileKey, shareIndexPk, shareKey, shareListIndex, tenantPk, versionKey } from './lib/keys';
import { ApiRequest, MetricUnit, logger, metrics, withApiHandler } from './lib/observability';
import { DEFAULT_PAGE_SIZE, encodeNextToken, limitQuery, nextTokenQuery } from './lib/pagination';
import { getItem } from './lib/query';
import { isAdmin } from './lib/roles';
import { hashSharePassword, verifySharePassword } from './lib/share-password';
import { idSchema, parseBody, parsePath, parseQuery } from './lib/validation';
import './lib/zod-locale';

/** Longest share link an admin may create (30 days). */
export const MAX_EXPIRY_HOURS = 720;
/**
 * Longest share link a member may create (7 days): a link is a credential anyone holding it can
 * use, so a member's links outlive them by a week at most; longer-lived links are an admin's call.
 */
export const MEMBER_MAX_EXPIRY_HOURS = 168;
export const DEFAULT_EXPIRY_HOURS = 24;
export const MAX_DOWNLOADS = 10_000;
/** Lifetime of the presigned download URL a share link redirects to. */
export const DOWNLOAD_URL_SECONDS = 60;
/** Header carrying the password of a protected link (a header, not the query string, so it stays out of access logs). */
export const PASSWORD_HEADER = 'x-share-password';
/** Wrong passwords in a row after which a link is locked (checked before any scrypt run). */
export const MAX_PASSWORD_FAILURES = 10;
/** How long a locked link refuses every password. */
export const PASSWORD_LOCK_SECONDS = 15 * 60;

const SHARES = '/api/shares';
const SHARE = '/api/shares/{token}';

/** The stored link. */
interface ShareItem {
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
const nowSeconds = () => Math.floor(Date.now() / 1000);

function toShareLink(item: ShareItem): ShareLink {
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

const wholeNumber = (min: number, max: number) =>
  z.number({ error: `must be a whole number from ${min} to ${max}` }).check(
    z.int({ message: `must be a whole number from ${min} to ${max}` }),
    z.gte(min, { message: `must be a whole number from ${min} to ${max}` }),
    z.lte(max, { message: `must be a whole number from ${min} to ${max}` }),
  );

const createBody = z.strictObject({
  fileId: idSchema,
  expiresInHours: z._default(wholeNumber(1, MAX_EXPIRY_HOURS), DEFAULT_EXPIRY_HOURS),
  password: z.optional(
    z.string({ error: 'must be a string' }).check(
      z.minLength(8, { message: 'must be at least 8 characters' }),
      z.maxLength(128, { message: 'must be at most 128 characters' }),
    ),
  ),
  maxDownloads: z.optional(wholeNumber(1, MAX_DOWNLOADS)),
});

/** 32 random bytes, base64url without padding. */
const tokenSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a share link token (43 base64url characters)' }));
const tokenPath = z.object({ token: tokenSchema });
const listQuery = z.strictObject({ limit: z.optional(limitQuery), nextToken: z.optional(nextTokenQuery) });
const passwordHeader = z.optional(z.string().check(z.maxLength(128, { message: 'must be at most 128 characters' })));

export const handler = withApiHandler(async (req) => {
  const { httpMethod: method, resource } = req.event;
  if (resource === SHARES) {
    if (method === 'POST') return createShare(req);
    if (method === 'GET') return listShares(req);
  } else if (resource === SHARE) {
    if (method === 'GET') return openShare(req);
    if (method === 'DELETE') return revokeShare(req);
  } else {
    throw new NotFoundError(`No route for ${resource}`);
  }
  throw new MethodNotAllowedError(method, resource);
});

async function createShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const body = parseBody(req.event, createBody);
  if (!isAdmin(req.caller) && body.expiresInHours > MEMBER_MAX_EXPIRY_HOURS) {
    const message = `must be at most ${MEMBER_MAX_EXPIRY_HOURS} hours for members (admins: up to ${MAX_EXPIRY_HOURS})`;
    throw new ValidationError(`Invalid body: body.expiresInHours: ${message}`, [{ path: 'body.expiresInHours', message }]);
  }
  const file = await getItem(fileKey(tenantId, body.fileId));
  if (!file) throw new NotFoundError(`File ${body.fileId} not found`);
  if (file.status !== 'AVAILABLE') throw new NotFoundError(`File ${body.fileId} is not available for sharing`);

  const token = randomBytes(32).toString('base64url');
  const createdAt = new Date().toISOString();
  const expiresAt = nowSeconds() + body.expiresInHours * 3600;
  const item: ShareItem & Record<string, unknown> = {
    ...shareKey(tenantId, token),
    type: 'SHARE',
    token,
    tenantId,
    fileId: body.fileId,
    fileName: String(file.name),
    createdAt,
    createdBy: userId,
    expiresAt,
    maxDownloads: body.maxDownloads,
    downloadCount: 0,
    passwordHash: body.password === undefined ? undefined : await hashSharePassword(body.password),
    gsi4pk: shareIndexPk(token),
    ...shareListIndex(tenantId, createdAt, token),
  };
  try {
    // The file must still be available when the link is written (not deleted or quarantined meanwhile).
    await ddb().send(new TransactWriteCommand({
      TransactItems: [
        {
          ConditionCheck: {
            TableName: tableName(),
            Key: fileKey(tenantId, body.fileId),
            ConditionExpression: '#status = :available',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':available': 'AVAILABLE' },
          },
        },
        { Put: { TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    }));
  } catch (err) {
    const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
    if (e.name !== 'TransactionCanceledException') throw err;
    if (e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw new NotFoundError(`File ${body.fileId} is not available for sharing`);
    throw new ConflictError('The file was changed by a concurrent request; retry', undefined, 'CONCURRENT_MODIFICATION');
  }
  metrics.addMetric('ShareLinksCreated', MetricUnit.Count, 1);
  const link = toShareLink(item);
  return created({
    token,
    url: link.url,
    fileId: body.fileId,
    expiresAt: link.expiresAt,
    maxDownloads: body.maxDownloads,
    passwordProtected: link.passwordProtected,
  });
}

async function listShares(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const query = parseQuery(req.event, listQuery);
  const index = shareListIndex(tenantId, '', '');
  const page = await ddb().send(new QueryCommand({
    TableName: tableName(),
    IndexName: GSI.fileSearch,
    KeyConditionExpression: 'gsi3pk = :pk',
    ExpressionAttributeValues: { ':pk': index.gsi3pk },
    ScanIndexForward: false,
    Limit: query.limit ?? DEFAULT_PAGE_SIZE,
    ExclusiveStartKey: decodeListToken(query.nextToken, tenantId, index.gsi3pk),
  }));
  const shares = ((page.Items ?? []) as ShareItem[]).map(toShareLink);
  return ok({ shares, nextToken: encodeNextToken(page.LastEvaluatedKey) });
}

/**
 * The start key of a list page: an index key (pk, sk, gsi3pk, gsi3sk) of one of the caller's own
 * links; anything else (another tenant's token, a forged key) is a 400 before DynamoDB sees it.
 */
function decodeListToken(token: string | undefined, tenantId: string, listPk: string): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  let key: Record<string, unknown> | undefined;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    key = undefined;
  }
  const valid = typeof key === 'object' && key !== null && !Array.isArray(key)
    && Object.keys(key).sort().join(',') === 'gsi3pk,gsi3sk,pk,sk'
    && key.pk === tenantPk(tenantId) && typeof key.sk === 'string' && key.sk.startsWith(SHARE_PREFIX)
    && key.gsi3pk === listPk && typeof key.gsi3sk === 'string';
  if (!valid) {
    throw new ValidationError('Invalid query: query.nextToken: is not a token of this list', [{ path: 'query.nextToken', message: 'is not a token of this list' }]);
  }
  return key as Record<string, string>;
}

async function revokeShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { caller } = req;
  const { token } = parsePath(req.event, tokenPath);
  const key = shareKey(caller.tenantId, token);
  const admin = isAdmin(caller);
  try {
    // The key carries the caller's tenant: another tenant's token is simply not there (404).
    // A member's revoke is conditional on being the link's creator, checked atomically with the delete.
    await ddb().send(new DeleteCommand({
      TableName: tableName(),
      Key: key,
      ConditionExpression: admin ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND createdBy = :me',
      ExpressionAttributeValues: admin ? undefined : { ':me': caller.userId },
    }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    if (!admin && await getItem(key)) throw new ForbiddenError('Only its creator or a tenant admin may revoke this share link');
    throw new NotFoundError('Share link not found');
  }
  metrics.addMetric('ShareLinksRevoked', MetricUnit.Count, 1);
  return noContent();
}

/** PUBLIC: no caller. Everything below is derived from the token and the link's own tenant. */
async function openShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

