/** A tenant's share links: create (POST /api/shares), list (GET /api/shares), revoke (DELETE /api/shares/{token}). */
import { randomBytes } from 'crypto';
import { DeleteCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { ShareItem, nowSeconds, toShareLink, tokenPath } from './links';
import { ddb, tableName } from '../lib/clients';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors';
import { created, noContent, ok } from '../lib/http';
import { GSI, SHARE_PREFIX, fileKey, shareIndexPk, shareKey, shareListIndex, tenantPk } from '../lib/keys';
import { ApiRequest, MetricUnit, metrics } from '../lib/observability';
import { DEFAULT_PAGE_SIZE, encodeNextToken, limitQuery, nextTokenQuery } from '../lib/pagination';
import { getItem } from '../lib/query';
import { isAdmin } from '../lib/roles';
import { hashSharePassword } from '../lib/share-password';
import { idSchema, parseBody, parsePath, parseQuery } from '../lib/validation';
import '../lib/zod-locale';

/** Longest share link an admin may create (30 days). */
export const MAX_EXPIRY_HOURS = 720;
/**
 * Longest share link a member may create (7 days): a link is a credential anyone holding it can
 * use, so a member's links outlive them by a week at most; longer-lived links are an admin's call.
 */
export const MEMBER_MAX_EXPIRY_HOURS = 168;
export const DEFAULT_EXPIRY_HOURS = 24;
export const MAX_DOWNLOADS = 10_000;

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

const listQuery = z.strictObject({ limit: z.optional(limitQuery), nextToken: z.optional(nextTokenQuery) });

export async function createShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

export async function listShares(req: ApiRequest): Promise<APIGatewayProxyResult> {
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

export async function revokeShare(req: ApiRequest): Promise<APIGatewayProxyResult> {
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
