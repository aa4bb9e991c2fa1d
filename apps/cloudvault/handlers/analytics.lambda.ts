/**
 * analyticsService API: event ingestion and reports.
 *
 *   POST /api/analytics   record an event `{ type, fileId?, properties?, occurredAt? }` -> 202 `{ id }`
 *                         (with an `Idempotency-Key` header a retried POST is stored once; at most
 *                         ANALYTICS_EVENTS_PER_USER_PER_DAY per user and UTC day, then 429)
 *   GET  /api/analytics   report `?from=YYYY-MM-DD&to=YYYY-MM-DD` (UTC days, at most 90, default the last 7)
 *
 * An event is stored raw in the tenant's partition (`EVENT#<day>#<time>#<id>`, expiring after 90
 * days) and its day and tenant are marked in `ACTIVE#<day>`, the work list of the daily
 * aggregation job (analytics-aggregator.lambda.ts), which stores `DAILY#<day>` per tenant. Reports
 * read those aggregates; days that may still lack one (today, and recent days the job has not
 * reached yet) are counted live from the raw events with the same code the job uses.
 */
import { QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { DayCounts, EVENT_TYPES, LATE_EVENT_DAYS, addDays, countDay, dayOf, daySchema, daysBetween, storeEvent } from './lib/analytics';
import { ddb, tableName } from './lib/clients';
import { json, ok } from './lib/http';
import { idempotencyKeyOf, idempotentOperation } from './lib/idempotency';
import { dailyKey, tenantPk } from './lib/keys';
import { ApiRequest, MetricUnit, metrics } from './lib/observability';
import { RateLimit, countRequest } from './lib/rate-limit';
import { routeHandler } from './lib/routing';
import { idSchema, parseBody, parseQuery } from './lib/validation';
import './lib/zod-locale';

/** A report covers at most this many days. */
export const MAX_REPORT_DAYS = 90;
/** Days in a report when `from` is not given (ending with `to`). */
export const DEFAULT_REPORT_DAYS = 7;
export const MAX_PROPERTIES = 20;
const DAY_SECONDS = 24 * 60 * 60;
/**
 * Events one user may report per UTC day. A client reporting views, downloads and searches stays
 * far below it; a flooding one is stopped at it, which bounds a user's raw events (and so the
 * tenant's export and the live report counts) to this times RAW_EVENT_RETENTION_DAYS.
 */
export const ANALYTICS_EVENTS_PER_USER_PER_DAY = 2000;
export const ANALYTICS_EVENT_RATE: RateLimit = {
  what: 'ANALYTICS',
  limit: ANALYTICS_EVENTS_PER_USER_PER_DAY,
  windowSeconds: DAY_SECONDS,
  description: `${ANALYTICS_EVENTS_PER_USER_PER_DAY} analytics events per day per user`,
  metric: 'AnalyticsEventsRateLimited',
};
const PROPERTY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Client clocks run a little fast; an `occurredAt` this far ahead still counts as now. */
const CLOCK_SKEW_MS = 60_000;

const propertyValue = z.union([
  z.string().check(z.maxLength(256, { message: 'must be at most 256 characters' })),
  z.number().check(z.refine(Number.isFinite, { message: 'must be a finite number' })),
], { error: 'must be a string or a number' });

const eventBody = z.strictObject({
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  fileId: z.optional(idSchema),
  properties: z.optional(
    z.record(z.string(), propertyValue).check(
      z.superRefine((p, ctx) => {
        const keys = Object.keys(p);
        if (keys.length > MAX_PROPERTIES) ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_PROPERTIES} entries` });
        for (const key of keys.filter((k) => !PROPERTY_NAME.test(k))) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'is not a valid property name (1-64 letters, digits, "_", "." or "-")' });
        }
      }),
    ),
  ),
  occurredAt: z.optional(
    z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z)' }).check(
      z.refine((s) => Date.parse(s) <= Date.now() + CLOCK_SKEW_MS, { message: 'must not be in the future' }),
      z.refine((s) => Date.parse(s) >= Date.now() - LATE_EVENT_DAYS * DAY_SECONDS * 1000, { message: `must not be more than ${LATE_EVENT_DAYS} days ago` }),
    ),
  ),
});

// zod/mini's transform gets the bare parse payload (no ctx.addIssue): issues go onto ctx.issues.
const reportQuery = z.pipe(
  z.strictObject({ from: z.optional(daySchema), to: z.optional(daySchema) }),
  z.transform((q, ctx) => {
    const to = q.to ?? dayOf(new Date());
    const from = q.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
    if (from > to) {
      ctx.issues.push({ code: 'custom', path: ['to'], message: 'must not be before "from"', input: q });
      return z.NEVER;
    }
    if (addDays(from, MAX_REPORT_DAYS - 1) < to) {
      ctx.issues.push({ code: 'custom', path: ['to'], message: `the range from "from" to "to" must be at most ${MAX_REPORT_DAYS} days`, input: q });
      return z.NEVER;
    }
    return { from, to };
  }),
);

export const handler = routeHandler('analytics', {
  'POST /api/analytics': recordEvent,
  'GET /api/analytics': report,
});

const recordOnce = idempotentOperation('analytics.recordEvent');

async function recordEvent(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const body = parseBody(req.event, eventBody);
  // Within the clock-skew allowance an event "from the future" is stored as happening now.
  const occurredAt = body.occurredAt ? new Date(Math.min(Date.parse(body.occurredAt), Date.now())) : undefined;
  // A client retry with the same Idempotency-Key stores the event once and gets the same id.
  const id = await recordOnce(idempotencyKeyOf(req.event), { tenantId, userId, body }, req.context, async () => {
    // Counted inside the idempotent operation: a retry answered from the record is not counted again.
    await countRequest(tenantId, userId, ANALYTICS_EVENT_RATE);
    const stored = await storeEvent({ tenantId, userId, type: body.type, fileId: body.fileId, properties: body.properties, occurredAt });
    metrics.addMetric('AnalyticsEvents', MetricUnit.Count, 1);
    return stored;
  });
  return json(202, { id });
}

export interface DayReport extends DayCounts {
  readonly day: string;
  /** `aggregate`: from the daily job; `live`: counted from the raw events now (not aggregated yet). */
  readonly source: 'aggregate' | 'live';
}

async function report(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { from, to } = parseQuery(req.event, reportQuery);
  const today = dayOf(new Date());
  const aggregates = await dailyAggregates(tenantId, from, to);

  const days: DayReport[] = await Promise.all(daysBetween(from, to).map(async (day): Promise<DayReport> => {
    const aggregate = aggregates.get(day);
    // Today is never complete; recent days without an aggregate wait for the job (or a late event).
    const live = day === today || (!aggregate && day < today && day >= addDays(today, -LATE_EVENT_DAYS));
    if (live) return { day, ...(await countDay(tenantId, day)), source: 'live' };
    return { day, ...(aggregate ?? { events: {}, activeUsers: 0, eventCount: 0 }), source: 'aggregate' };
  }));

  const events: Record<string, number> = {};
  let eventCount = 0;
  for (const d of days) {
    for (const [type, count] of Object.entries(d.events)) events[type] = (events[type] ?? 0) + count;
    eventCount += d.eventCount;
  }
  // Distinct users over the whole range cannot be derived from daily counts: the peak day is reported instead.
  const peakActiveUsers = days.reduce((max, d) => Math.max(max, d.activeUsers), 0);
  return ok({ from, to, days, totals: { events, eventCount, peakActiveUsers } });
}

/** The tenant's stored daily aggregates of [from, to], by day. */
async function dailyAggregates(tenantId: string, from: string, to: string): Promise<Map<string, DayCounts>> {
  const byDay = new Map<string, DayCounts>();
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await ddb().send(new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':from': dailyKey(tenantId, from).sk, ':to': dailyKey(tenantId, to).sk },
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      byDay.set(String(item.day), {
        events: (item.events ?? {}) as Record<string, number>,
        activeUsers: Number(item.activeUsers ?? 0),
        eventCount: Number(item.eventCount ?? 0),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return byDay;
}
