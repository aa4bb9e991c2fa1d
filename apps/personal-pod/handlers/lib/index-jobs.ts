import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

/** A search indexing job: the indexer reads the entry as committed and indexes or removes it. */
export const IndexJob = z.strictObject({
  userId: z.string().min(1),
  entryId: z.uuid(),
});
export type IndexJob = z.infer<typeof IndexJob>;

let client: SQSClient | undefined;

/** Queues the indexing of an entry (INDEX_QUEUE_URL; SQS_ENDPOINT only locally). */
export async function queueIndexJob(job: IndexJob): Promise<void> {
  client ??= new SQSClient({ endpoint: process.env.SQS_ENDPOINT });
  await client.send(new SendMessageCommand({ QueueUrl: process.env.INDEX_QUEUE_URL, MessageBody: JSON.stringify(job) }));
}
