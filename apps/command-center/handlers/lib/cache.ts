import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import Valkey, { RedisOptions } from 'iovalkey';
import { logger } from './observability';

/** Hot reads live this long at most; writes invalidate them sooner. */
export const CACHE_TTL_SECONDS = 60;
// ElastiCache IAM tokens are valid 15 minutes; a new client (new token) well before that.
const TOKEN_MAX_AGE_MS = 10 * 60_000;

/**
 * ElastiCache's IAM auth token: a SigV4-presigned `connect` request for the user, without the
 * scheme (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html).
 */
export async function elastiCacheAuthToken(cacheName: string, userId: string, region: string, serverless = true): Promise<string> {
  const signer = new SignatureV4({ service: 'elasticache', region, credentials: defaultProvider(), sha256: Sha256 });
  const query: Record<string, string> = { Action: 'connect', User: userId };
  if (serverless) query.ResourceType = 'ServerlessCache';
  const signed = await signer.presign({ method: 'GET', protocol: 'http:', hostname: cacheName, path: '/', query, headers: { host: cacheName } }, { expiresIn: 900 });
  const qs = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return `${cacheName}/?${qs}`;
}

/**
 * Client options from the environment: in AWS (`CACHE_IAM_AUTH=true`) TLS and the IAM-authenticated
 * user with a fresh token; locally `CACHE_URL` (redis://127.0.0.1:port), no TLS.
 */
export async function cacheOptions(env: NodeJS.ProcessEnv = process.env): Promise<RedisOptions & { url?: string }> {
  const common: RedisOptions = { lazyConnect: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, enableOfflineQueue: true };
  if (env.CACHE_IAM_AUTH === 'true') {
    const user = env.CACHE_USER!;
    return {
      ...common,
      host: env.CACHE_HOST,
      port: Number(env.CACHE_PORT ?? 6379),
      tls: {},
      username: user,
      password: await elastiCacheAuthToken(env.CACHE_NAME!, user, env.AWS_REGION!),
    };
  }
  return { ...common, url: env.CACHE_URL };
}

let client: { valkey: Valkey; created: number } | undefined;

/** The container's cache client (renewed before its IAM token would expire); undefined when none is configured. */
export async function getCache(): Promise<Valkey | undefined> {
  if (!process.env.CACHE_URL && process.env.CACHE_IAM_AUTH !== 'true') return undefined;
  if (client && Date.now() - client.created < TOKEN_MAX_AGE_MS && client.valkey.status !== 'end') return client.valkey;
  client?.valkey.disconnect();
  const { url, ...options } = await cacheOptions();
  const valkey = url ? new Valkey(url, options) : new Valkey(options);
  valkey.on('error', (err) => logger.warn('cache connection error', { error: String(err) }));
  client = { valkey, created: Date.now() };
  return valkey;
}

/** Closes the cache client (tests and local mode). */
export async function closeCache(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.valkey.quit().catch(() => undefined);
}

/**
 * Read-through: the cached JSON under `key`, else `load()` stored for CACHE_TTL_SECONDS. The cache
 * is an optimisation: when it fails the database answers.
 */
export async function cached<T>(key: string, load: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
  const cache = await getCache().catch(() => undefined);
  if (cache) {
    try {
      const hit = await cache.get(key);
      if (hit !== null) return { value: JSON.parse(hit) as T, hit: true };
    } catch (err) {
      logger.warn('cache read failed', { key, error: String(err) });
    }
  }
  const value = await load();
  if (cache && value !== undefined) {
    await cache.set(key, JSON.stringify(value), 'EX', CACHE_TTL_SECONDS).catch((err) => logger.warn('cache write failed', { key, error: String(err) }));
  }
  return { value, hit: false };
}
