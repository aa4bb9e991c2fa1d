/**
 * backupService. One function, two kinds of events (dispatched on the event's shape):
 *
 * API (tenant data, from the caller's claims):
 *   POST /api/backup              admins only: records the export as RUNNING and queues it -> 202 the record
 *   GET  /api/backup              the tenant's backups, newest first (`?limit=&nextToken=`)
 *   GET  /api/backup?id=<id>      one backup (404 for unknown ids and other tenants' ids): RUNNING,
 *                                 then COMPLETED (verified) or FAILED
 *
 * The export itself runs in the backup-export worker behind BACKUP_EXPORTS_QUEUE_URL (lib/tenant-export.ts):
 * a tenant's items can take longer than the API's 29 s, and one admin's exports must not hold an
 * API function (issue 17: exports are asynchronous).
 *
 * Schedule (EventBridge Scheduler input `{ "action": "scheduled-backup" }`, daily): starts an
 * AWS Backup job of the whole table (all tenants; the vault and its key are the recovery stack's),
 * records the job id, and verifies the previous day's job (DescribeBackupJob must say COMPLETED,
 * otherwise an error log and the `BackupFailures` metric, which is alarmed on).
 */
import { randomBytes } from 'crypto';
import { DescribeBackupJobCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { backup, ddb, requiredEnv, sqs, tableName } from './lib/clients';
import { ForbiddenError, HttpError, NotFoundError } from './lib/errors';
import { withEventHandler } from './lib/event-handler';
import { json, ok } from './lib/http';
import { BACKUP_PREFIX, backupKey, backupObjectKey, scheduledBackupKey, tenantPk } from './lib/keys';
import { ApiRequest, MetricUnit, logger, metrics } from './lib/observability';
import { DEFAULT_PAGE_SIZE, decodeNextToken, encodeNextToken, limitQuery, nextTokenQuery } from './lib/pagination';
import { getItem } from './lib/query';
import { ADMIN_GROUP } from './lib/roles';
import { routeHandler } from './lib/routing';
import { BackupRecord, ExportJob } from './lib/tenant-export';
import { describeProblems, idSchema, parseBody, parseQuery } from './lib/validation';
import './lib/zod-locale';

/** The scheduled invocation's input (the schedule's JSON input). */
export const scheduledInput = z.strictObject({ action: z.literal('scheduled-backup') });

const listQuery = z.strictObject({ id: z.optional(idSchema), limit: z.optional(limitQuery), nextToken: z.optional(nextTokenQuery) })
  .check(z.refine((q) => q.id === undefined || (q.limit === undefined && q.nextToken === undefined), { message: '"id" cannot be combined with "limit" or "nextToken"' }));

const apiHandler = routeHandler('backup', {
  'POST /api/backup': startExport,
  'GET /api/backup': status,
});

/** API Gateway requests go to the API; anything else is a scheduled invocation. */
export const handler = async (event: unknown, context: Context): Promise<APIGatewayProxyResult | ScheduledBackupResult> => {
  if (isApiEvent(event)) return apiHandler(event, context);
  return scheduledHandler(event, context);
};

function isApiEvent(event: unknown): event is APIGatewayProxyEvent {
  return typeof event === 'object' && event !== null && 'httpMethod' in event && 'requestContext' in event;
}

// ---------------------------------------------------------------------------------------------
// API: on-demand export of the caller's tenant

async function startExport(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId, groups } = req.caller;
  if (!groups.includes(ADMIN_GROUP)) throw new ForbiddenError('Only tenant admins may start a backup');
  // No options today; a body, if any, must be `{}` (so a `tenantId` in it is a 400, not ignored).
  if (req.event.body !== null && req.event.body !== undefined && req.event.body !== '') parseBody(req.event, z.strictObject({}));

  const backupId = timeOrderedUuid();
  const record: BackupRecord = {
    backupId,
    status: 'RUNNING',
    objectKey: backupObjectKey(tenantId, backupId),
    startedAt: new Date().toISOString(),
    verified: false,
    requestedBy: userId,
  };
  // Written before the job is queued: the worker only fulfils a RUNNING record it finds.
  await saveRecord(tenantId, record, 'attribute_not_exists(pk)');
  const job: ExportJob = { tenantId, backupId };
  try {
    await sqs().send(new SendMessageCommand({ QueueUrl: requiredEnv('BACKUP_EXPORTS_QUEUE_URL'), MessageBody: JSON.stringify(job) }));
  } catch (err) {
    const failed: BackupRecord = { ...record, status: 'FAILED', error: 'the export could not be queued', completedAt: new Date().toISOString() };
    await saveRecord(tenantId, failed);
    metrics.addMetric('BackupFailures', MetricUnit.Count, 1);
    logger.error('backup could not be queued', { backupId, error: err as Error });
    throw new HttpError(500, 'BACKUP_FAILED', `Backup ${backupId} failed (the export could not be queued); its record says so at GET /api/backup?id=${backupId}`, { backupId });
  }
  metrics.addMetric('BackupsRequested', MetricUnit.Count, 1);
  logger.info('backup queued', { backupId });
  // 202: accepted, not done; the record's status says when it is (GET /api/backup?id=<backupId>).
  return json(202, record, { Location: `/api/backup?id=${backupId}` });
}

async function saveRecord(tenantId: string, record: BackupRecord, condition?: string): Promise<void> {
  await ddb().send(new PutCommand({
    TableName: tableName(),
    Item: { ...backupKey(tenantId, record.backupId), type: 'BACKUP', ...record },
    ConditionExpression: condition,
  }));
}

async function status(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const query = parseQuery(req.event, listQuery);
  if (query.id !== undefined) {
    const item = await getItem(backupKey(tenantId, query.id));
    // The key carries the caller's tenant: another tenant's id is simply not found.
    if (!item) throw new NotFoundError(`Backup ${query.id} not found`);
    return ok(toView(item));
  }
  const pk = tenantPk(tenantId);
  const page = await ddb().send(new QueryCommand({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': BACKUP_PREFIX },
    // Backup ids are time-ordered (UUIDv7), so descending sort keys are newest first.
    ScanIndexForward: false,
    Limit: query.limit ?? DEFAULT_PAGE_SIZE,
    ExclusiveStartKey: decodeNextToken(query.nextToken, pk, BACKUP_PREFIX),
  }));
  const items = (page.Items ?? []).map(toView);
  return ok({ items, count: items.length, nextToken: encodeNextToken(page.LastEvaluatedKey) });
}

function toView(item: Record<string, unknown>): BackupRecord {
  const { pk: _pk, sk: _sk, type: _type, ...view } = item;
  return view as unknown as BackupRecord;
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds first, so ids sort by creation time, and the
 * backup list can be read newest first straight from the sort key.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0'); // 48 bits
  const random = randomBytes(10).toString('hex');
  const variant = '89ab'[parseInt(random[3], 16) % 4]; // RFC 9562 variant: binary 10xx
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(8, 20)}`;
}

// ---------------------------------------------------------------------------------------------
// Schedule: daily AWS Backup job of the table, and verification of the previous day's job

export interface ScheduledBackupResult {
  readonly day: string;
  readonly backupJobId: string;
  /** The previous day's job: its state, and whether it counts as a good backup. */
  readonly previous: { readonly day: string; readonly backupJobId?: string; readonly state?: string; readonly verified: boolean };
}

/** Backup job must start within this window and finish within the next (AWS Backup expires it otherwise). */
const START_WINDOW_MINUTES = 60;
const COMPLETE_WINDOW_MINUTES = 8 * 60;

const scheduledHandler = withEventHandler(async (event: unknown): Promise<ScheduledBackupResult> => {
  const parsed = z.safeParse(scheduledInput, event);
  if (!parsed.success) {
    // The schedule's input is wrong: fail loudly (Scheduler retries, then its DLQ) so it gets fixed.
    throw new Error(`Invalid scheduled event: ${describeProblems(parsed.error, '(event)')}`);
  }
  try {
    return await scheduledBackup(new Date());
  } catch (err) {
    metrics.addMetric('BackupFailures', MetricUnit.Count, 1);
    throw err;
  }
});

async function scheduledBackup(now: Date): Promise<ScheduledBackupResult> {
  const day = now.toISOString().slice(0, 10);
  const previousDay = new Date(now.getTime() - 24 * 60 * 60 * 1000).toISOString().slice(0, 10);

  const job = await backup().send(new StartBackupJobCommand({
    BackupVaultName: requiredEnv('BACKUP_VAULT_NAME'),
    ResourceArn: requiredEnv('TABLE_ARN'),
    IamRoleArn: requiredEnv('BACKUP_ROLE_ARN'),
    // One job per day even when Scheduler delivers the invocation twice (at-least-once).
    IdempotencyToken: `cloudvault-scheduled-${day}`,
    StartWindowMinutes: START_WINDOW_MINUTES,
    CompleteWindowMinutes: COMPLETE_WINDOW_MINUTES,
  }));
  const backupJobId = job.BackupJobId!;
  await ddb().send(new PutCommand({
    TableName: tableName(),
    Item: {
      ...scheduledBackupKey(day),
      type: 'SCHEDULED_BACKUP',
      day,
      backupJobId,
      recoveryPointArn: job.RecoveryPointArn,
      startedAt: now.toISOString(),
      state: 'STARTED',
      verified: false,
    },
  }));
  metrics.addMetric('ScheduledBackupsStarted', MetricUnit.Count, 1);
  logger.info('scheduled backup started', { day, backupJobId });

  return { day, backupJobId, previous: await verifyScheduledBackup(previousDay) };
}

/** Checks the job recorded for `day`; a job that did not complete is an error log plus the BackupFailures metric. */
async function verifyScheduledBackup(day: string): Promise<ScheduledBackupResult['previous']> {
  const record = await getItem(scheduledBackupKey(day));
  if (!record) {
    // The first run after deployment has no previous job; a run that failed to start one was already
    // an invocation error (alarmed, and retried by Scheduler), so this is only a warning.
    logger.warn('no scheduled backup recorded for the previous day', { day });
    return { day, verified: false };
  }
  const backupJobId = record.backupJobId as string;
  if (record.verified === true) return { day, backupJobId, state: record.state as string, verified: true };

  const job = await backup().send(new DescribeBackupJobCommand({ BackupJobId: backupJobId }));
  const state = job.State ?? 'UNKNOWN';
  const verified = state === 'COMPLETED';
  await ddb().send(new UpdateCommand({
    TableName: tableName(),
    Key: scheduledBackupKey(day),
    UpdateExpression: 'SET #state = :state, verified = :verified, verifiedAt = :now, backupSizeInBytes = :size',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':state': state, ':verified': verified, ':now': new Date().toISOString(), ':size': job.BackupSizeInBytes ?? null },
  }));
  if (verified) {
    metrics.addMetric('ScheduledBackupsVerified', MetricUnit.Count, 1);
    logger.info('previous scheduled backup verified', { day, backupJobId });
  } else {
    // Anything but COMPLETED a day later (FAILED, ABORTED, EXPIRED, PARTIAL, or still running) is a failed backup.
    metrics.addMetric('BackupFailures', MetricUnit.Count, 1);
    logger.error('previous scheduled backup did not complete', { day, backupJobId, state, statusMessage: job.StatusMessage });
  }
  return { day, backupJobId, state, verified };
}

// ---------------------------------------------------------------------------------------------

