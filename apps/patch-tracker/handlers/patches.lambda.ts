/**
 * The read API: GET /api/patches (by status, submitter or series; newest first; `limit` and
 * `cursor` pagination) and GET /api/patches/{id} (the patch with its discussion, oldest first).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { ROUTES } from '../infra/routes';
import { badRequest, json, notFound, routeHandler } from './lib/api';
import { ddb, discussionsTable, patchesTable } from './lib/clients';
import { decodeCursor, encodeCursor } from './lib/cursor';

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;
/** A discussion longer than this is cut (the response says so). */
export const MAX_DISCUSSION_MESSAGES = 500;

const listQuery = z.object({
  status: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a Patchwork state such as new or under-review').optional(),
  submitter: z.string().email().max(320).optional(),
  series: z.string().regex(/^\d{1,12}$/, 'must be a Patchwork series id').optional(),
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(1).max(MAX_LIMIT)).optional(),
  cursor: z.string().max(2048).optional(),
}).strict().refine((q) => [q.status, q.submitter, q.series].filter((v) => v !== undefined).length === 1, {
  message: 'give exactly one of status, submitter and series',
});

const patchId = z.string().regex(/^\d{1,12}$/, 'must be a Patchwork patch id');

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badRequest(`${[where, ...issue.path].join('.')}: ${issue.message}`);
  }
  return result.data;
}

const INDEXES = {
  status: { indexName: 'StatusIndex', attribute: 'state' },
  submitter: { indexName: 'SubmitterIndex', attribute: 'submitterEmail' },
  series: { indexName: 'SeriesIndex', attribute: 'seriesId' },
} as const;

async function listPatches(event: APIGatewayProxyEvent) {
  const q = parse(listQuery, event.queryStringParameters ?? {}, 'query');
  const by = q.status !== undefined ? 'status' : q.submitter !== undefined ? 'submitter' : 'series';
  const value = by === 'status' ? q.status! : by === 'submitter' ? q.submitter!.toLowerCase() : q.series!;
  const index = INDEXES[by];
  const page = await ddb().send(new QueryCommand({
    TableName: patchesTable(),
    IndexName: index.indexName,
    KeyConditionExpression: '#pk = :value',
    ExpressionAttributeNames: { '#pk': index.attribute },
    ExpressionAttributeValues: { ':value': value },
    ScanIndexForward: false,
    Limit: q.limit ?? DEFAULT_LIMIT,
    ExclusiveStartKey: decodeCursor(q.cursor, ['id', index.attribute, 'date'], { name: index.attribute, value }),
  }));
  return json(200, { patches: page.Items ?? [], cursor: encodeCursor(page.LastEvaluatedKey) });
}

async function getPatch(event: APIGatewayProxyEvent) {
  const id = parse(patchId, event.pathParameters?.id, 'path.id');
  const { Item: patch } = await ddb().send(new GetCommand({ TableName: patchesTable(), Key: { id } }));
  if (!patch) throw notFound(`Patch ${id} not found`);
  const discussions: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({
      TableName: discussionsTable(),
      IndexName: 'PatchIndex',
      KeyConditionExpression: 'patchId = :id',
      ExpressionAttributeValues: { ':id': id },
      Limit: MAX_DISCUSSION_MESSAGES - discussions.length,
      ExclusiveStartKey: start,
    }));
    discussions.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start && discussions.length < MAX_DISCUSSION_MESSAGES);
  return json(200, { patch, discussions, discussionsTruncated: start !== undefined });
}

export const handler = routeHandler(ROUTES.filter((r) => r.handler === 'patches'), {
  ListPatches: listPatches,
  GetPatch: getPatch,
});
