import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { getEntry } from './lib/entries';
import { Notification } from './lib/notifications';
import { logger, metrics, MetricUnit } from './lib/observability';
import { ensureIndex, indexEntry, removeEntry } from './lib/search-documents';

/**
 * Consumer of the indexing queue, which the background jobs topic feeds: for each notification
 * (an entry changed, an attachment was processed), reads the entry as committed now and writes its
 * search document (or removes it when the entry is gone). Jobs are idempotent, so redelivery and
 * reordering are harmless; a failed job alone is retried (ReportBatchItemFailures) and ends in
 * the dead-letter queue after the queue's receive count. A malformed job is dropped and logged.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  try {
    await ensureIndex();
  } catch (err) {
    logger.error('search index not reachable', err as Error);
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  for (const record of event.Records) {
    let job: Notification;
    try {
      job = Notification.parse(JSON.parse(record.body));
    } catch (err) {
      logger.error('malformed index job dropped', { messageId: record.messageId, error: String(err) });
      metrics.addMetric('MalformedIndexJobs', MetricUnit.Count, 1);
      continue;
    }
    try {
      const entry = await getEntry(job.userId, job.entryId);
      if (entry) {
        const outcome = await indexEntry(job.userId, entry);
        metrics.addMetric(outcome === 'indexed' ? 'EntriesIndexed' : 'StaleIndexJobs', MetricUnit.Count, 1);
      } else {
        await removeEntry(job.entryId);
        metrics.addMetric('EntriesRemovedFromIndex', MetricUnit.Count, 1);
      }
    } catch (err) {
      logger.error('index job failed', { messageId: record.messageId, entryId: job.entryId, error: String(err) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  metrics.publishStoredMetrics();
  return { batchItemFailures };
};
