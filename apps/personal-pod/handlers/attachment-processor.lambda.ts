/**
 * attachmentProcessor: runs for every object created under `attachments/` in the files bucket (S3
 * "Object Created" events delivered by EventBridge, the BucketEventRule of the API stack). For the
 * attachment the key names it
 *
 * 1. checks the object against what the client declared: size (at most MAX_ATTACHMENT_BYTES), and
 *    type by the first bytes (magic numbers); a mismatch, or an object no PENDING attachment
 *    expects, is moved to `quarantine/` and the attachment marked REJECTED with the reason;
 * 2. makes a 256 px WebP thumbnail of JPEG / PNG / WebP images (apps/kit/handlers/image-thumbnail.ts,
 *    CloudVault's processor uses the same); an image that cannot be decoded is rejected;
 * 3. marks the attachment AVAILABLE, publishes `attachment.available` (or `.rejected`) on the
 *    background jobs topic and tells the user's connected clients.
 *
 * Re-delivery is harmless: the attachment only leaves PENDING once. Errors a retry can fix
 * (network, database) are thrown so EventBridge retries; permanent problems reject the upload.
 */
import { randomUUID } from 'crypto';
import type { Readable } from 'stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { z } from 'zod';
import { MAX_ATTACHMENT_BYTES, SAMPLE_BYTES, THUMBNAIL_TYPES, isAttachmentType, matchesType } from './lib/attachment-types';
import { OwnedAttachment, attachmentForObject, parseObjectKey, quarantineKey, settleAttachment, thumbnailKey } from './lib/attachments';
import { filesBucket, s3 } from './lib/files';
import { publishNotification } from './lib/notifications';
import { logger, metrics, MetricUnit, tracer } from './lib/observability';
import { notifyUser } from './lib/realtime';
import { makeThumbnail } from '../../kit/handlers/image-thumbnail';

/** What the handler did with an event (logged; returned for tests and local mode). */
export interface ProcessingResult {
  readonly outcome: 'available' | 'rejected' | 'duplicate' | 'ignored' | 'missing';
  readonly reason?: string;
  readonly thumbnailKey?: string;
}

/** Only the fields used are validated; EventBridge adds more and may add others later. */
const EventSchema = z.object({
  'detail-type': z.literal('Object Created'),
  'source': z.literal('aws.s3'),
  'detail': z.object({
    bucket: z.object({ name: z.string().min(3).max(63) }),
    object: z.object({ key: z.string().min(1).max(1024), size: z.number().int().nonnegative() }),
  }),
});

/** A malformed event: nothing can be done with it, so it goes to the rule's dead-letter queue. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** An S3 "Object Created" event in EventBridge's shape, for local mode and tests. */
export function objectCreatedEvent(input: { bucket: string; key: string; size: number }): S3ObjectCreatedNotificationEvent {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'Object Created',
    'source': 'aws.s3',
    'account': '000000000000',
    'time': new Date().toISOString(),
    'region': process.env.AWS_REGION ?? 'eu-west-1',
    'resources': [`arn:aws:s3:::${input.bucket}`],
    'detail': {
      'version': '0',
      'bucket': { name: input.bucket },
      'object': { 'key': input.key, 'size': input.size, 'etag': '', 'version-id': '', 'sequencer': Date.now().toString(16).toUpperCase() },
      'request-id': randomUUID(),
      'requester': 'local',
      'source-ip-address': '127.0.0.1',
      'reason': 'PutObject',
    },
  };
}

export const handler = async (event: unknown, context: Context): Promise<ProcessingResult> => {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  try {
    const parsed = EventSchema.safeParse(event);
    if (!parsed.success) {
      metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
      throw new InvalidEventError(`invalid event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ')}`);
    }
    const { bucket, object } = parsed.data.detail;
    const result = await processObject(bucket.name, object.key);
    logger.info('object processed', { key: object.key, ...result });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
};

async function processObject(bucket: string, key: string): Promise<ProcessingResult> {
  const target = parseObjectKey(key);
  if (!target || bucket !== filesBucket()) {
    // The rule only forwards `attachments/` keys of the files bucket; anything else is a stray object.
    logger.warn('ignoring an object that is not an attachment', { bucket, key });
    metrics.addMetric('IgnoredObjects', MetricUnit.Count, 1);
    return { outcome: 'ignored', reason: target ? `bucket ${bucket} is not the files bucket` : 'not an attachment key' };
  }
  tracer.putAnnotation('attachmentId', target.id);
  const attachment = await attachmentForObject(target);
  if (!attachment) return quarantine(key, target, undefined, 'no attachment expects this object');
  if (attachment.status !== 'PENDING') {
    logger.info('attachment already processed; nothing to do', { status: attachment.status });
    metrics.addMetric('DuplicateEvents', MetricUnit.Count, 1);
    return { outcome: 'duplicate', reason: `attachment is ${attachment.status}` };
  }

  // The whole object, at most one byte more than allowed (a larger object is rejected unread).
  const content = await readAtMost(key, Math.min(attachment.size, MAX_ATTACHMENT_BYTES) + 1);
  if (!content) return missing();
  const declared = attachment.contentType;
  if (content.length !== attachment.size) {
    return quarantine(key, target, attachment, `object size ${content.length > attachment.size ? `above ${attachment.size}` : content.length} differs from the declared size ${attachment.size}`);
  }
  if (!isAttachmentType(declared)) return quarantine(key, target, attachment, `declared type ${declared} is not accepted`);
  if (!matchesType(declared, content.subarray(0, SAMPLE_BYTES))) return quarantine(key, target, attachment, `the content is not ${declared}`);

  let thumbKey: string | undefined;
  if (THUMBNAIL_TYPES.includes(declared)) {
    const thumbnail = await makeThumbnail(content);
    if ('invalid' in thumbnail) return quarantine(key, target, attachment, `declared ${declared} but the image cannot be decoded: ${thumbnail.invalid}`);
    if ('skipped' in thumbnail) {
      logger.info('no thumbnail', { reason: thumbnail.skipped });
      metrics.addMetric('ThumbnailsSkipped', MetricUnit.Count, 1);
    } else {
      thumbKey = thumbnailKey(target);
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: thumbKey, Body: thumbnail.webp, ContentType: 'image/webp' }));
    }
  }

  if (!(await settleAttachment(attachment.id, { status: 'AVAILABLE', hasThumbnail: thumbKey !== undefined }))) {
    return { outcome: 'duplicate', reason: 'no longer PENDING' }; // a concurrent delivery, or deleted meanwhile
  }
  metrics.addMetric('AttachmentsAvailable', MetricUnit.Count, 1);
  await announce(attachment, 'attachment.available');
  return { outcome: 'available', thumbnailKey: thumbKey };
}

/** The notification on the background jobs topic, and the real-time event to the user's clients. */
async function announce(attachment: OwnedAttachment, type: 'attachment.available' | 'attachment.rejected'): Promise<void> {
  const { userId, entryId, id } = attachment;
  // The attachment is settled; a lost notification is counted, not retried (a retry would find it settled).
  await publishNotification({ type, userId, entryId, attachmentId: id }).catch((err) => {
    logger.error('notification not published', { error: String(err) });
    metrics.addMetric('NotificationsNotPublished', MetricUnit.Count, 1);
  });
  await notifyUser(userId, { type, entryId, attachmentId: id });
}

function missing(): ProcessingResult {
  // Deleted (with its attachment) before it was processed: nothing left to check.
  logger.info('object no longer exists');
  metrics.addMetric('MissingObjects', MetricUnit.Count, 1);
  return { outcome: 'missing' };
}

const isNoSuchKey = (err: unknown): boolean => (err as Error)?.name === 'NoSuchKey' || (err as Error)?.name === 'NotFound';

/** Up to `limit` bytes of the object (it stops reading there); undefined when the object is gone. */
async function readAtMost(key: string, limit: number): Promise<Buffer | undefined> {
  let body: Readable;
  try {
    body = (await s3().send(new GetObjectCommand({ Bucket: filesBucket(), Key: key }))).Body as Readable;
  } catch (err) {
    if (isNoSuchKey(err)) return undefined;
    throw err;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total >= limit) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * Moves the object to `quarantine/` (copy, mark, then delete, so a re-delivery after a failure in
 * between finishes the move), never served as what it claims to be, and rejects the attachment.
 */
async function quarantine(
  key: string,
  target: { userId: string; entryId: string; id: string },
  attachment: OwnedAttachment | undefined,
  reason: string,
): Promise<ProcessingResult> {
  const bucket = filesBucket();
  logger.warn('quarantining object', { reason });
  try {
    await s3().send(new CopyObjectCommand({
      Bucket: bucket,
      Key: quarantineKey(target),
      CopySource: `${bucket}/${key}`,
      MetadataDirective: 'REPLACE',
      Metadata: { reason: reason.slice(0, 512).replace(/[^\x20-\x7e]/g, '?') },
      ContentType: 'application/octet-stream',
    }));
  } catch (err) {
    if (!isNoSuchKey(err)) throw err;
    return missing();
  }
  const settled = attachment ? await settleAttachment(attachment.id, { status: 'REJECTED', reason }) : false;
  await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  metrics.addMetric('AttachmentsRejected', MetricUnit.Count, 1);
  if (attachment && settled) await announce(attachment, 'attachment.rejected');
  return { outcome: 'rejected', reason };
}
