import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';

/**
 * A notification of the background jobs topic (the indexing WorkQueue's fan-out topic): an entry
 * changed, or an attachment of it was processed. The topic delivers it (raw) to the indexing
 * queue, whose consumer re-reads the entry as committed; further subscribers may be added to the
 * topic without touching the publishers.
 */
export const Notification = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.enum(['entry.created', 'entry.updated', 'entry.deleted']),
    userId: z.string().min(1),
    entryId: z.uuid(),
  }),
  z.strictObject({
    type: z.enum(['attachment.available', 'attachment.rejected']),
    userId: z.string().min(1),
    entryId: z.uuid(),
    attachmentId: z.uuid(),
  }),
]);
export type Notification = z.infer<typeof Notification>;

let client: SNSClient | undefined;

/** Publishes `notification` to NOTIFICATIONS_TOPIC_ARN (SNS_ENDPOINT only locally). */
export async function publishNotification(notification: Notification): Promise<void> {
  client ??= new SNSClient({ endpoint: process.env.SNS_ENDPOINT });
  await client.send(new PublishCommand({
    TopicArn: process.env.NOTIFICATIONS_TOPIC_ARN,
    Message: JSON.stringify(Notification.parse(notification)),
    // Lets a future subscriber filter (SNS filter policies) without parsing the body.
    MessageAttributes: { type: { DataType: 'String', StringValue: notification.type } },
  }));
}
