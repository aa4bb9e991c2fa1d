/**
 * Analytics events: the event types, UTC day arithmetic and the per-day count of a tenant's raw
 * events, shared by the analytics API (live counts of days not aggregated yet) and the daily
 * aggregation job (which stores the same counts as `DAILY#<day>`), so the two cannot disagree.
 *
 * Raw events live at `EVENT#<day>#<time>#<id>` in the tenant partition (keys.analyticsEventSk)
 * and expire after RAW_EVENT_RETENTION_DAYS; aggregates at `DAILY#<day>` are kept.
 */
import { randomUUID } from 'crypto';
import { PutCommand, QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { ddb, functionDdb, tableName } from './clients';
import { activeTenantKey, analyticsEventSk, eventDayPrefix, tenantPk } from './keys';
import './zod-locale';

export const EVENT_TYPES = ['file_viewed', 'file_downloaded', 'file_uploaded', 'file_shared', 'search', 'share_opened', 'login'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Raw events are kept this long (DynamoDB TTL); daily aggregates are kept for good. */
export const RAW_EVENT_RETENTION_DAYS = 90;
/**
 * Clients may report events up to this many days after they happened (offline clients, batched
 * uploads). Days inside this window can still change, so the aggregation job re-aggregates them
 * and reports count them live while they have no aggregate.
 */
export const LATE_EVENT_DAYS = 7;

const DAY_SECONDS = 24 * 60 * 60;
const DAY_MS = DAY_SECONDS * 1000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar day `YYYY-MM-DD` (UTC) that exists (no 2026-02-30). */
export const daySchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .check(z.refine((s) => DAY_PATTERN.test(s) && dayOf(new Date(`${s}T00:00:00.000Z`)) === s, { message: 'must be a date (YYYY-MM-DD)' }));

/** The UTC day of `date`. */
export function dayOf(date: Date): string {
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 10);
}

/** `day` plus `n` days (negative: earlier). */
export function addDays(day: string, n: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS));
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/** What a day of a tenant amounts to: the stored aggregate and the live count have this shape. */
export interface DayCounts {
  /** Number of events per type (only types that occurred). */
  readonly events: Record<string, number>;
  /** Distinct users with at least one event. */
  readonly activeUsers: number;
  readonly eventCount: number;
}

/** Counts a tenant's raw events of `day` (every page of the query). */
export async function countDay(tenantId: string, day: string): Promise<DayCounts> {
  const events: Record<string, number> = {};
  const users = new Set<string>();
  let eventCount = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await ddb().send(new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': eventDayPrefix(day) },
      ProjectionExpression: 'eventType, userId',
      ExclusiveStartKey: start,
    }));
    for (const item of page.Items ?? []) {
      const type = String(item.eventType);
      events[type] = (events[type] ?? 0) + 1;
      if (typeof item.userId === 'string') users.add(item.userId);
      eventCount++;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { events, activeUsers: users.size, eventCount };
}

/** An event to store; the tenant and user come from the caller (or, for share opens, the link). */
export interface AnalyticsEvent {
  readonly tenantId: string;
  /** Absent for anonymous events (a share link opened by someone without an account). */
  readonly userId?: string;
  readonly type: EventType;
  readonly fileId?: string;
  readonly properties?: Record<string, string | number>;
  /** When it happened (default: now). */
  readonly occurredAt?: Date;
}

/**
 * Tenant-days this container has already marked active. The marker put is idempotent, so the cache
 * only saves writes (one per tenant, day and container instead of one per event).
 */
const markedActive = new Set<string>();

/** Stores a raw event and marks its tenant active on its day (the aggregation job's work list); returns the event id. */
export async function storeEvent(event: AnalyticsEvent): Promise<string> {
  const now = new Date();
  const at = event.occurredAt ?? now;
  const day = dayOf(at);
  const id = randomUUID();
  const expiresAt = Math.floor(now.getTime() / 1000) + RAW_EVENT_RETENTION_DAYS * DAY_SECONDS;

  // Marker first: if the event write then fails, the job merely finds a tenant-day without events.
  const marker = `${tableName()}|${day}|${event.tenantId}`;
  if (!markedActive.has(marker)) {
    // The work list is outside every tenant partition: the function's own role writes it.
    await functionDdb().send(new PutCommand({
      TableName: tableName(),
      Item: { ...activeTenantKey(day, event.tenantId), type: 'ACTIVE_TENANT', tenantId: event.tenantId, day, expiresAt },
    }));
    markedActive.add(marker);
  }
  await ddb().send(new PutCommand({
    TableName: tableName(),
    Item: {
      pk: tenantPk(event.tenantId),
      sk: analyticsEventSk(day, at.toISOString(), id),
      type: 'EVENT',
      id,
      eventType: event.type,
      userId: event.userId,
      fileId: event.fileId,
      properties: event.properties,
      occurredAt: at.toISOString(),
      receivedAt: now.toISOString(),
      expiresAt,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  }));
  return id;
}
