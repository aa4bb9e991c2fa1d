/**
 * Weekly discussion fetcher. Reads the patches of the active states submitted in the last
 * DISCUSSION_WINDOW_DAYS (StatusIndex), fetches each series' lore.kernel.org thread once, parses
 * and matches every message, and only when every thread was fetched and parsed puts the messages
 * (idempotent: keyed by Message-ID and Date). A failure fails the invocation (Lambda retries, then
 * the dead-letter queue) with nothing of the run written.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { batchPut } from './lib/batch-write';
import { ddb, discussionsTable, patchesTable, requiredEnv } from './lib/clients';
import { numberEnv, resilienceFromEnv } from './lib/fetch-settings';
import { fetchThread } from './lib/lore';
import { DiscussionMessage, KnownPatch } from './lib/lore-thread';
import { logger, metrics, MetricUnit } from './lib/observability';
import { ResilientHttp } from './lib/resilient-http';

const ACTIVE_STATES = ['new', 'under-review', 'changes-requested', 'rfc', 'needs-ack', 'awaiting-upstream'];

export const discussionRequest = z.object({
  mode: z.literal('weekly'),
  /** States whose patches are refreshed (default: the active ones). */
  states: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/)).min(1).max(20).optional(),
}).strict();

export interface DiscussionResult {
  readonly patches: number;
  readonly threads: number;
  readonly missingThreads: number;
  readonly messages: number;
  readonly matched: number;
}

let http: ResilientHttp | undefined;
const client = () => (http ??= new ResilientHttp(resilienceFromEnv()));

/** For tests: a fresh client (closed breaker) with the current environment's settings. */
export function resetHttpClient(): void {
  http = undefined;
}

/** The patches of `states` submitted since `since`, at most `max`, newest first. */
async function activePatches(states: string[], since: string, max: number): Promise<(KnownPatch & { date: string })[]> {
  const found: (KnownPatch & { date: string })[] = [];
  for (const state of states) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await ddb().send(new QueryCommand({
        TableName: patchesTable(),
        IndexName: 'StatusIndex',
        KeyConditionExpression: '#state = :state AND #date >= :since',
        ExpressionAttributeNames: { '#state': 'state', '#date': 'date', '#name': 'name' },
        ExpressionAttributeValues: { ':state': state, ':since': since },
        ProjectionExpression: 'id, #name, msgid, seriesId, #date',
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) found.push(item as KnownPatch & { date: string });
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return found.sort((a, b) => b.date.localeCompare(a.date)).slice(0, max);
}

export const handler = async (event: unknown, context?: Context): Promise<DiscussionResult> => {
  if (context) logger.addContext(context);
  const started = Date.now();
  try {
    const request = discussionRequest.parse(event);
    metrics.addDimension('mode', request.mode);
    const since = new Date(started - numberEnv('DISCUSSION_WINDOW_DAYS', 14) * 86_400_000).toISOString();
    const maxThreads = numberEnv('MAX_THREADS', 100);
    // A series has a handful of patches: reading ten per thread is enough to fill MAX_THREADS threads.
    const patches = await activePatches(request.states ?? ACTIVE_STATES, since, maxThreads * 10);

    // One thread per series (a lone patch is its own thread); every patch of it helps the matching.
    const threads = new Map<string, KnownPatch[]>();
    for (const p of patches) {
      const key = p.seriesId ? `series:${p.seriesId}` : `patch:${p.id}`;
      threads.set(key, [...(threads.get(key) ?? []), p]);
    }
    const selected = [...threads.values()].slice(0, maxThreads);

    // Fetch and parse every thread first: nothing is written unless all of them were good.
    const loreUrl = requiredEnv('LORE_URL');
    const messages = new Map<string, DiscussionMessage>();
    let missing = 0;
    for (const series of selected) {
      // lore answers the whole thread around any of its messages.
      const thread = await fetchThread(client(), loreUrl, series);
      if (!thread) missing++;
      for (const m of thread ?? []) messages.set(`${m.id}|${m.timestamp}`, m);
    }
    const items = [...messages.values()];
    const resent = await batchPut(discussionsTable(), items);
    const matched = items.filter((m) => m.patchId).length;

    metrics.addMetric('ThreadsFetched', MetricUnit.Count, selected.length - missing);
    metrics.addMetric('ThreadsMissing', MetricUnit.Count, missing);
    metrics.addMetric('DiscussionsWritten', MetricUnit.Count, items.length);
    metrics.addMetric('MessagesMatched', MetricUnit.Count, matched);
    metrics.addMetric('WritesRetried', MetricUnit.Count, resent);
    metrics.addMetric('FetchSucceeded', MetricUnit.Count, 1);
    const result = { patches: patches.length, threads: selected.length, missingThreads: missing, messages: items.length, matched };
    logger.info('discussions fetched', { ...result });
    return result;
  } catch (err) {
    metrics.addMetric('FetchFailed', MetricUnit.Count, 1);
    if (http?.circuitOpen) metrics.addMetric('CircuitOpen', MetricUnit.Count, 1);
    logger.error('discussion fetch failed', err as Error);
    throw err;
  } finally {
    metrics.addMetric('FetchDuration', MetricUnit.Milliseconds, Date.now() - started);
    metrics.publishStoredMetrics();
  }
};
