/**
 * notificationService worker: consumes the notification queue (SQS event source with
 * ReportBatchItemFailures) and delivers each message (lib/notifications.ts):
 *
 * - in-app: puts the notification item (keys.notificationSk) with the message's id as the
 *   notification id, on condition that it does not exist yet, so a second delivery is a no-op;
 * - email: SESv2 SendEmail with the stored template `${SES_TEMPLATE_PREFIX}<template>` and the
 *   message's data as TemplateData, from SES_FROM_ADDRESS.
 *
 * Partial batch failures (Powertools batch): a failed record is reported in batchItemFailures and
 * only it returns to the queue; after the queue's maxReceiveCount it moves to the DLQ. A message
 * that fails validation can never succeed, but it is reported as failed too (and logged), so it
 * ends in the DLQ where it can be inspected instead of disappearing.
 *
 * Powertools idempotency (lib/idempotency.ts, keyed by the notification id the API put in the
 * message) makes a redelivered message (SQS delivers at least once, and a duplicate can carry a new
 * SQS message id) return the stored result instead of sending the e-mail again. The
 * record is written IN_PROGRESS before delivery and deleted when delivery fails, so a failed
 * message is retried in full; the in-app put is conditional, so the retry does not duplicate it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ddb, requiredEnv, ses, tableName } from './lib/clients';
import { withEventHandler } from './lib/event-handler';
import { idempotentOperation } from './lib/idempotency';
import { notificationSk, tenantPk } from './lib/keys';
import { Channel, NOTIFICATION_TTL_DAYS, NotificationMessage, notificationMessageSchema } from './lib/notifications';
import { MetricUnit, logger, metrics } from './lib/observability';
import { parseMessageBody } from './lib/validation';

/** A stored result is replayed for redeliveries within this time (SQS duplicates arrive within minutes). */
const IDEMPOTENCY_EXPIRY_SECONDS = 24 * 60 * 60;

/** A message that can never be delivered (not JSON, or not a notification message). */
export class InvalidNotificationMessageError extends Error {
  constructor(messageId: string, reason: string) {
    super(`Invalid notification message ${messageId}: ${reason}`);
    this.name = 'InvalidNotificationMessageError';
  }
}

/** What a delivery did; stored by the idempotency layer and returned for redeliveries. */
interface DeliveryResult {
  readonly id: string;
  /** Channels delivered by this call (an in-app item that already existed is not counted). */
  readonly delivered: Channel[];
}

const processor = new BatchProcessor(EventType.SQS, { logger });
// Records at pk `idempotency#notification-worker.deliver`, keyed by the notification id (lib/idempotency.ts).
const deliverOnce = idempotentOperation('notification-worker.deliver', { expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS });

export const handler = withEventHandler(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  // Always one metric, so every invocation publishes (and replays of delivered messages count too).
  metrics.addMetric('NotificationRecords', MetricUnit.Count, event.Records?.length ?? 0);
  return processPartialResponse(event, (record: SQSRecord) => processRecord(record, context), processor, { context });
});

async function processRecord(record: SQSRecord, context: Context): Promise<DeliveryResult> {
  const message = parseMessage(record);
  try {
    // The id is the API's notification id, the same in every delivery of the message; the scope holds the tenant.
    return await deliverOnce(message.id, { tenantId: message.tenantId, id: message.id }, context, () => deliver(message));
  } catch (err) {
    metrics.addMetric('NotificationFailures', MetricUnit.Count, 1);
    logger.warn('notification delivery failed; the message returns to the queue', { messageId: record.messageId, notificationId: message.id, error: err as Error });
    throw err;
  }
}

/** The validated message of a record; logs and throws InvalidNotificationMessageError otherwise. */
export function parseMessage(record: SQSRecord): NotificationMessage {
  const parsed = parseMessageBody(record.body, notificationMessageSchema);
  return parsed.success ? parsed.data : invalid(record, parsed.reason);
}

function invalid(record: SQSRecord, reason: string): never {
  metrics.addMetric('InvalidNotificationMessages', MetricUnit.Count, 1);
  // The reason names fields, never their values: messages carry e-mail addresses.
  logger.error('invalid notification message; it will end in the dead-letter queue', {
    messageId: record.messageId,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    reason,
  });
  throw new InvalidNotificationMessageError(record.messageId, reason);
}

async function deliver(message: NotificationMessage): Promise<DeliveryResult> {
  const delivered: Channel[] = [];
  // In-app first: it is idempotent on its own, so when the e-mail fails the retry repeats nothing visible.
  if (message.channels.includes('in-app') && await putInApp(message)) delivered.push('in-app');
  if (message.channels.includes('email')) {
    await sendEmail(message);
    delivered.push('email');
  }
  for (const channel of delivered) {
    const metric = metrics.singleMetric();
    metric.addDimension('channel', channel);
    metric.addMetric('NotificationsSent', MetricUnit.Count, 1);
  }
  logger.info('notification delivered', { notificationId: message.id, tenant_id: message.tenantId, template: message.template, delivered });
  return { id: message.id, delivered };
}

/** Writes the in-app item; false when it exists already (an earlier delivery of the same message). */
async function putInApp(message: NotificationMessage): Promise<boolean> {
  const expiresAt = Math.floor(Date.parse(message.createdAt) / 1000) + NOTIFICATION_TTL_DAYS * 24 * 60 * 60;
  try {
    await ddb().send(new PutCommand({
      TableName: tableName(),
      Item: {
        pk: tenantPk(message.tenantId),
        sk: notificationSk(message.userId, message.createdAt, message.id),
        type: 'NOTIFICATION',
        id: message.id,
        userId: message.userId,
        template: message.template,
        data: message.data,
        requestedBy: message.requestedBy,
        createdAt: message.createdAt,
        expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

async function sendEmail(message: NotificationMessage): Promise<void> {
  await ses().send(new SendEmailCommand({
    FromEmailAddress: requiredEnv('SES_FROM_ADDRESS'),
    Destination: { ToAddresses: [message.email!] },
    Content: {
      Template: {
        TemplateName: `${requiredEnv('SES_TEMPLATE_PREFIX', true)}${message.template}`,
        TemplateData: JSON.stringify(message.data),
      },
    },
    // For per-tenant delivery reports (SES event destinations); both values are [A-Za-z0-9_-].
    EmailTags: [{ Name: 'tenant', Value: message.tenantId }, { Name: 'template', Value: message.template }],
  }));
}

