/**
 * CloudVault in one process, for `npm run local` (local/main.ts) and the end-to-end tests:
 *
 * - DynamoDB Local (local/dynamodb-local.ts) with the real table, the S3 emulator
 *   (local/s3-emulator.ts) with the files bucket, both on loopback;
 * - the API on `http://127.0.0.1:<port>`: ROUTES served by the real handlers behind the
 *   API Gateway adapter (local/http-adapter.ts), dev tokens (local/dev-tokens.ts) in place of
 *   Cognito;
 * - the emulator's object-created notifications for `tenants/` keys delivered to the
 *   fileProcessor as EventBridge "Object Created" events, as the Uploads rule does;
 * - the notification queue on the SQS emulator (local/sqs-emulator.ts; batches of 10, failed
 *   messages retried, dead-lettered after 5 receives, as the WorkQueue is configured) consumed by
 *   the notification worker, which sends e-mail to the SES sink (local/ses-sink.ts; nothing
 *   leaves the machine, `--verbose` prints each e-mail), and the backup export queue (one job per
 *   batch, 3 receives) consumed by the backup-export worker;
 * - `POST /local/jobs/<name>` (local only, no token) runs a scheduled job once: the JSON body, if
 *   any, is the schedule's input; the answer is `{ job, result }`, or `{ job, error }` with 500
 *   (the job failed), 501 (its handler is not written yet) or 404 (no such job).
 *
 * The handlers read their configuration from process.env when they first create a client, so it
 * is all set here before the first handler module is loaded, and there is one LocalCloudVault
 * per process (the handlers' clients stay bound to the first endpoints).
 *
 * Differences from AWS besides the gateway's (local/http-adapter.ts): all functions share one
 * environment and one Powertools service name (`cloudvault-local`); no IAM, so a handler that
 * touches a prefix or table its function is not granted still works here; no memory limits or
 * timeouts beyond the gateway's 29 s; background work (fileProcessor, queue) is retried at once
 * rather than after minutes; no X-Ray, metrics only printed with `verbose`.
 */
import { randomUUID } from 'crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { DevTokens, DevUser, IssueOptions, apiGatewayClaims } from '../../kit/local/dev-tokens';
import { DynamoDbLocal, startDynamoDbLocal } from '../../kit/local/dynamodb-local';
import { apiGatewayAdapter, AccessLogEntry, GatewayError } from '../../kit/local/http-adapter';
import { LambdaRuntime } from '../../kit/local/lambda-runtime';
import { S3_EMULATOR_CREDENTIALS, S3Emulator, startS3Emulator } from '../../kit/local/s3-emulator';
import { SesSink, startSesSink } from '../../kit/local/ses-sink';
import { SqsEmulator, startSqsEmulator } from '../../kit/local/sqs-emulator';
import { emailIndexPk, TENANT_OBJECT_PREFIX, userKey } from '../handlers/lib/keys';
import { QUEUE_SETTINGS } from '../infra/queue-settings';
import { ROUTES } from '../infra/routes';
import { TABLE_SCHEMA } from '../infra/table-schema';

/** Scheduled jobs `POST /local/jobs/<name>` can run, with the input their schedule sends (events-stack.ts). */
/** CloudVault's handlers, run from source in this process. */
export const CLOUDVAULT_HANDLERS = new LambdaRuntime(path.resolve(__dirname, '..', 'handlers'), 'cloudvault-local');

export const LOCAL_JOBS: Readonly<Record<string, unknown>> = {
  'analytics-aggregator': {},
  'cleanup': {},
};

/** EventBridge retries a failed asynchronous invocation twice; locally the retries follow at once. */
const BACKGROUND_ATTEMPTS = 3;
/** The events stack's WorkQueues (events-stack.ts): settings, the variable that names each, its worker. */
const QUEUES = {
  notifications: { ...QUEUE_SETTINGS.notifications, name: 'cloudvault-local-notifications', env: 'NOTIFICATIONS_QUEUE_URL', worker: 'notification-worker', timeoutMs: 30_000 },
  backupExports: { ...QUEUE_SETTINGS.backupExports, name: 'cloudvault-local-backup-exports', env: 'BACKUP_EXPORTS_QUEUE_URL', worker: 'backup-export', timeoutMs: 600_000 },
} as const;
type QueueName = keyof typeof QUEUES;
/** Failed messages come back after this (SQS: the visibility timeout; shorter here). */
const QUEUE_RETRY_DELAY_MS = 200;

export interface LocalCloudVaultOptions {
  /** Port of the API; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; loopback unless told otherwise. */
  readonly host?: string;
  /** Handler logs (Powertools, INFO unless POWERTOOLS_LOG_LEVEL says otherwise) and an access log line per request. */
  readonly verbose?: boolean;
  /** Dev token signing secret (default: CLOUDVAULT_LOCAL_SECRET, else random). */
  readonly secret?: string;
  /** Where local mode's own messages go (default console.error; tests pass a no-op). */
  readonly log?: (line: string) => void;
}

/** Work that ran after the response (fileProcessor, queue consumers) and failed every attempt. */
export interface BackgroundFailure {
  readonly what: string;
  readonly error: unknown;
}

export interface LocalCloudVault {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly tableName: string;
  readonly bucket: string;
  readonly dynamoDb: DynamoDbLocal;
  readonly s3: S3Emulator;
  readonly sqs: SqsEmulator;
  /** URL of the notification queue (NOTIFICATIONS_QUEUE_URL). */
  readonly notificationQueueUrl: string;
  /** URL of the backup export queue (BACKUP_EXPORTS_QUEUE_URL). */
  readonly backupExportQueueUrl: string;
  /** Every e-mail the notification worker sent. */
  readonly ses: SesSink;
  /** A DocumentClient for the table, for setup and assertions (DynamoDB Local runs with -sharedDb: any credentials see it). */
  readonly documentClient: DynamoDBDocumentClient;
  readonly tokens: DevTokens;
  /** Background work that failed; tests assert it stays empty. */
  readonly backgroundFailures: readonly BackgroundFailure[];
  /** Stores the user (as tenant onboarding would) and returns a dev token for it. */
  addUser(user: DevUser, options?: IssueOptions): Promise<string>;
  /** Resolves when no background work (object processing, queued messages) is left. */
  idle(): Promise<void>;
  /** Runs a scheduled job once with `input` (default: its schedule's input) and returns its result. */
  runJob(name: string, input?: unknown): Promise<unknown>;
  /** Stops the HTTP server, then DynamoDB Local (its JVM) and the S3 emulator. Idempotent. */
  stop(): Promise<void>;
}

let started = false;

/** Environment every handler reads (the stack sets the same names in AWS). */
function configureEnvironment(opts: {
  tableName: string;
  bucket: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  queueUrls: Record<QueueName, string>;
  sesEndpoint: string;
  verbose: boolean;
}) {
  const env = process.env;
  env.AWS_REGION = env.AWS_REGION || 'eu-west-1';
  // The S3 emulator only accepts its own key pair; DynamoDB Local (-sharedDb) accepts any.
  env.AWS_ACCESS_KEY_ID = S3_EMULATOR_CREDENTIALS.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = S3_EMULATOR_CREDENTIALS.secretAccessKey;
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  env.TABLE_NAME = opts.tableName;
  env.FILES_BUCKET = opts.bucket;
  env.DYNAMODB_ENDPOINT = opts.dynamoEndpoint;
  env.S3_ENDPOINT = opts.s3Endpoint;
  env.SQS_ENDPOINT = opts.sqsEndpoint;
  for (const [name, url] of Object.entries(opts.queueUrls)) env[QUEUES[name as QueueName].env] = url;
  env.SES_ENDPOINT = opts.sesEndpoint;
  env.SES_FROM_ADDRESS = 'no-reply@cloudvault.local';
  env.SES_TEMPLATE_PREFIX = 'cloudvault-local-';
  env.POWERTOOLS_SERVICE_NAME = 'cloudvault-local';
  env.POWERTOOLS_METRICS_NAMESPACE = 'CloudVaultLocal';
  env.POWERTOOLS_TRACE_ENABLED = 'false'; // no X-Ray daemon
  env.POWERTOOLS_LOG_LEVEL = opts.verbose ? (env.POWERTOOLS_LOG_LEVEL || 'INFO') : 'SILENT';
  env.POWERTOOLS_METRICS_DISABLED = opts.verbose ? 'false' : 'true';
  env.CLOUDVAULT_VERSION = env.CLOUDVAULT_VERSION || 'local';
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts everything; see the notes at the top. */
export async function startLocalCloudVault(options: LocalCloudVaultOptions = {}): Promise<LocalCloudVault> {
  if (started) throw new Error('One LocalCloudVault per process: the handlers\' SDK clients stay bound to the first one\'s endpoints');
  started = true;
  const log = options.log ?? ((line: string) => console.error(line));
  const verbose = options.verbose ?? false;

  const [dynamoDb, s3, sqs, ses] = await Promise.all([startDynamoDbLocal(), startS3Emulator(), startSqsEmulator(), startSesSink()]);
  let server: Server | undefined;
  let stopped = false;
  const inFlight = new Set<Promise<unknown>>();
  const backgroundFailures: BackgroundFailure[] = [];

  const stopServices = async () => {
    await Promise.allSettled([dynamoDb.stop(), s3.stop(), sqs.stop(), ses.stop()]);
  };

  try {
    const tableName = `cloudvault-local-${randomUUID().slice(0, 8)}`;
    const queueUrls = Object.fromEntries(Object.entries(QUEUES).map(([name, q]) => {
      const deadLetterQueue = sqs.createQueue(`${q.name}-dlq`);
      return [name, sqs.createQueue(q.name, { deadLetterQueue, maxReceiveCount: q.maxReceiveCount })];
    })) as Record<QueueName, string>;
    configureEnvironment({
      tableName,
      bucket: 'cloudvault-local-files',
      dynamoEndpoint: dynamoDb.endpoint,
      s3Endpoint: s3.endpoint,
      sqsEndpoint: sqs.endpoint,
      queueUrls,
      sesEndpoint: ses.endpoint,
      verbose,
    });
    await dynamoDb.createTable(TABLE_SCHEMA, tableName);
    const documentClient = DynamoDBDocumentClient.from(dynamoDb.client, { marshallOptions: { removeUndefinedValues: true } });
    const bucket = await s3.createBucket(process.env.FILES_BUCKET);
    const tokens = new DevTokens({ secret: options.secret });

    /** Runs `work` in the background with EventBridge-like retries; idle() waits for it. */
    const background = (what: string, work: () => Promise<unknown>) => {
      const run = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await work();
          } catch (err) {
            if (attempt >= BACKGROUND_ATTEMPTS || stopped) {
              backgroundFailures.push({ what, error: err });
              log(`[local] ${what} failed after ${attempt} attempt(s): ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
              return undefined;
            }
            await new Promise((r) => setTimeout(r, 100 * attempt));
          }
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    };

    // S3 -> EventBridge (Uploads rule: prefix tenants/) -> fileProcessor.
    let warnedNoProcessor = false;
    s3.onObjectCreated((eventBucket, key, size) => {
      if (eventBucket !== bucket || !key.startsWith(TENANT_OBJECT_PREFIX) || stopped) return;
      if (!CLOUDVAULT_HANDLERS.exists('file-processor')) {
        if (!warnedNoProcessor) log('[local] src/cloudvault/handlers/file-processor.lambda.ts does not exist yet: uploads stay unprocessed');
        warnedNoProcessor = true;
        return;
      }
      background(`fileProcessor ${key}`, async () => {
        const objectSize = size ?? (await s3.client.send(new HeadObjectCommand({ Bucket: eventBucket, Key: key }))).ContentLength ?? 0;
        const { objectCreatedEvent } = CLOUDVAULT_HANDLERS.load('file-processor') as { objectCreatedEvent: (input: { bucket: string; key: string; size: number }) => unknown };
        return CLOUDVAULT_HANDLERS.invoke('file-processor', objectCreatedEvent({ bucket: eventBucket, key, size: objectSize }), { timeoutMs: 300_000, memoryMb: 2048 });
      });
    });

    // SQS event sources -> the workers (ReportBatchItemFailures); the emulator redelivers failures.
    for (const [name, q] of Object.entries(QUEUES)) {
      sqs.subscribe(queueUrls[name as QueueName], (event) => {
        const delivery = CLOUDVAULT_HANDLERS.invoke(q.worker, event, { timeoutMs: q.timeoutMs }) as Promise<SQSBatchResponse | undefined>;
        inFlight.add(delivery);
        void delivery.catch(() => undefined).finally(() => inFlight.delete(delivery));
        return delivery;
      }, {
        batchSize: q.batchSize,
        retryDelayMs: QUEUE_RETRY_DELAY_MS,
        onReport: (report) => {
          if (report.error) log(`[local] ${q.worker} failed a batch: ${report.error instanceof Error ? report.error.message : String(report.error)}`);
          for (const id of report.deadLettered) {
            backgroundFailures.push({ what: `${name} message ${id}`, error: new Error(`moved to the dead-letter queue after ${q.maxReceiveCount} receives`) });
            log(`[local] ${name} message ${id} moved to the dead-letter queue`);
          }
        },
      });
    }
    if (verbose) ses.onEmail((e) => log(`[local] e-mail to ${JSON.stringify(e.body?.Destination?.ToAddresses)}: ${JSON.stringify(e.body?.Content)}`));

    const idle = async () => {
      // Background invocations, and queued messages (a message stays in the queue until delivered or dead-lettered).
      while (inFlight.size > 0 || Object.values(queueUrls).some((url) => sqs.messages(url).length > 0)) {
        if (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        else await new Promise((r) => setTimeout(r, 20));
      }
    };

    const runJob = async (name: string, input?: unknown) => {
      if (!Object.prototype.hasOwnProperty.call(LOCAL_JOBS, name)) {
        throw new Error(`Unknown job "${name}"; local jobs: ${Object.keys(LOCAL_JOBS).join(', ')}`);
      }
      return CLOUDVAULT_HANDLERS.invoke(name, input ?? LOCAL_JOBS[name], { timeoutMs: 300_000 });
    };

    const api = apiGatewayAdapter({
      routes: ROUTES,
      invoke: (route, event) => CLOUDVAULT_HANDLERS.invoke(route.handler, event, { timeoutMs: 29_000 }),
      authorize: (token) => {
        const result = tokens.verify(token);
        return result.ok ? { ok: true, claims: apiGatewayClaims(result.claims) } : { ok: false, expired: result.reason === 'expired' };
      },
      onResponse: verbose ? (e: AccessLogEntry) => log(`[local] ${e.method} ${e.path} -> ${e.status} (${e.durationMs} ms)`) : undefined,
      onIntegrationError: (route, err) => log(`[local] ${route.method} ${route.path} (${route.handler}) failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
    });

    // Local controls live outside /api, so they can never shadow or be mistaken for an API route.
    const localControl = async (req: IncomingMessage, res: ServerResponse) => {
      const job = /^\/local\/jobs\/([a-z0-9-]+)$/.exec((req.url ?? '').split('?')[0]);
      if (!job || req.method !== 'POST') return sendJson(res, 404, { message: 'Local endpoints: POST /local/jobs/<name>' });
      if (!Object.prototype.hasOwnProperty.call(LOCAL_JOBS, job[1])) {
        return sendJson(res, 404, { message: `Unknown job "${job[1]}"; local jobs: ${Object.keys(LOCAL_JOBS).join(', ')}` });
      }
      let input: unknown;
      try {
        input = await readJson(req);
      } catch {
        return sendJson(res, 400, { message: 'The body must be JSON (the job input) or empty' });
      }
      try {
        sendJson(res, 200, { job: job[1], result: (await runJob(job[1], input)) ?? null });
      } catch (err) {
        if (err instanceof GatewayError) return sendJson(res, err.statusCode, { job: job[1], error: err.message });
        log(`[local] job ${job[1]} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        sendJson(res, 500, { job: job[1], error: err instanceof Error ? err.message : String(err) });
      }
    };

    server = createServer((req, res) => {
      if ((req.url ?? '').startsWith('/local/')) {
        localControl(req, res).catch((err) => {
          log(`[local] ${String(err)}`);
          if (!res.headersSent) sendJson(res, 500, { message: 'Internal error' });
        });
      } else {
        api(req, res);
      }
    });
    const httpServer = server;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = options.host ?? '127.0.0.1';
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        });
        // Let running processing finish (bounded) before its services go away.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([idle(), new Promise((r) => { timer = setTimeout(r, 5_000); })]);
        clearTimeout(timer);
        stopped = true;
        await stopServices();
      })();
      return stopping;
    };

    return {
      url,
      port,
      tableName,
      bucket,
      dynamoDb,
      s3,
      sqs,
      notificationQueueUrl: queueUrls.notifications,
      backupExportQueueUrl: queueUrls.backupExports,
      ses,
      documentClient,
      tokens,
      backgroundFailures,
      async addUser(user, issueOptions) {
        await documentClient.send(new PutCommand({
          TableName: tableName,
          Item: {
            ...userKey(user.tenantId ?? `user-${user.sub}`, user.sub),
            type: 'USER',
            id: user.sub,
            email: user.email,
            groups: [...(user.groups ?? [])],
            gsi1pk: emailIndexPk(user.email),
            createdAt: new Date().toISOString(),
          },
        }));
        return tokens.issue(user, issueOptions);
      },
      idle,
      runJob,
      stop,
    };
  } catch (err) {
    server?.close();
    await stopServices();
    throw err;
  }
}
