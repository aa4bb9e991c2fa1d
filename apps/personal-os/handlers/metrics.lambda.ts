/**
 * Metrics: time series of measurements, with milestones.
 *
 *   GET    /metrics              the user's metrics
 *   POST   /metrics              create `{ name, unit?, area?, direction?, target? }`
 *   GET    /metrics/{id}         one metric with its milestones
 *   PATCH  /metrics/{id}         change `{ name?, unit?, area?, direction?, target? }`
 *   DELETE /metrics/{id}         delete the metric, its logs and milestones (points stay)
 *   POST   /metrics/{id}/logs    record `{ value, timestamp?, notes? }`; returns the milestones it reached
 *   GET    /metrics/{id}/logs    the logs, oldest first (`?from=&to=` ISO times)
 *
 * After each log the metric caches its current value (the latest measurement) and its logging
 * streak (consecutive days with a measurement), then each milestone reached (lib/milestones.ts)
 * is recorded with its points in one transaction on condition that it was never recorded: each
 * milestone awards once, even when two logs race.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ApiRequest, routeHandler } from './lib/api-handler';
import { ddb, tableName } from './lib/clients';
import { streaksOf, todayUtc } from './lib/dates';
import { badRequest, notFound } from './lib/errors';
import { created, noContent, ok } from './lib/http';
import { idempotent } from './lib/idempotency';
import { newId } from './lib/ids';
import { areaKey, itemSk, metricLogPrefix, milestonePrefix, milestoneSk, publicView, userPk } from './lib/keys';
import { MILESTONE_POINTS, milestonesReached } from './lib/milestones';
import { MetricUnit, metrics } from './lib/observability';
import { Item, deleteAll, getOrNotFound, queryAll, queryPrefix, transact } from './lib/table';
import { patchItem } from './lib/updates';
import { areaSchema, idPath, notesSchema, parseBody, parsePath, parseQuery, textSchema } from './lib/validation';
import { awardItems } from './lib/wallet';
import './lib/zod-locale';

const finite = z.number().check(z.refine(Number.isFinite, { message: 'must be a finite number' }));
const direction = z.enum(['increase', 'decrease']);
const createBody = z.strictObject({
  name: textSchema(200),
  unit: z.optional(textSchema(30)),
  area: z.optional(areaSchema),
  direction: z._default(direction, 'increase'),
  target: z.optional(finite),
});
const updateBody = z.strictObject({
  name: z.optional(textSchema(200)),
  unit: z.optional(z.nullable(textSchema(30))),
  area: z.optional(z.nullable(areaSchema)),
  direction: z.optional(direction),
  target: z.optional(z.nullable(finite)),
}).check(z.refine((b) => Object.keys(b).length > 0, { message: 'provide at least one field to change' }));
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const logBody = z.strictObject({ value: finite, timestamp: z.optional(isoTime), notes: z.optional(notesSchema) });
const rangeQuery = z.strictObject({ from: z.optional(isoTime), to: z.optional(isoTime) });

const logView = (item: Item) => ({ id: item.id, value: item.value, timestamp: item.timestamp, notes: item.notes });
const milestoneView = (item: Item) => ({ kind: item.kind, points: item.points, value: item.value, reachedAt: item.reachedAt });

async function list({ caller }: ApiRequest) {
  return ok({ metrics: (await queryPrefix(caller.userId, 'METRIC#')).map(publicView) });
}

async function create({ event, caller }: ApiRequest) {
  const body = parseBody(event, createBody);
  const id = newId();
  const now = new Date().toISOString();
  const item: Item = {
    pk: userPk(caller.userId),
    sk: itemSk('METRIC', id),
    id,
    ...body,
    logCount: 0,
    currentStreak: 0,
    longestStreak: 0,
    areaKey: areaKey(caller.userId, body.area),
    createdAt: now,
    updatedAt: now,
  };
  await ddb().send(new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  return created(publicView(item));
}

async function get({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const metric = await getOrNotFound(caller.userId, itemSk('METRIC', id), 'Metric');
  const milestones = await queryPrefix(caller.userId, milestonePrefix(id));
  return ok({ ...publicView(metric), milestones: milestones.map(milestoneView) });
}

async function update({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, updateBody);
  const extra = body.area ? { areaKey: areaKey(caller.userId, body.area) } : {};
  const metric = await patchItem({ pk: userPk(caller.userId), sk: itemSk('METRIC', id) }, body, 'Metric', extra, body.area === null ? ['areaKey'] : []);
  return ok(publicView(metric));
}

async function remove({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  await getOrNotFound(caller.userId, itemSk('METRIC', id), 'Metric');
  const related = [...await queryPrefix(caller.userId, metricLogPrefix(id)), ...await queryPrefix(caller.userId, milestonePrefix(id))];
  await deleteAll(caller.userId, [itemSk('METRIC', id), ...related.map((i) => i.sk as string)]);
  return noContent();
}

async function log({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const body = parseBody(event, logBody);
  const timestamp = new Date(body.timestamp ?? Date.now()).toISOString();
  if (Date.parse(timestamp) > Date.now() + 5 * 60_000) throw badRequest('timestamp must not be in the future', undefined, 'VALIDATION_FAILED');
  const pk = userPk(caller.userId);
  const logId = newId();
  const now = new Date().toISOString();
  const cancelled = await transact([
    { ConditionCheck: { TableName: tableName(), Key: { pk, sk: itemSk('METRIC', id) }, ConditionExpression: 'attribute_exists(pk)' } },
    {
      Put: {
        TableName: tableName(),
        Item: {
          pk, sk: `${metricLogPrefix(id)}${timestamp}#${logId}`, id: logId, metricId: id, value: body.value, timestamp, notes: body.notes, createdAt: now,
        },
      },
    },
  ]);
  if (cancelled) throw notFound('Metric');
  metrics.addMetric('MetricLogged', MetricUnit.Count, 1);

  // The cached state from every log: latest value, streak of logging days.
  const logs = await queryPrefix(caller.userId, metricLogPrefix(id));
  const latest = logs[logs.length - 1];
  const streaks = streaksOf(logs.map((l) => String(l.timestamp).slice(0, 10)), todayUtc());
  const out = await ddb().send(new UpdateCommand({
    TableName: tableName(),
    Key: { pk, sk: itemSk('METRIC', id) },
    UpdateExpression: 'SET currentValue = :v, lastLoggedAt = :t, logCount = :n, currentStreak = :c, longestStreak = :l, updatedAt = :now',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':v': latest.value, ':t': latest.timestamp, ':n': logs.length, ':c': streaks.current, ':l': streaks.longest, ':now': now },
    ReturnValues: 'ALL_NEW',
  }));
  const metric = out.Attributes!;

  const reached = [];
  const state = { direction: metric.direction, target: metric.target, currentValue: metric.currentValue, currentStreak: metric.currentStreak };
  for (const kind of milestonesReached(state)) {
    const points = MILESTONE_POINTS[kind];
    const milestone = { kind, points, value: metric.currentValue, reachedAt: now };
    const failed = await transact([
      { Put: { TableName: tableName(), Item: { pk, sk: milestoneSk(id, kind), metricId: id, ...milestone }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ...awardItems(caller.userId, points, 'milestone_reached', `${id}#${kind}`, now),
    ]);
    if (!failed) {
      reached.push(milestone);
      metrics.addMetric('PointsAwarded', MetricUnit.Count, points);
    }
  }
  return created({ log: logView({ id: logId, value: body.value, timestamp, notes: body.notes }), metric: publicView(metric), milestones: reached });
}

async function listLogs({ event, caller }: ApiRequest) {
  const { id } = parsePath(event, idPath);
  const range = parseQuery(event, rangeQuery);
  await getOrNotFound(caller.userId, itemSk('METRIC', id), 'Metric');
  const from = range.from ? new Date(range.from).toISOString() : '';
  const to = range.to ? `${new Date(range.to).toISOString()}#~` : '~';
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': userPk(caller.userId), ':from': `${metricLogPrefix(id)}${from}`, ':to': `${metricLogPrefix(id)}${to}` },
  });
  return ok({ logs: items.map(logView) });
}

export const handler = routeHandler('metrics', {
  'GET /metrics': list,
  'POST /metrics': idempotent('metrics.create', create),
  'GET /metrics/{id}': get,
  'PATCH /metrics/{id}': update,
  'DELETE /metrics/{id}': remove,
  'POST /metrics/{id}/logs': log,
  'GET /metrics/{id}/logs': listLogs,
});
