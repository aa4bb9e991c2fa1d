import { cached, getCache } from './cache';
import type { Command, ListQuery } from './commands';
import { logger } from './observability';

// Keys carry the tenant and the tenant's generation number: a write bumps the generation, which
// invalidates every cached read of the tenant at once, without scanning keys, and a read that
// raced the write can only store its result under the old generation, which nobody reads again.
const generationKey = (tenantId: string) => `cc:${tenantId}:gen`;

async function generation(tenantId: string): Promise<string> {
  const cache = await getCache().catch(() => undefined);
  return (cache ? await cache.get(generationKey(tenantId)).catch(() => null) : null) ?? '0';
}

/** The tenant's command through the cache. */
export async function cachedCommand(tenantId: string, id: string, load: () => Promise<Command | undefined>) {
  return cached(`cc:${tenantId}:${await generation(tenantId)}:cmd:${id}`, load);
}

/** A list of the tenant's commands through the cache. */
export async function cachedList(tenantId: string, query: ListQuery, load: () => Promise<Command[]>) {
  return cached(`cc:${tenantId}:${await generation(tenantId)}:list:${query.status ?? '*'}:${query.limit}`, load);
}

/** After a write: every cached read of the tenant is stale. */
export async function invalidate(tenantId: string): Promise<void> {
  const cache = await getCache().catch(() => undefined);
  if (!cache) return;
  try {
    await cache.incr(generationKey(tenantId));
  } catch (err) {
    // Entries expire after CACHE_TTL_SECONDS anyway; the write itself succeeded.
    logger.error('cache invalidation failed', { tenantId, error: String(err) });
  }
}
