/**
 * The patch tracker in one process, for `npx projen patch-tracker:local` and the end-to-end tests:
 * DynamoDB Local with both tables, the read API on `http://127.0.0.1:<port>` (ROUTES served by the
 * real handlers behind the kit's API Gateway stand-in, dev tokens in place of Cognito), and
 * `runJob()` to run a fetcher once, as its schedule would (against real kernel.org by default, or
 * against a fixture server in tests). One instance per process: the handlers' clients stay bound
 * to the first endpoints.
 */
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DevTokens, DevUser, apiGatewayClaims } from '../../kit/local/dev-tokens';
import { DynamoDbLocal, startDynamoDbLocal } from '../../kit/local/dynamodb-local';
import { apiGatewayAdapter } from '../../kit/local/http-adapter';
import { LambdaRuntime } from '../../kit/local/lambda-runtime';
import { ROUTES } from '../infra/routes';
import { DISCUSSIONS_TABLE, PATCHES_TABLE } from '../infra/table-schema';

export const PATCH_TRACKER_HANDLERS = new LambdaRuntime(path.resolve(__dirname, '..', 'handlers'), 'patch-tracker-local');

/** The fetchers and the input their schedules send (infra/schedules.ts). */
export const LOCAL_JOBS = {
  'patch-fetcher': { mode: 'recent' },
  'discussion-fetcher': { mode: 'weekly' },
} as const;
export type LocalJob = keyof typeof LOCAL_JOBS;

export interface LocalPatchTrackerOptions {
  /** API port; 0 (default) picks a free one. */
  readonly port?: number;
  /** @default 'https://patchwork.kernel.org' */
  readonly patchworkUrl?: string;
  /** @default 'https://lore.kernel.org' */
  readonly loreUrl?: string;
  /** @default 'netdevbpf' */
  readonly projects?: string;
  /** Handler logs (Powertools) on stderr. */
  readonly verbose?: boolean;
  /** Extra handler environment (e.g. shorter HTTP timeouts in tests). */
  readonly environment?: Record<string, string>;
}

export interface LocalPatchTracker {
  readonly url: string;
  readonly dynamoDb: DynamoDbLocal;
  readonly documentClient: DynamoDBDocumentClient;
  readonly tables: { readonly patches: string; readonly discussions: string };
  readonly tokens: DevTokens;
  /** A dev token for `user` (any signed-in user may read). */
  tokenFor(user: DevUser): string;
  /** Runs a fetcher once with `input` (default: its schedule's) and returns its result. */
  runJob(name: LocalJob, input?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

let started = false;

export async function startLocalPatchTracker(options: LocalPatchTrackerOptions = {}): Promise<LocalPatchTracker> {
  if (started) throw new Error('One local patch tracker per process: the handlers\' clients stay bound to the first one\'s endpoints');
  started = true;
  const dynamoDb = await startDynamoDbLocal();
  const tables = { patches: 'patch-tracker-local-patches', discussions: 'patch-tracker-local-discussions' };
  await dynamoDb.createTable(PATCHES_TABLE, tables.patches);
  await dynamoDb.createTable(DISCUSSIONS_TABLE, tables.discussions);

  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION || 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
    PATCHES_TABLE: tables.patches,
    DISCUSSIONS_TABLE: tables.discussions,
    PATCHWORK_URL: options.patchworkUrl ?? 'https://patchwork.kernel.org',
    PATCHWORK_PROJECTS: options.projects ?? 'netdevbpf',
    LORE_URL: options.loreUrl ?? 'https://lore.kernel.org',
    POWERTOOLS_SERVICE_NAME: 'patch-tracker-local',
    POWERTOOLS_METRICS_NAMESPACE: 'PatchTrackerLocal',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: options.verbose ? (process.env.POWERTOOLS_LOG_LEVEL || 'INFO') : 'SILENT',
    POWERTOOLS_METRICS_DISABLED: options.verbose ? 'false' : 'true',
    ...options.environment,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const tokens = new DevTokens();
  const api = apiGatewayAdapter({
    routes: ROUTES,
    invoke: (route, event) => PATCH_TRACKER_HANDLERS.invoke(route.handler, event, { timeoutMs: 10_000 }),
    authorize: (token) => {
      const result = tokens.verify(token);
      return result.ok ? { ok: true, claims: apiGatewayClaims(result.claims) } : { ok: false, expired: result.reason === 'expired' };
    },
    onIntegrationError: (route, err) => console.error(`[local] ${route.method} ${route.path} failed: ${err instanceof Error ? err.stack : String(err)}`),
  });
  const server: Server = createServer(api);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    dynamoDb,
    documentClient: DynamoDBDocumentClient.from(dynamoDb.client),
    tables,
    tokens,
    tokenFor: (user) => tokens.issue(user),
    runJob: (name, input) => PATCH_TRACKER_HANDLERS.invoke(name, input ?? LOCAL_JOBS[name], { timeoutMs: 900_000 }),
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamoDb.stop();
    },
  };
}
