/**
 * Scheduled Patchwork fetcher. `{ "mode": "recent" }` (hourly) reads the patches of the last
 * RECENT_WINDOW_HOURS, `{ "mode": "full" }` (daily, 03:00 UTC) up to MAX_PAGES_FULL pages of each
 * project. Every page is validated before anything is written; then the run's patches are put in
 * batches (idempotent: an item is a pure function of Patchwork's data). Any failure (circuit open,
 * retries exhausted, malformed page) fails the invocation, so Lambda retries it and then parks it
 * in the function's dead-letter queue, with the table as it was before the run.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { batchPut } from './lib/batch-write';
import { patchesTable, requiredEnv } from './lib/clients';
import { numberEnv, resilienceFromEnv } from './lib/fetch-settings';
import { logger, metrics, MetricUnit } from './lib/observability';
import { patchItem } from './lib/patch-items';
import { fetchPatches, PatchworkPatch } from './lib/patchwork';
import { ResilientHttp } from './lib/resilient-http';

export const fetchRequest = z.object({
  mode: z.enum(['recent', 'full']),
  /** One project instead of PATCHWORK_PROJECTS (manual runs). */
  project: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).optional(),
}).strict();

export interface FetchResult {
  readonly mode: 'recent' | 'full';
  readonly projects: string[];
  readonly pages: number;
  readonly patches: number;
  readonly truncated: boolean;
}

// One client per container: the breaker remembers failures across the runs a warm container serves.
let http: ResilientHttp | undefined;
const client = () => (http ??= new ResilientHttp(resilienceFromEnv()));

/** For tests: a fresh client (closed breaker) with the current environment's settings. */
export function resetHttpClient(): void {
  http = undefined;
}

export const handler = async (event: unknown, context?: Context): Promise<FetchResult> => {
  if (context) logger.addContext(context);
  const started = Date.now();
  try {
    const request = fetchRequest.parse(event);
    metrics.addDimension('mode', request.mode);
    const projects = request.project ? [request.project] : requiredEnv('PATCHWORK_PROJECTS').split(',').map((p) => p.trim()).filter(Boolean);
    const since = request.mode === 'recent' ? new Date(started - numberEnv('RECENT_WINDOW_HOURS', 2) * 3_600_000).toISOString() : undefined;
    const maxPages = request.mode === 'recent' ? numberEnv('MAX_PAGES_RECENT', 10) : numberEnv('MAX_PAGES_FULL', 50);

    // Fetch and validate everything first: nothing is written unless every page was good.
    const byId = new Map<number, PatchworkPatch>();
    let pages = 0;
    let truncated = false;
    for (const project of projects) {
      const result = await fetchPatches(client(), {
        baseUrl: requiredEnv('PATCHWORK_URL'),
        project,
        since,
        perPage: numberEnv('PER_PAGE', 100),
        maxPages,
      });
      pages += result.pages;
      truncated ||= result.truncated;
      // A patch can show up on two pages when new ones arrive during the run.
      for (const patch of result.patches) byId.set(patch.id, patch);
    }
    const items = [...byId.values()].map(patchItem);
    const resent = await batchPut(patchesTable(), items);

    metrics.addMetric('PagesFetched', MetricUnit.Count, pages);
    metrics.addMetric('PatchesWritten', MetricUnit.Count, items.length);
    metrics.addMetric('WritesRetried', MetricUnit.Count, resent);
    metrics.addMetric('FetchSucceeded', MetricUnit.Count, 1);
    logger.info('patches fetched', { mode: request.mode, projects, pages, patches: items.length, truncated });
    return { mode: request.mode, projects, pages, patches: items.length, truncated };
  } catch (err) {
    metrics.addMetric('FetchFailed', MetricUnit.Count, 1);
    if (http?.circuitOpen) metrics.addMetric('CircuitOpen', MetricUnit.Count, 1);
    logger.error('patch fetch failed', err as Error);
    throw err;
  } finally {
    metrics.addMetric('FetchDuration', MetricUnit.Milliseconds, Date.now() - started);
    metrics.publishStoredMetrics();
  }
};
