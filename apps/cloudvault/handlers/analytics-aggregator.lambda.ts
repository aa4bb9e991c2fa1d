/**
 * analyticsService daily aggregation (ScheduledJob, daily after midnight UTC).
 *
 * Input (the schedule's payload, validated): `{ day?: 'YYYY-MM-DD' }`.
 * - With `day`: aggregates that day.
 * - Without (the daily run): aggregates yesterday (UTC), and again the LATE_EVENT_DAYS days before
 *   it, because clients may report events up to that many days late; each day is thus final once
 *   it leaves that window.
 *
 * For each tenant marked in `ACTIVE#<day>` it counts the tenant's raw `EVENT#<day>#` items and
 * writes `DAILY#<day>` `{ day, events, activeUsers, eventCount, aggregatedAt }`. The aggregate is
 * a pure function of the raw events, so a rerun overwrites it with the same counts (idempotent).
 * A failing tenant does not stop the others; the run fails at the end (so the invocation is
 * retried and alarms fire) and names the failed tenant-days.
 */
import { PutCommand, QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { LATE_EVENT_DAYS, addDays, countDay, dayOf, daySchema } from './lib/analytics';
import { ddb, tableName } from './lib/clients';
import { withEventHandler } from './lib/event-handler';
import { activeTenantKey, dailyKey } from './lib/keys';
import { MetricUnit, logger, metrics } from './lib/observability';
import './lib/zod-locale';

/** Tenants aggregated in parallel (each is a sequence of paginated queries and one put). */
const CONCURRENCY = 8;
const TENANT_SK = /^TENANT#([A-Za-z0-9_-]{1,64})$/;

/** Scheduler sends the schedule's input as the event; a schedule without input sends nothing or `{}`. */
export const aggregationInput = z.pipe(
  z.transform((v) => v ?? {}),
  z.strictObject({ day: z.optional(daySchema) }, { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { day?: "YYYY-MM-DD" }' : undefined) }),
);

export interface DayResult {
  readonly day: string;
  readonly tenants: number;
  readonly eventCount: number;
  readonly activeUsers: number;
}

export interface AggregationResult {
  readonly days: DayResult[];
}

export const handler = withEventHandler<unknown, AggregationResult>(async (event) => {
  const parsed = z.safeParse(aggregationInput, event);
  if (!parsed.success) {
    // A malformed payload is a schedule configuration error: fail so it shows (errors alarm, DLQ).
    const problems = parsed.error.issues.map((i) => `${['input', ...i.path.map(String)].join('.')}: ${i.message}`);
    throw new Error(`Invalid aggregation input: ${problems.join('; ')}`);
  }
  const primary = parsed.data.day ?? addDays(dayOf(new Date()), -1);
  const days = parsed.data.day ? [primary] : Array.from({ length: LATE_EVENT_DAYS + 1 }, (_, i) => addDays(primary, -i));

  const results: DayResult[] = [];
  const failed: string[] = [];
  for (const day of days) {
    const { result, failedTenants } = await aggregateDay(day);
    results.push(result);
    failed.push(...failedTenants.map((t) => `${t}/${day}`));
  }

  // One ActiveUsers data point per run, for the day this run is about (re-aggregated late days
  // would count their users again). Users belong to one tenant, so the per-tenant counts add up.
  metrics.addMetric('ActiveUsers', MetricUnit.Count, results[0].activeUsers);
  metrics.addMetric('AnalyticsEventsAggregated', MetricUnit.Count, results[0].eventCount);
  logger.info('aggregation done', { days: results });
  if (failed.length > 0) {
    metrics.addMetric('AggregationFailures', MetricUnit.Count, failed.length);
    throw new Error(`Aggregation failed for ${failed.length} tenant-day(s): ${failed.slice(0, 20).join(', ')}`);
  }
  return { days: results };
});

/** Aggregates every tenant active on `day`. */
async function aggregateDay(day: string): Promise<{ result: DayResult; failedTenants: string[] }> {
  const tenants = await activeTenants(day);
  let eventCount = 0;
  let activeUsers = 0;
  const failedTenants: string[] = [];
  const aggregatedAt = new Date().toISOString();

  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const tenantId = tenants[next++];
      try {
        const counts = await countDay(tenantId, day);
        await ddb().send(new PutCommand({
          TableName: tableName(),
          Item: { ...dailyKey(tenantId, day), type: 'DAILY', day, ...counts, aggregatedAt },
        }));
        eventCount += counts.eventCount;
        activeUsers += counts.activeUsers;
      } catch (err) {
        logger.error('tenant aggregation failed', { tenantId, day, error: err as Error });
        failedTenants.push(tenantId);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tenants.length) }, worker));
  return { result: { day, tenants: tenants.length, eventCount, activeUsers }, failedTenants };
}

/** The tenants marked active on `day` (every page of the marker partition). */
async function activeTenants(day: string): Promise<string[]> {
  const tenants: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await ddb().send(new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': activeTenantKey(day, '').pk },
      ProjectionExpression: 'sk',
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      const match = TENANT_SK.exec(String(item.sk));
      if (match) tenants.push(match[1]);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return tenants;
}
