/**
 * backupService worker: fulfils the on-demand exports the backup API queued (lib/tenant-export.ts).
 * One SQS message `{ tenantId, backupId }` per export; the record at keys.backupKey says what to do:
 *
 * - RUNNING: write the tenant's export to S3, read it back, and finish the record COMPLETED and
 *   verified, on condition that it is still RUNNING (a duplicate delivery finishing first wins);
 * - anything else (or no record): a duplicate delivery of a finished export, nothing to do.
 *
 * Failures: a verification mismatch finishes the record FAILED at once (writing it again would not
 * change S3's answer); any other error returns the message to the queue (partial batch failure),
 * and on the last receive (the queue's maxReceiveCount, infra/queue-settings.ts) the record is
 * finished FAILED before the message moves to the dead-letter queue, so no export stays RUNNING.
 * A message that is not a job can never succeed: logged and reported failed, it ends in the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ddb, tableName } from './lib/clients';
import { withEventHandler } from './lib/event-handler';
import { backupKey } from './lib/keys';
import { MetricUnit, logger, metrics } from './lib/observability';
import { getItem } from './lib/query';
import { ExportJob, VerificationError, exportJobSchema, exportTenant } from './lib/tenant-export';
import { parseMessageBody } from './lib/validation';
import { QUEUE_SETTINGS } from '../infra/queue-settings';

/** What one record did. */
export type ExportOutcome = 'COMPLETED' | 'FAILED' | 'ALREADY_FINISHED';

/** A message that can never be fulfilled (not JSON, or not an export job). */
export class InvalidExportJobError extends Error {
  constructor(messageId: string, reason: string) {
    super(`Invalid backup export job ${messageId}: ${reason}`);
    this.name = 'InvalidExportJobError';
  }
}

const processor = new BatchProcessor(EventType.SQS, { logger });

export const handler = withEventHandler(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  metrics.addMetric('BackupExportRecords', MetricUnit.Count, event.Records?.length ?? 0);
  return processPartialResponse(event, (record: SQSRecord) => processRecord(record), processor, { context });
});

async function processRecord(record: SQSRecord): Promise<ExportOutcome> {
  const job = parseJob(record);
  const current = await getItem(backupKey(job.tenantId, job.backupId));
  if (current?.status !== 'RUNNING') {
    logger.info('backup export already finished (or unknown): nothing to do', { backupId: job.backupId, status: current?.status });
    return 'ALREADY_FINISHED';
  }
  try {
    const result = await exportTenant(job.tenantId, job.backupId, current.objectKey as string);
    const finished = await finish(job, { status: 'COMPLETED', verified: true, ...result });
    if (finished) {
      metrics.addMetric('BackupsCompleted', MetricUnit.Count, 1);
      metrics.addMetric('BackupItemsExported', MetricUnit.Count, result.itemCount);
      logger.info('backup completed', { backupId: job.backupId, itemCount: result.itemCount, sizeBytes: result.sizeBytes });
    }
    return finished ? 'COMPLETED' : 'ALREADY_FINISHED';
  } catch (err) {
    const verification = err instanceof VerificationError;
    if (!verification && receiveCount(record) < QUEUE_SETTINGS.backupExports.maxReceiveCount) {
      logger.warn('backup export failed; the message returns to the queue', { backupId: job.backupId, receiveCount: receiveCount(record), error: err as Error });
      throw err;
    }
    const reason = verification ? `verification failed: ${(err as Error).message}` : 'the export could not be written';
    await finish(job, { status: 'FAILED', verified: false, error: reason });
    metrics.addMetric('BackupFailures', MetricUnit.Count, 1);
    logger.error('backup failed', { backupId: job.backupId, reason, error: err as Error });
    return 'FAILED';
  }
}

/** Sets the record's outcome if it is still RUNNING; false when another delivery finished it first. */
async function finish(job: ExportJob, outcome: Record<string, unknown>): Promise<boolean> {
  const fields = { ...outcome, completedAt: new Date().toISOString() };
  const names = Object.keys(fields);
  try {
    await ddb().send(new UpdateCommand({
      TableName: tableName(),
      Key: backupKey(job.tenantId, job.backupId),
      UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])), '#status': 'status' },
      ExpressionAttributeValues: { ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n as keyof typeof fields]])), ':running': 'RUNNING' },
    }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** The validated job of a record; logs and throws InvalidExportJobError otherwise. */
export function parseJob(record: SQSRecord): ExportJob {
  const parsed = parseMessageBody(record.body, exportJobSchema);
  return parsed.success ? parsed.data : invalid(record, parsed.reason);
}

function invalid(record: SQSRecord, reason: string): never {
  metrics.addMetric('InvalidBackupExportJobs', MetricUnit.Count, 1);
  logger.error('invalid backup export job; it will end in the dead-letter queue', { messageId: record.messageId, reason });
  throw new InvalidExportJobError(record.messageId, reason);
}

function receiveCount(record: SQSRecord): number {
  return Number(record.attributes?.ApproximateReceiveCount ?? 1);
}
