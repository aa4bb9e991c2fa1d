/**
 * Per-user request limits: one counter item per user, purpose and fixed window (keys.rateKey),
 * incremented with a conditional ADD, so concurrent requests cannot exceed the limit (DynamoDB
 * evaluates the condition and the increment atomically). The item expires (TTL) after its window.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from './clients';
import { TooManyRequestsError } from './errors';
import { rateKey } from './keys';
import { MetricUnit, metrics } from './observability';

export interface RateLimit {
  /** Counter name in the key (`NOTIFY`, `ANALYTICS`). */
  readonly what: string;
  /** Requests per user and window. */
  readonly limit: number;
  /** Window length; windows start at multiples of it since the epoch (3600: clock hours, 86400: UTC days). */
  readonly windowSeconds: number;
  /** The limit in words for the 429 message, e.g. "30 notifications per hour per user". */
  readonly description: string;
  /** Metric counted on every refused request. */
  readonly metric: string;
}

/** The window `now` falls in: its id in the counter's key (its start, `2026-01-31T12:00:00`) and its start in epoch seconds. */
export function rateWindow(windowSeconds: number, now = new Date()): { readonly id: string; readonly start: number } {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const start = nowSeconds - (nowSeconds % windowSeconds);
  return { id: new Date(start * 1000).toISOString().slice(0, 19), start };
}

/** Counts one request of `userId` against `rate`; 429 (counting nothing) when the window's limit is reached. */
export async function countRequest(tenantId: string, userId: string, rate: RateLimit, now = new Date()): Promise<void> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { id: window, start: windowStart } = rateWindow(rate.windowSeconds, now);
  try {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: rateKey(tenantId, rate.what, userId, window),
      UpdateExpression: 'ADD #count :one SET expiresAt = :expires',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1, ':limit': rate.limit, ':expires': windowStart + 2 * rate.windowSeconds },
    }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    const retryAfter = windowStart + rate.windowSeconds - nowSeconds;
    metrics.addMetric(rate.metric, MetricUnit.Count, 1);
    throw new TooManyRequestsError(`Rate limit: at most ${rate.description}; retry in ${retryAfter} s`, retryAfter);
  }
}
