/**
 * Goals. A goal's progress is the share of its linked tasks (tasks with `goalId`) that are done,
 * computed by the tasks handler after each change and cached on the goal (lib/goal-progress.ts).
 *
 *   GET    /goals          the user's goals (`?status=` or `?area=`)
 *   POST   /goals          create `{ title, description?, area?, targetDate? }`
 *   GET    /goals/{id}     one goal with its progress and linked tasks
 *   PATCH  /goals/{id}     change `{ title?, description?, area?, targetDate?, status? }`
 *   DELETE /goals/{id}     delete; linked tasks stay, unlinked
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ApiRequest, routeHandler } from './lib/api-handler';
import { ddb, tableName } from './lib/clients';
import { created, noContent, ok } from './lib/http';
import { idempotent } from './lib/idempotency';
import { newId } from './lib/ids';
import { INDEX, areaKey, itemSk, publicView, statusKey, userPk } from './lib/keys';
import { Item, getOrNotFound, queryAll, queryPrefix } from './lib/table';
import { patchItem } from './lib/updates';
import { areaSchema, dateSchema, idPath, notesSchema, parseBody, parsePath, parseQuery, textSchema } from './lib/validation';
import './lib/zod-locale';

const STATUSES = ['active', 'completed', 'archived'] as const;

const createBody = z.strictObject({
  title: textSchema(200),
  description: z.optional(notesSchema),
  area: z.optional(areaSchema),
  targetDate: z.optional(dateSchema),
});
const updateBody = z.strictObject({
  title: z.optional(textSchema(200)),
  description: z.optional(z.nullable(notesSchema)),
  area: z.optional(z.nullable(areaSchema)),
  targetDate: z.optional(z.nullable(dateSchema)),
  status: z.optional(z.enum(STATUSES)),
}).check(z.refine((b) => Object.keys(b).length > 0, { message: 'provide at least one field to change' }));
const listQuery = z.strictObject({ status: z.optional(z.enum(STATUSES)), area: z.optional(areaSchema) });

/** The user's tasks linked to the goal. */
function linkedTasks(userId: string, goalId: string): Promise<Item[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'goalId = :goal',
    ExpressionAttributeValues: { ':pk': userPk(userId), ':prefix': 'TASK#', ':goal': goalId },
  });
}

async function list({ event, caller }: ApiRequest) {
  const query = parseQuery(event, listQuery);
  let items: Item[];
  if (query.status) {
    items = await queryAll({ IndexName: INDEX.byStatus, KeyConditionExpression: 'statusKey = :k', ExpressionAttributeValues: { ':k': statusKey(caller.userId, 'GOAL', query.status) } });
  } else if (query.area) {
    items = await queryAll({
      IndexName: INDEX.byArea,
      KeyConditionExpression: 'areaKey = :k AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':k': areaKey(caller.userId, query.area), ':prefix': 'GOAL#' },
    });
  } else {
    items = await queryPrefix(caller.userId, 'GOAL#');
  }
  return ok({ goals: items.map(publicView) });
}

async function create({ event, caller }: ApiRequest) {
  const body = parseBody(event, createBody);
  const id = newId();
  const now = new Date().toISOString();
  const item: Item = {
    pk: userPk(caller.userId),
    sk: itemSk('GOAL', id),
    id,
    ...body,
    status: 'active',
    progress: 0,
    taskCount: 0,
    doneTaskCount: 0,
    statusKey: statusKey(caller.userId, 'GOAL', 'active'),
    areaKey: areaKey(caller.userId, body.area),
    createdAt: now,
    updatedAt: now,
  };
  await ddb().send(new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  return created(publicView(item));
}

async function get({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const goal = await getOrNotFound(caller.userId, itemSk('GOAL', id), 'Goal');
  const tasks = await linkedTasks(caller.userId, id);
  return ok({ ...publicView(goal), tasks: tasks.map((t) => ({ id: t.id, title: t.title, status: t.status })) });
}

async function update({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, updateBody);
  const extra: Record<string, unknown> = {};
  const removeExtra: string[] = [];
  if (body.status) extra.statusKey = statusKey(caller.userId, 'GOAL', body.status);
  if (body.area) extra.areaKey = areaKey(caller.userId, body.area);
  if (body.area === null) removeExtra.push('areaKey');
  const goal = await patchItem({ pk: userPk(caller.userId), sk: itemSk('GOAL', id) }, body, 'Goal', extra, removeExtra);
  return ok(publicView(goal));
}

async function remove({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  await getOrNotFound(caller.userId, itemSk('GOAL', id), 'Goal');
  await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: userPk(caller.userId), sk: itemSk('GOAL', id) } }));
  // Unlink the tasks (only while they still point at this goal).
  for (const task of await linkedTasks(caller.userId, id)) {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: { pk: task.pk, sk: task.sk },
      UpdateExpression: 'REMOVE goalId',
      ConditionExpression: 'goalId = :goal',
      ExpressionAttributeValues: { ':goal': id },
    })).catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') throw err;
    });
  }
  return noContent();
}

export const handler = routeHandler('goals', {
  'GET /goals': list,
  'POST /goals': idempotent('goals.create', create),
  'GET /goals/{id}': get,
  'PATCH /goals/{id}': update,
  'DELETE /goals/{id}': remove,
});
