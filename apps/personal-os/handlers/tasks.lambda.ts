/**
 * Tasks.
 *
 *   GET    /tasks                  the user's tasks (`?status=` or `?area=` through the indexes)
 *   POST   /tasks                  create `{ title, description?, priority?, area?, dueDate?, points?, dependsOn?, goalId? }`
 *   GET    /tasks/{id}             one task
 *   PATCH  /tasks/{id}             change fields; status only todo <-> in_progress, or reopen a done task
 *   DELETE /tasks/{id}             delete (refused while other open tasks depend on it)
 *   POST   /tasks/{id}/complete    complete: awards the task's points once, in one transaction
 *
 * Dependencies: `dependsOn` lists the user's tasks that must be done first (they must exist, and
 * no cycle may form). A linked goal's progress is recomputed after each change of its tasks.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ApiRequest, routeHandler } from './lib/api-handler';
import { ddb, tableName } from './lib/clients';
import { badRequest, conflict, notFound } from './lib/errors';
import { refreshGoalProgress } from './lib/goal-progress';
import { created, noContent, ok } from './lib/http';
import { idempotent } from './lib/idempotency';
import { newId } from './lib/ids';
import { INDEX, WALLET_SK, areaKey, itemSk, publicView, statusKey, userPk } from './lib/keys';
import { MetricUnit, metrics } from './lib/observability';
import { Item, getItem, getOrNotFound, queryAll, queryPrefix, transact } from './lib/table';
import { areaSchema, dateSchema, idPath, idSchema, notesSchema, parseBody, parsePath, parseQuery, textSchema } from './lib/validation';
import { awardItems } from './lib/wallet';
import './lib/zod-locale';

const STATUSES = ['todo', 'in_progress', 'done'] as const;
const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
/** Points of a completed task without its own `points`, by priority. */
export const POINTS_BY_PRIORITY: Record<(typeof PRIORITIES)[number], number> = { low: 5, medium: 10, high: 20, urgent: 30 };
const MAX_DEPENDENCIES = 20;

const fields = {
  title: textSchema(200),
  description: notesSchema,
  priority: z.enum(PRIORITIES),
  area: areaSchema,
  dueDate: dateSchema,
  points: z.int().check(z.minimum(0), z.maximum(1000)),
  dependsOn: z.array(idSchema).check(z.maxLength(MAX_DEPENDENCIES)),
  goalId: idSchema,
};
const createBody = z.strictObject({
  title: fields.title,
  description: z.optional(fields.description),
  priority: z._default(fields.priority, 'medium'),
  area: z.optional(fields.area),
  dueDate: z.optional(fields.dueDate),
  points: z.optional(fields.points),
  dependsOn: z._default(fields.dependsOn, []),
  goalId: z.optional(fields.goalId),
});
// `null` clears an optional field.
const updateBody = z.strictObject({
  title: z.optional(fields.title),
  description: z.optional(z.nullable(fields.description)),
  status: z.optional(z.enum(['todo', 'in_progress'])),
  priority: z.optional(fields.priority),
  area: z.optional(z.nullable(fields.area)),
  dueDate: z.optional(z.nullable(fields.dueDate)),
  points: z.optional(z.nullable(fields.points)),
  dependsOn: z.optional(fields.dependsOn),
  goalId: z.optional(z.nullable(fields.goalId)),
}).check(z.refine((b) => Object.keys(b).length > 0, { message: 'provide at least one field to change' }));
const listQuery = z.strictObject({ status: z.optional(z.enum(STATUSES)), area: z.optional(areaSchema) });

const taskView = (item: Item) => publicView(item);

/** The points a completion of `task` is worth. */
export const pointsFor = (task: Item): number => (typeof task.points === 'number' ? task.points : POINTS_BY_PRIORITY[task.priority as keyof typeof POINTS_BY_PRIORITY] ?? 10);

/** The user's tasks by id. */
async function allTasks(userId: string): Promise<Map<string, Item>> {
  return new Map((await queryPrefix(userId, 'TASK#')).map((t) => [t.id as string, t]));
}

/** Checks that `dependsOn` of `taskId` names existing tasks of the user and closes no cycle. */
async function checkDependencies(userId: string, taskId: string, dependsOn: string[]): Promise<void> {
  if (dependsOn.length === 0) return;
  if (dependsOn.includes(taskId)) throw badRequest('A task cannot depend on itself', undefined, 'INVALID_DEPENDENCY');
  const tasks = await allTasks(userId);
  const missing = dependsOn.filter((id) => !tasks.has(id));
  if (missing.length > 0) throw badRequest(`Unknown tasks in dependsOn: ${missing.join(', ')}`, { missing }, 'INVALID_DEPENDENCY');
  // A cycle exists when taskId is reachable from one of its new dependencies.
  const seen = new Set<string>();
  const stack = [...dependsOn];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === taskId) throw conflict('DEPENDENCY_CYCLE', 'These dependencies would form a cycle');
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...((tasks.get(id)?.dependsOn as string[] | undefined) ?? []));
  }
}

async function checkGoal(userId: string, goalId: string | undefined | null): Promise<void> {
  if (goalId && !(await getItem(userId, itemSk('GOAL', goalId)))) throw badRequest(`Unknown goal ${goalId}`, undefined, 'INVALID_GOAL');
}

async function refreshGoals(userId: string, ...goalIds: unknown[]): Promise<void> {
  for (const goalId of new Set(goalIds.filter((g): g is string => typeof g === 'string'))) await refreshGoalProgress(userId, goalId);
}

async function list({ event, caller }: ApiRequest) {
  const query = parseQuery(event, listQuery);
  let items: Item[];
  if (query.status) {
    items = await queryAll({ IndexName: INDEX.byStatus, KeyConditionExpression: 'statusKey = :k', ExpressionAttributeValues: { ':k': statusKey(caller.userId, 'TASK', query.status) } });
  } else if (query.area) {
    items = await queryAll({
      IndexName: INDEX.byArea,
      KeyConditionExpression: 'areaKey = :k AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':k': areaKey(caller.userId, query.area), ':prefix': 'TASK#' },
    });
  } else {
    items = await queryPrefix(caller.userId, 'TASK#');
  }
  return ok({ tasks: items.map(taskView) });
}

async function create({ event, caller }: ApiRequest) {
  const body = parseBody(event, createBody);
  const id = newId();
  await checkDependencies(caller.userId, id, body.dependsOn);
  await checkGoal(caller.userId, body.goalId);
  const now = new Date().toISOString();
  const item: Item = {
    pk: userPk(caller.userId),
    sk: itemSk('TASK', id),
    id,
    ...body,
    status: 'todo',
    statusKey: statusKey(caller.userId, 'TASK', 'todo'),
    areaKey: areaKey(caller.userId, body.area),
    createdAt: now,
    updatedAt: now,
  };
  await ddb().send(new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  await refreshGoals(caller.userId, body.goalId);
  return created(taskView(item));
}

async function get({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  return ok(taskView(await getOrNotFound(caller.userId, itemSk('TASK', id), 'Task')));
}

async function update({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, updateBody);
  const task = await getOrNotFound(caller.userId, itemSk('TASK', id), 'Task');
  if (body.dependsOn) await checkDependencies(caller.userId, id, body.dependsOn);
  await checkGoal(caller.userId, body.goalId);

  const set: Record<string, unknown> = { updatedAt: new Date().toISOString() };
  const remove: string[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (value === null) remove.push(name);
    else set[name] = value;
  }
  if (body.status) {
    set.statusKey = statusKey(caller.userId, 'TASK', body.status);
    if (task.status === 'done') remove.push('completedAt'); // reopened (its points stay awarded once)
  }
  if (body.area !== undefined) {
    if (body.area === null) remove.push('areaKey');
    else set.areaKey = areaKey(caller.userId, body.area);
  }
  const names = Object.fromEntries([...Object.keys(set), ...remove].map((n) => [`#${n}`, n]));
  const values = Object.fromEntries(Object.entries(set).map(([n, v]) => [`:${n}`, v]));
  const expression = `SET ${Object.keys(set).map((n) => `#${n} = :${n}`).join(', ')}${remove.length ? ` REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : ''}`;
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: { pk: userPk(caller.userId), sk: itemSk('TASK', id) },
      UpdateExpression: expression,
      // Unchanged since read: a concurrent completion is not silently overwritten.
      ConditionExpression: 'attribute_exists(pk) AND updatedAt = :read',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':read': task.updatedAt },
      ReturnValues: 'ALL_NEW',
    }));
    await refreshGoals(caller.userId, task.goalId, out.Attributes?.goalId);
    return ok(taskView(out.Attributes!));
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') throw conflict('CONCURRENT_UPDATE', 'The task changed meanwhile; read it again');
    throw err;
  }
}

async function removeTask({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const task = await getOrNotFound(caller.userId, itemSk('TASK', id), 'Task');
  const dependents = [...(await allTasks(caller.userId)).values()].filter((t) => t.status !== 'done' && ((t.dependsOn as string[] | undefined) ?? []).includes(id));
  if (dependents.length > 0) {
    throw conflict('HAS_DEPENDENTS', 'Open tasks depend on this task', { dependents: dependents.map((t) => t.id) });
  }
  await ddb().send(new DeleteCommand({ TableName: tableName(), Key: { pk: userPk(caller.userId), sk: itemSk('TASK', id) } }));
  await refreshGoals(caller.userId, task.goalId);
  return noContent();
}

/**
 * Completion: the task's status, the wallet balance and the ledger entry change in one
 * transaction, on condition that the task is not done yet and its points were never awarded; a
 * retry (or a second click) fails that condition and adds nothing. A reopened task completes again
 * without points.
 */
async function complete({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const task = await getOrNotFound(caller.userId, itemSk('TASK', id), 'Task');
  if (task.status === 'done') throw conflict('ALREADY_COMPLETED', 'The task is already completed');
  const dependsOn = (task.dependsOn as string[] | undefined) ?? [];
  if (dependsOn.length > 0) {
    const tasks = await allTasks(caller.userId);
    const open = dependsOn.filter((d) => tasks.has(d) && tasks.get(d)!.status !== 'done');
    if (open.length > 0) throw conflict('DEPENDENCIES_OPEN', 'Complete the tasks this one depends on first', { open });
  }

  const now = new Date().toISOString();
  const points = task.awardedAt ? 0 : pointsFor(task);
  const cancelled = await transact([
    {
      Update: {
        TableName: tableName(),
        Key: { pk: userPk(caller.userId), sk: itemSk('TASK', id) },
        UpdateExpression: `SET #status = :done, statusKey = :statusKey, completedAt = :now, updatedAt = :now${points > 0 ? ', pointsAwarded = :points, awardedAt = :now' : ''}`,
        ConditionExpression: `attribute_exists(pk) AND #status <> :done${points > 0 ? ' AND attribute_not_exists(awardedAt)' : ''}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'done', ':statusKey': statusKey(caller.userId, 'TASK', 'done'), ':now': now, ...(points > 0 ? { ':points': points } : {}) },
      },
    },
    ...(points > 0 ? awardItems(caller.userId, points, 'task_completed', id, now) : []),
  ]);
  if (cancelled) {
    const current = await getItem(caller.userId, itemSk('TASK', id));
    if (!current) throw notFound('Task');
    throw conflict('ALREADY_COMPLETED', 'The task is already completed');
  }
  metrics.addMetric('TasksCompleted', MetricUnit.Count, 1);
  if (points > 0) metrics.addMetric('PointsAwarded', MetricUnit.Count, points);
  await refreshGoals(caller.userId, task.goalId);
  const [updated, wallet] = await Promise.all([getItem(caller.userId, itemSk('TASK', id)), getItem(caller.userId, WALLET_SK)]);
  return ok({ task: taskView(updated!), pointsAwarded: points, balance: wallet?.balance ?? 0 });
}

export const handler = routeHandler('tasks', {
  'GET /tasks': list,
  'POST /tasks': idempotent('tasks.create', create),
  'GET /tasks/{id}': get,
  'PATCH /tasks/{id}': update,
  'DELETE /tasks/{id}': removeTask,
  'POST /tasks/{id}/complete': complete,
});
