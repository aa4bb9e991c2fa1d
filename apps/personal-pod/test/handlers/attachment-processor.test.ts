import '../../../kit/test/handler-env';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { closePool } from '../../../kit/handlers/postgres-pool';
import { LocalPostgres, startPostgres } from '../../../kit/local/postgres';
import { S3_EMULATOR_CREDENTIALS, S3Emulator, startS3Emulator } from '../../../kit/local/s3-emulator';
import { SqsEmulator, startSqsEmulator } from '../../../kit/local/sqs-emulator';
import { lambdaContext } from '../../../kit/test/api-event';
import { InvalidEventError, handler, objectCreatedEvent } from '../../handlers/attachment-processor.lambda';
import { OwnedAttachment, createAttachment, getAttachment, objectKey, quarantineKey, thumbnailKey } from '../../handlers/lib/attachments';
import { createEntry } from '../../handlers/lib/entries';
import { POSTGRES } from '../../local/local-personal-pod';
import { SnsFake, startSnsFake } from '../../local/sns-fake';

// The processor against Postgres, the S3 emulator and the SNS fake (delivering to the SQS emulator):
// what it writes to the bucket and the table, and what it publishes.
let postgres: LocalPostgres;
let s3: S3Emulator;
let sqs: SqsEmulator;
let topic: SnsFake;
let bucket: string;
let queueUrl: string;
const USER = 'user-1';

beforeAll(async () => {
  [postgres, s3, sqs] = await Promise.all([startPostgres(POSTGRES), startS3Emulator(), startSqsEmulator()]);
  queueUrl = sqs.createQueue('notifications');
  topic = await startSnsFake({ topicName: 'jobs', sqsEndpoint: sqs.endpoint, queueUrls: [queueUrl] });
  bucket = await s3.createBucket('personal-pod-files');
  Object.assign(process.env, postgres.env, {
    FILES_BUCKET: bucket,
    S3_ENDPOINT: s3.endpoint,
    SNS_ENDPOINT: topic.endpoint,
    NOTIFICATIONS_TOPIC_ARN: topic.topicArn,
    AWS_ACCESS_KEY_ID: S3_EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_EMULATOR_CREDENTIALS.secretAccessKey,
  });
}, 180_000);
afterAll(async () => {
  await closePool();
  await Promise.all([postgres?.stop(), s3?.stop(), sqs?.stop(), topic?.stop()]);
});

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } }).png().toBuffer();
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');

async function pending(contentType: string, size: number): Promise<OwnedAttachment> {
  const { entry } = await createEntry(USER, { title: 'With a file', body: '' });
  return createAttachment(USER, entry.id, { fileName: 'file', contentType: contentType as never, size });
}

async function upload(key: string, body: Buffer) {
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return handler(objectCreatedEvent({ bucket, key, size: body.length }), lambdaContext('attachment-processor'));
}

async function object(key: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

const published = () => topic.published.map((m) => JSON.parse(m));

test('a PNG as declared: a 256 px WebP thumbnail, AVAILABLE, announced on the topic; a redelivery changes nothing', async () => {
  const image = await png(1024, 512);
  const a = await pending('image/png', image.length);
  expect(await upload(objectKey(a), image)).toEqual({ outcome: 'available', thumbnailKey: thumbnailKey(a) });

  const thumb = await object(thumbnailKey(a));
  expect(await sharp(thumb!).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 });
  expect(await getAttachment(USER, a.id)).toMatchObject({ status: 'AVAILABLE', hasThumbnail: true, reason: null });
  expect(published()).toContainEqual({ type: 'attachment.available', userId: USER, entryId: a.entryId, attachmentId: a.id });
  expect(sqs.sent(queueUrl).map((m) => JSON.parse(m.body))).toContainEqual({ type: 'attachment.available', userId: USER, entryId: a.entryId, attachmentId: a.id });

  const before = topic.published.length;
  expect(await handler(objectCreatedEvent({ bucket, key: objectKey(a), size: image.length }), lambdaContext('attachment-processor')))
    .toEqual({ outcome: 'duplicate', reason: 'attachment is AVAILABLE' });
  expect(topic.published.length).toBe(before);
});

test('a PDF is AVAILABLE without a thumbnail', async () => {
  const a = await pending('application/pdf', PDF.length);
  expect(await upload(objectKey(a), PDF)).toEqual({ outcome: 'available', thumbnailKey: undefined });
  expect(await getAttachment(USER, a.id)).toMatchObject({ status: 'AVAILABLE', hasThumbnail: false });
  expect(await object(thumbnailKey(a))).toBeUndefined();
});

test.each([
  ['bytes of another type than declared', 'image/png', async () => PDF, 'the content is not image/png'],
  ['more bytes than declared', 'application/pdf', async () => Buffer.concat([PDF, Buffer.from('extra')]), `object size above ${PDF.length} differs from the declared size ${PDF.length}`],
  ['a PNG signature over bytes that do not decode', 'image/png', async () => Buffer.concat([(await png(300, 200)).subarray(0, 60), Buffer.alloc(2000, 0x41)]), /^declared image\/png but the image cannot be decoded: /],
])('%s: quarantined and REJECTED with the reason, announced', async (_what, type, bytes, reason) => {
  const body = await bytes();
  const declaredSize = typeof reason === 'string' && reason.startsWith('object size') ? PDF.length : body.length;
  const a = await pending(type, declaredSize);
  const result = await upload(objectKey(a), body);
  expect(result.outcome).toBe('rejected');
  expect(result.reason).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
  expect(await object(objectKey(a))).toBeUndefined();
  expect(await object(quarantineKey(a))).toEqual(body);
  expect(await object(thumbnailKey(a))).toBeUndefined();
  expect(await getAttachment(USER, a.id)).toMatchObject({ status: 'REJECTED', reason: result.reason, hasThumbnail: false });
  expect(published()).toContainEqual({ type: 'attachment.rejected', userId: USER, entryId: a.entryId, attachmentId: a.id });
});

test('an object no attachment expects is quarantined; keys outside attachments/ are ignored; a malformed event throws', async () => {
  const key = `attachments/${USER}/00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000002`;
  expect(await upload(key, PDF)).toEqual({ outcome: 'rejected', reason: 'no attachment expects this object' });
  expect(await object(key)).toBeUndefined();
  expect(await upload('thumbnails/x.webp', PDF)).toMatchObject({ outcome: 'ignored' });
  expect(await object('thumbnails/x.webp')).toEqual(PDF);
  await expect(handler({ 'detail-type': 'Object Deleted' }, lambdaContext('attachment-processor'))).rejects.toThrow(InvalidEventError);
});
