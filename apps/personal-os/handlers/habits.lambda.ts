/**
 * Habits and their daily logs.
 *
 *   GET    /habits               the user's habits
 *   POST   /habits               create `{ name, description?, area? }`
 *   GET    /habits/today         every active habit and whether it is logged today (`?date=` = the client's today)
 *   GET    /habits/{id}          one habit with its streaks
 *   PATCH  /habits/{id}          change `{ name?, description?, area?, archived? }`
 *   DELETE /habits/{id}          delete the habit and its logs
 *   POST   /habits/{id}/logs     log a day `{ date?, notes? }` (default today, UTC); once per day
 *   GET    /habits/{id}/logs     the logs (`?from=&to=` dates)
 *
 * Streaks (lib/dates.ts): the current streak counts consecutive logged days ending today or
 * yesterday (it breaks once a whole day is missed); the longest is the longest run ever. Both are
 * recomputed from the logs after each log and cached on the habit.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ApiRequest, routeHandler } from './lib/api-handler';
import { ddb, tableName } from './lib/clients';
import { todayUtc, streaksOf } from './lib/dates';
import { badRequest, conflict, notFound } from './lib/errors';
import { created, noContent, ok } from './lib/http';
import { idempotent } from './lib/idempotency';
import { newId } from './lib/ids';
import { areaKey, habitLogPrefix, habitLogSk, itemSk, publicView, userPk } from './lib/keys';
import { MetricUnit, metrics } from './lib/observability';
import { Item, deleteAll, getItem, getOrNotFound, queryAll, queryPrefix, transact } from './lib/table';
import { patchItem } from './lib/updates';
import { areaSchema, dateSchema, idPath, notesSchema, parseBody, parsePath, parseQuery, textSchema } from './lib/validation';
import './lib/zod-locale';

const createBody = z.strictObject({ name: textSchema(200), description: z.optional(notesSchema), area: z.optional(areaSchema) });
const updateBody = z.strictObject({
  name: z.optional(textSchema(200)),
  description: z.optional(z.nullable(notesSchema)),
  area: z.optional(z.nullable(areaSchema)),
  archived: z.optional(z.boolean()),
}).check(z.refine((b) => Object.keys(b).length > 0, { message: 'provide at least one field to change' }));
const logBody = z.strictObject({ date: z.optional(dateSchema), notes: z.optional(notesSchema) });
const todayQuery = z.strictObject({ date: z.optional(dateSchema) });
const rangeQuery = z.strictObject({ from: z.optional(dateSchema), to: z.optional(dateSchema) });

/** Latest day a log may name: tomorrow (UTC), for clients in time zones ahead of UTC. */
function latestLoggableDay(): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 1);
  return todayUtc(d);
}

const logView = (item: Item) => ({ date: item.date, notes: item.notes, createdAt: item.createdAt });

async function listHabits({ caller }: ApiRequest) {
  return ok({ habits: (await queryPrefix(caller.userId, 'HABIT#')).map(publicView) });
}

async function create({ event, caller }: ApiRequest) {
  const body = parseBody(event, createBody);
  const id = newId();
  const now = new Date().toISOString();
  const item: Item = {
    pk: userPk(caller.userId),
    sk: itemSk('HABIT', id),
    id,
    ...body,
    archived: false,
    currentStreak: 0,
    longestStreak: 0,
    totalLogs: 0,
    areaKey: areaKey(caller.userId, body.area),
    createdAt: now,
    updatedAt: now,
  };
  await ddb().send(new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  return created(publicView(item));
}

async function today({ event, caller }: ApiRequest) {
  const date = parseQuery(event, todayQuery).date ?? todayUtc();
  const habits = (await queryPrefix(caller.userId, 'HABIT#')).filter((h) => !h.archived);
  const logged = await Promise.all(habits.map((h) => getItem(caller.userId, habitLogSk(h.id, date))));
  const todays = habits.map((h, i) => ({ ...publicView(h), doneToday: logged[i] !== undefined }));
  return ok({ date, habits: todays, done: todays.filter((h) => h.doneToday).length, total: todays.length });
}

async function get({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  return ok(publicView(await getOrNotFound(caller.userId, itemSk('HABIT', id), 'Habit')));
}

async function update({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, updateBody);
  const extra = body.area ? { areaKey: areaKey(caller.userId, body.area) } : {};
  const habit = await patchItem({ pk: userPk(caller.userId), sk: itemSk('HABIT', id) }, body, 'Habit', extra, body.area === null ? ['areaKey'] : []);
  return ok(publicView(habit));
}

async function remove({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  await getOrNotFound(caller.userId, itemSk('HABIT', id), 'Habit');
  const logs = await queryPrefix(caller.userId, habitLogPrefix(id));
  await deleteAll(caller.userId, [itemSk('HABIT', id), ...logs.map((l) => l.sk as string)]);
  return noContent();
}

/** Logs a day: the log is written only while the habit exists and the day is not logged yet. */
async function log({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, logBody);
  const date = body.date ?? todayUtc();
  if (date > latestLoggableDay()) throw badRequest('date must not be in the future', undefined, 'VALIDATION_FAILED');
  const pk = userPk(caller.userId);
  const now = new Date().toISOString();
  const cancelled = await transact([
    { ConditionCheck: { TableName: tableName(), Key: { pk, sk: itemSk('HABIT', id) }, ConditionExpression: 'attribute_exists(pk)' } },
    {
      Put: {
        TableName: tableName(),
        Item: { pk, sk: habitLogSk(id, date), habitId: id, date, notes: body.notes, createdAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
  if (cancelled?.[0] === 'ConditionalCheckFailed') throw notFound('Habit');
  if (cancelled) throw conflict('ALREADY_LOGGED', `The habit is already logged for ${date}`);

  const days = (await queryPrefix(caller.userId, habitLogPrefix(id))).map((entry) => entry.date as string);
  const streaks = streaksOf(days, todayUtc());
  const out = await ddb().send(new UpdateCommand({
    TableName: tableName(),
    Key: { pk, sk: itemSk('HABIT', id) },
    UpdateExpression: 'SET currentStreak = :c, longestStreak = :l, totalLogs = :t, lastLoggedDate = :last, updatedAt = :now',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':c': streaks.current, ':l': streaks.longest, ':t': days.length, ':last': days.sort().at(-1), ':now': now },
    ReturnValues: 'ALL_NEW',
  }));
  metrics.addMetric('HabitLogged', MetricUnit.Count, 1);
  return created({ log: { date, notes: body.notes, createdAt: now }, habit: publicView(out.Attributes!) });
}

async function listLogs({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const range = parseQuery(event, rangeQuery);
  await getOrNotFound(caller.userId, itemSk('HABIT', id), 'Habit');
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': userPk(caller.userId), ':from': habitLogSk(id, range.from ?? '0000-00-00'), ':to': habitLogSk(id, range.to ?? '9999-99-99') },
  });
  return ok({ logs: items.map(logView) });
}

export const handler = routeHandler('habits', {
  'GET /habits': listHabits,
  'POST /habits': idempotent('habits.create', create),
  'GET /habits/today': today,
  'GET /habits/{id}': get,
  'PATCH /habits/{id}': update,
  'DELETE /habits/{id}': remove,
  'POST /habits/{id}/logs': log,
  'GET /habits/{id}/logs': listLogs,
});
