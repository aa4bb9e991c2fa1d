/**
 * Puts items with BatchWriteItem, 25 per request, resending the UnprocessedItems DynamoDB hands
 * back (throttling) with exponential backoff until none are left or the attempts are used up.
 * Puts replace whole items keyed by the source's id, so writing the same run twice is harmless.
 */
import { BatchWriteCommand, BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients';

const BATCH_SIZE = 25;

export class UnprocessedItemsError extends Error {
  constructor(table: string, left: number) {
    super(`${left} items of ${table} still unprocessed after every retry`);
    this.name = 'UnprocessedItemsError';
  }
}

type WriteRequests = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string];

export interface BatchWriteOptions {
  readonly maxAttempts?: number;
  readonly initialDelayMs?: number;
}

/** Writes `items` to `table`; returns how many requests were resent. */
export async function batchPut(table: string, items: readonly object[], options: BatchWriteOptions = {}): Promise<number> {
  const maxAttempts = options.maxAttempts ?? 8;
  const initialDelay = options.initialDelayMs ?? 50;
  let resent = 0;
  for (let i = 0; i < items.length; i += BATCH_SIZE) {
    let requests: WriteRequests = items.slice(i, i + BATCH_SIZE).map((item) => ({ PutRequest: { Item: item as Record<string, unknown> } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > maxAttempts) throw new UnprocessedItemsError(table, requests.length);
      if (attempt > 1) {
        resent += requests.length;
        const delay = Math.min(initialDelay * 2 ** (attempt - 2), 5_000);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * delay)); // full jitter
      }
      const out = await ddb().send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = out.UnprocessedItems?.[table] ?? [];
    }
  }
  return resent;
}
