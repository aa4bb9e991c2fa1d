/** GET /api/files: a folder's files by name or the tenant's files newest first, filtered, in pages. */
import { QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { DEFAULT_PAGE_SIZE } from './limits';
import { ListQuery, invalid, listQuery } from './schemas';
import { ddb, tableName } from '../lib/clients';
import { NotFoundError } from '../lib/errors';
import { FileItem, toFile } from '../lib/file-items';
import { ok } from '../lib/http';
import { FILE_PREFIX, GSI, ROOT, childIndex, childSkPrefix, fileSearchIndex, folderKey, tenantPk } from '../lib/keys';
import { ApiRequest } from '../lib/observability';
import { getItem } from '../lib/query';
import { parseQuery } from '../lib/validation';

/** A filtered list reads at most this many DynamoDB pages per request, then returns what it has and a token. */
const MAX_LIST_ROUNDS = 10;

type ListMode = 'folder' | 'search';
/** The key attributes of an item in each listing's index (what ExclusiveStartKey needs). */
const PAGE_KEY_ATTRIBUTES: Record<ListMode, readonly string[]> = {
  folder: ['pk', 'sk', 'gsi2pk', 'gsi2sk'],
  search: ['pk', 'sk', 'gsi3pk', 'gsi3sk'],
};

interface Listing {
  readonly mode: ListMode;
  readonly input: QueryCommandInput;
  /** The index partition of this listing: a page token must point into it. */
  readonly partition: { readonly attribute: string; readonly value: string };
  readonly filtered: boolean;
}

export async function listFiles(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const query = parseQuery(req.event, listQuery);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const listing = await listingFor(tenantId, query);
  const start = query.nextToken === undefined ? undefined : decodePageToken(query.nextToken, tenantId, listing);
  const page = await readPage(listing, limit, start);
  return ok({
    files: (page.items as unknown as FileItem[]).map(toFile),
    count: page.items.length,
    nextToken: page.next ? encodePageToken(listing.mode, page.next) : null,
  });
}

/**
 * The query for a listing. A folder's files come from FolderChildren (sorted by name; a name
 * prefix narrows the key range); everything else from FileSearch, newest first (a date range
 * narrows the key range). Other filters are filter expressions.
 */
async function listingFor(tenantId: string, q: ListQuery): Promise<Listing> {
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (q.type !== undefined) {
    filters.push(q.type.endsWith('/') ? 'begins_with(contentType, :type)' : 'contentType = :type');
    values[':type'] = q.type;
  }
  if (q.name !== undefined) {
    filters.push('contains(nameLower, :name)');
    values[':name'] = q.name;
  }
  if (q.status !== undefined) {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = q.status;
  }

  let mode: ListMode;
  let keyCondition: string;
  let partition: Listing['partition'];
  if (q.folderId !== undefined) {
    mode = 'folder';
    const folderId = q.folderId === ROOT ? undefined : q.folderId;
    if (folderId) await mustExistFolder(tenantId, folderId);
    partition = { attribute: 'gsi2pk', value: childIndex(tenantId, folderId, 'FILE', '').gsi2pk };
    keyCondition = 'gsi2pk = :p AND begins_with(gsi2sk, :prefix)';
    values[':prefix'] = childSkPrefix('FILE', q.namePrefix);
    if (q.from !== undefined) {
      filters.push('createdAt >= :from');
      values[':from'] = q.from;
    }
    if (q.to !== undefined) {
      filters.push('createdAt <= :to');
      values[':to'] = q.to;
    }
  } else {
    mode = 'search';
    partition = { attribute: 'gsi3pk', value: fileSearchIndex(tenantId, '', '').gsi3pk };
    keyCondition = 'gsi3pk = :p';
    // gsi3sk = `<createdAt>#<fileId>`: an id of `~` sorts after every id character, so `to` includes its instant.
    if (q.from !== undefined && q.to !== undefined) keyCondition += ' AND gsi3sk BETWEEN :from AND :to';
    else if (q.from !== undefined) keyCondition += ' AND gsi3sk >= :from';
    else if (q.to !== undefined) keyCondition += ' AND gsi3sk <= :to';
    if (q.from !== undefined) values[':from'] = q.from;
    if (q.to !== undefined) values[':to'] = fileSearchIndex(tenantId, q.to, '~').gsi3sk;
    if (q.namePrefix !== undefined) {
      filters.push('begins_with(nameLower, :namePrefix)');
      values[':namePrefix'] = q.namePrefix;
    }
  }
  values[':p'] = partition.value;
  return {
    mode,
    partition,
    filtered: filters.length > 0,
    input: {
      TableName: tableName(),
      IndexName: mode === 'folder' ? GSI.folderChildren : GSI.fileSearch,
      KeyConditionExpression: keyCondition,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ScanIndexForward: mode === 'folder',
    },
  };
}

/**
 * Up to `limit` matching items after `start`. DynamoDB applies Limit before the filter, so a
 * filtered listing reads several pages until it has `limit` items; the next token is the key of the
 * last item returned, so nothing is skipped or repeated.
 */
async function readPage(listing: Listing, limit: number, start: Record<string, unknown> | undefined) {
  const items: Record<string, unknown>[] = [];
  const keyOf = (item: Record<string, unknown>) => Object.fromEntries(PAGE_KEY_ATTRIBUTES[listing.mode].map((a) => [a, item[a]]));
  let exclusiveStart = start;
  for (let round = 0; round < MAX_LIST_ROUNDS; round++) {
    let page;
    try {
      page = await ddb().send(new QueryCommand({
        ...listing.input,
        Limit: listing.filtered ? Math.max(100, limit + 1) : limit + 1,
        ExclusiveStartKey: exclusiveStart,
      }));
    } catch (err) {
      if ((err as { name?: string }).name === 'ValidationException' && start) throw invalid('query', 'nextToken', 'is not a valid page token for this listing');
      throw err;
    }
    const found = page.Items ?? [];
    for (let i = 0; i < found.length; i++) {
      items.push(found[i]);
      if (items.length === limit) {
        const more = i < found.length - 1 || page.LastEvaluatedKey !== undefined;
        return { items, next: more ? keyOf(found[i]) : undefined };
      }
    }
    if (!page.LastEvaluatedKey) return { items, next: undefined };
    exclusiveStart = page.LastEvaluatedKey;
  }
  return { items, next: exclusiveStart };
}

function encodePageToken(mode: ListMode, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ m: mode, k: key })).toString('base64url');
}

const pageTokenSchema = z.object({ m: z.enum(['folder', 'search']), k: z.record(z.string(), z.string()) });

/** A client's page token, accepted only when it points into this very listing of the caller's tenant. */
function decodePageToken(token: string, tenantId: string, listing: Listing): Record<string, string> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = z.safeParse(pageTokenSchema, decoded);
  const key = parsed.success ? parsed.data.k : undefined;
  const attributes = PAGE_KEY_ATTRIBUTES[listing.mode];
  const valid = parsed.success && key !== undefined
    && parsed.data.m === listing.mode
    && Object.keys(key).length === attributes.length
    && attributes.every((a) => typeof key[a] === 'string')
    && key.pk === tenantPk(tenantId)
    && key.sk.startsWith(FILE_PREFIX)
    && key[listing.partition.attribute] === listing.partition.value;
  if (!valid) throw invalid('query', 'nextToken', 'is not a valid page token for this listing');
  return key;
}

async function mustExistFolder(tenantId: string, folderId: string): Promise<void> {
  const folder = await getItem(folderKey(tenantId, folderId), { consistent: false, attributes: ['pk'] });
  if (!folder) throw new NotFoundError(`Folder ${folderId} not found`);
}
