/**
 * fileProcessor: runs for every object created under `tenants/` in the files bucket (S3 "Object
 * Created" events delivered by EventBridge). For the file version the object belongs to it
 *
 * 1. checks the real type of the bytes (magic numbers, lib/magic-bytes.ts) and the size against
 *    what the client declared to the fileService; a mismatch, or an object without (live) version
 *    metadata, is moved to `quarantine/` and the version (and a file with no available version)
 *    marked QUARANTINED;
 * 2. otherwise streams the object once for its SHA-256 (multi-GB objects never sit in memory),
 *    makes a 256 px WebP thumbnail of JPEG / PNG / WebP images with sharp, and
 * 3. in one transaction marks the version AVAILABLE, makes it the file's current version when it
 *    is newer, and adds its size to the tenant's stored-bytes counter.
 *
 * Re-delivery is harmless: every item update is conditional on the version still being PENDING,
 * so a second delivery changes and counts nothing. Errors a retry can fix (throttling, conflicts,
 * network) are thrown so EventBridge/Lambda retry; permanent problems are logged and quarantined.
 */
import { createHash, randomUUID } from 'crypto';
import type { Readable } from 'stream';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, GetObjectCommandOutput, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { ddb, s3, tableName } from './lib/clients';
import { AllowedContentType, THUMBNAIL_TYPES, isAllowedContentType } from './lib/content-types';
import { withEventHandler } from './lib/event-handler';
import type { FileItem, VersionItem } from './lib/file-items';
import { Key, fileKey, parseObjectKey, quarantineKey, tenantKey, thumbnailKey, versionKey } from './lib/keys';
import { JSON_PARSE_MAX_BYTES, SAMPLE_BYTES, TextValidator, contentMismatch, isTextContentType } from './lib/magic-bytes';
import { logger, metrics, MetricUnit, tracer } from './lib/observability';
import { getItem } from './lib/query';
import { releaseReservation, tenantLimits } from './lib/quota';
import { describeProblems } from './lib/validation';
import './lib/zod-locale';
import { THUMBNAIL_MAX_INPUT_PIXELS, THUMBNAIL_MAX_SOURCE_BYTES, THUMBNAIL_SIZE, makeThumbnail } from '../../kit/handlers/image-thumbnail';

// ---------------------------------------------------------------------------------------------
// Event contract
// ---------------------------------------------------------------------------------------------

/** The event this function receives: S3 "Object Created" as EventBridge delivers it. */
export type FileProcessorEvent = S3ObjectCreatedNotificationEvent;

/** What the handler did with an event (logged; returned for tests and local mode). */
export interface ProcessingResult {
  readonly outcome: 'processed' | 'quarantined' | 'duplicate' | 'ignored' | 'missing';
  readonly reason?: string;
  readonly checksum?: string;
  readonly thumbnailKey?: string;
}

/**
 * Only the fields used are validated; EventBridge adds more (request id, requester, sequencer)
 * and may add others later, so unknown fields are allowed.
 */
const eventSchema = z.object({
  'id': z.string().check(z.minLength(1)),
  'detail-type': z.literal('Object Created'),
  'source': z.literal('aws.s3'),
  'detail': z.object({
    bucket: z.object({ name: z.string().check(z.minLength(3), z.maxLength(63)) }),
    object: z.object({
      'key': z.string().check(z.minLength(1), z.maxLength(1024)),
      'size': z.int().check(z.nonnegative()),
      'etag': z.optional(z.string()),
      'version-id': z.optional(z.string()),
    }),
  }),
});

/** A malformed event: nothing can be done with it, so it goes to the dead-letter destination. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

function parseEvent(event: unknown): z.infer<typeof eventSchema> {
  const result = z.safeParse(eventSchema, event);
  if (!result.success) {
    metrics.addMetric('InvalidEvents', MetricUnit.Count, 1);
    throw new InvalidEventError(`Invalid event: ${describeProblems(result.error, '(event)')}`);
  }
  return result.data;
}

export interface ObjectCreatedInput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly time?: Date;
}

/**
 * An S3 "Object Created" event in EventBridge's shape, for local mode (which turns the S3
 * emulator's notifications into these) and tests.
 */
export function objectCreatedEvent(input: ObjectCreatedInput): FileProcessorEvent {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'Object Created',
    'source': 'aws.s3',
    'account': '000000000000',
    'time': (input.time ?? new Date()).toISOString(),
    'region': process.env.AWS_REGION ?? 'eu-west-1',
    'resources': [`arn:aws:s3:::${input.bucket}`],
    'detail': {
      'version': '0',
      'bucket': { name: input.bucket },
      'object': {
        'key': input.key,
        'size': input.size,
        'etag': input.etag ?? '',
        'version-id': input.versionId ?? '',
        'sequencer': Date.now().toString(16).toUpperCase(),
      },
      'request-id': randomUUID(),
      'requester': 'local',
      'source-ip-address': '127.0.0.1',
      'reason': 'PutObject',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Items: lib/file-items.ts (the fileService writes them; this function moves them out of PENDING)
// ---------------------------------------------------------------------------------------------

/** The file version an object belongs to, with everything the steps below need. */
interface Target {
  readonly bucket: string;
  readonly key: string;
  readonly tenantId: string;
  readonly fileId: string;
  readonly version: number;
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

// Thumbnail limits: apps/kit/handlers/image-thumbnail.ts (re-exported for the tests).
export { THUMBNAIL_SIZE, THUMBNAIL_MAX_SOURCE_BYTES, THUMBNAIL_MAX_INPUT_PIXELS };

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

export const handler = withEventHandler<FileProcessorEvent, ProcessingResult>(async (event: FileProcessorEvent, _context: Context) => {
  const { detail } = parseEvent(event);
  const result = await processObject(detail.bucket.name, detail.object.key, detail.object['version-id'] || undefined);
  logger.info('object processed', { key: detail.object.key, ...result });
  return result;
});

async function processObject(bucket: string, key: string, objectVersionId: string | undefined): Promise<ProcessingResult> {
  const filesBucket = process.env.FILES_BUCKET;
  const parsed = parseObjectKey(key);
  if (!parsed || (filesBucket && bucket !== filesBucket)) {
    // The rule only forwards `tenants/` keys of the files bucket; anything else is a stray object.
    logger.warn('ignoring an object that is not a file version', { bucket, key });
    metrics.addMetric('IgnoredObjects', MetricUnit.Count, 1);
    return { outcome: 'ignored', reason: parsed ? `bucket ${bucket} is not the files bucket` : 'not a file version key' };
  }
  const target: Target = { bucket, key, ...parsed };
  logger.appendKeys({ tenant_id: target.tenantId, file_id: target.fileId, version: target.version });
  tracer.putAnnotation('tenantId', target.tenantId);

  const version = await getItem<VersionItem>(versionKey(target.tenantId, target.fileId, target.version));
  if (!version) return quarantine(target, undefined, 'no version metadata for the object');
  switch (version.status) {
    case 'PENDING':
      break;
    case 'ABORTED':
      // The upload was abandoned: the object has no live metadata and must not be served.
      return quarantine(target, undefined, 'the upload of this version was aborted');
    case 'QUARANTINED':
      // A re-delivery; finish a move that stopped between the item update and the delete.
      await deleteIfPresent(target.bucket, target.key);
      return duplicate(version.status);
    default:
      // Verified bytes never change: an event for another object than the verified one means
      // they were replaced (a write S3's conditional PUT should have refused).
      if (await isVerifiedObject(target, version, objectVersionId)) return duplicate(version.status);
      return replacedAfterVerification(target, version, objectVersionId);
  }

  // 1. The first bytes: real type and real size against the declared ones.
  const declared = version.contentType;
  if (!isAllowedContentType(declared)) return quarantine(target, version, `declared type ${declared} is not accepted`);
  const sample = await readSample(bucket, key, declared === 'application/json' ? JSON_PARSE_MAX_BYTES : SAMPLE_BYTES, version.size);
  if (!sample) return missing();
  if (sample.size !== version.size) {
    return quarantine(target, version, `object size ${sample.size} differs from the declared size ${version.size}`);
  }
  const mismatch = contentMismatch(declared, sample.bytes, sample.bytes.length === sample.size);
  if (mismatch) return quarantine(target, version, mismatch);

  // 2. Checksum (and the text check) over every byte; the bytes of an image kept for its thumbnail.
  const wantThumbnail = THUMBNAIL_TYPES.includes(declared);
  const content = await readWhole(target, sample, {
    text: isTextContentType(declared),
    keep: wantThumbnail && sample.size <= THUMBNAIL_MAX_SOURCE_BYTES,
  });
  if (!content) return missing();
  if (content.textProblem) return quarantine(target, version, `declared ${declared} but the content ${content.textProblem}`);

  let thumbKey: string | undefined;
  if (wantThumbnail) {
    const thumbnail = content.bytes ? await makeThumbnail(content.bytes) : { skipped: `larger than ${THUMBNAIL_MAX_SOURCE_BYTES} bytes` };
    if ('invalid' in thumbnail) return quarantine(target, version, `declared ${declared} but the image cannot be decoded: ${thumbnail.invalid}`);
    if ('skipped' in thumbnail) {
      logger.info('no thumbnail', { reason: thumbnail.skipped });
      metrics.addMetric('ThumbnailsSkipped', MetricUnit.Count, 1);
    } else {
      thumbKey = thumbnailKey(target.tenantId, target.fileId, target.version);
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: thumbKey, Body: thumbnail.webp, ContentType: 'image/webp' }));
    }
  }

  // 3. Metadata and the tenant's counter, once.
  const applied = await markAvailable(target, version, declared, sample, content.checksum, thumbKey);
  if (applied === 'over-quota') return quarantine(target, version, 'the storage quota has no room for this version');
  if (!applied) return duplicate('no longer PENDING'); // a concurrent delivery got there first
  metrics.addMetric('UploadsProcessed', MetricUnit.Count, 1);
  metrics.addMetric('StoredBytes', MetricUnit.Bytes, sample.size);
  return { outcome: 'processed', checksum: content.checksum, thumbnailKey: thumbKey };
}

function duplicate(status: string): ProcessingResult {
  logger.info('version already processed; nothing to do', { status });
  metrics.addMetric('DuplicateEvents', MetricUnit.Count, 1);
  return { outcome: 'duplicate', reason: `version is ${status}` };
}

function missing(): ProcessingResult {
  // Deleted (with its file) before it was processed; nothing left to check or count.
  logger.info('object no longer exists');
  metrics.addMetric('MissingObjects', MetricUnit.Count, 1);
  return { outcome: 'missing' };
}

// ---------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------

interface Sample {
  /** The first bytes (all of them when the object is that small). */
  readonly bytes: Buffer;
  /** The object's real size. */
  readonly size: number;
  readonly etag?: string;
  /** The S3 version id of the object read (versioned buckets). */
  readonly versionId?: string;
}

const isNoSuchKey = (err: unknown): boolean => (err as Error)?.name === 'NoSuchKey' || (err as Error)?.name === 'NotFound';

/**
 * A ranged GET of the first `length` bytes; undefined when the object is gone. An object declared
 * empty is read without a range (S3 answers 416 to any range of an empty object, and the S3
 * emulator a broken 206); `readAtMost` still stops after `length` bytes if it is not empty.
 */
async function readSample(bucket: string, key: string, length: number, declaredSize: number): Promise<Sample | undefined> {
  let res: GetObjectCommandOutput;
  try {
    const range = declaredSize > 0 ? `bytes=0-${length - 1}` : undefined;
    res = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  } catch (err) {
    if (isNoSuchKey(err)) return undefined;
    // Declared non-empty but empty after all.
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 416) throw err;
    res = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  }
  const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
  const bytes = await readAtMost(res.Body as Readable, length);
  return { bytes, size: total !== undefined ? Number(total) : (res.ContentLength ?? bytes.length), etag: res.ETag, versionId: res.VersionId };
}

/** Reads up to `limit` bytes and stops (a server that ignored the range must not stream gigabytes). */
async function readAtMost(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= limit) break; // leaving the loop destroys the stream
  }
  return Buffer.concat(chunks, length).subarray(0, limit);
}

interface Content {
  /** Hex SHA-256 of every byte. */
  readonly checksum: string;
  /** For text types: why the content is not text (checked over all of it, not only the sample). */
  readonly textProblem?: string;
  /** The whole object, when asked to keep it. */
  readonly bytes?: Buffer;
}

/**
 * One pass over the object: hashed chunk by chunk, never held whole in memory unless `keep`.
 * `IfMatch` pins the read to the object the sample came from.
 */
async function readWhole(target: Target, sample: Sample, opts: { text: boolean; keep: boolean }): Promise<Content | undefined> {
  const hash = createHash('sha256');
  const validator = opts.text ? new TextValidator() : undefined;
  const chunks: Buffer[] = [];
  if (sample.bytes.length === sample.size) {
    // The sample is the whole object: no second GET.
    hash.update(sample.bytes);
    if (opts.keep) chunks.push(sample.bytes);
    validator?.push(sample.bytes);
  } else {
    let res: GetObjectCommandOutput;
    try {
      res = await s3().send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key, IfMatch: sample.etag }));
    } catch (err) {
      if (isNoSuchKey(err)) return undefined;
      throw err; // 412: overwritten since the sample was read; the retry starts over
    }
    let read = 0;
    for await (const chunk of res.Body as Readable) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      read += bytes.length;
      if (opts.keep) chunks.push(bytes);
      validator?.push(bytes);
    }
    if (read !== sample.size) throw new Error(`read ${read} bytes of an object of ${sample.size} bytes`);
  }
  return {
    checksum: hash.digest('hex'),
    textProblem: validator?.end(),
    bytes: opts.keep ? Buffer.concat(chunks) : undefined,
  };
}

/** S3 CopySource: `bucket/key` with the key URL-encoded per segment. */
const copySource = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

async function deleteObject(bucket: string, key: string): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/** Deletes the object if it is still there (a delete on a versioned bucket always adds a marker). */
async function deleteIfPresent(bucket: string, key: string): Promise<void> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    if (isNoSuchKey(err)) return;
    throw err;
  }
  await deleteObject(bucket, key);
}

// ---------------------------------------------------------------------------------------------
// Thumbnails
// ---------------------------------------------------------------------------------------------

// makeThumbnail: apps/kit/handlers/image-thumbnail.ts (shared with PersonalPod's attachment processor).

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/**
 * Runs the transaction; when it is cancelled only because of the optional last item's condition
 * (the file moved on: a newer version is current, or it was deleted), runs it without that item.
 * Returns false when the version was no longer PENDING (another delivery got there first).
 */
async function transactVersionUpdate(required: TransactItem[], fileUpdate: TransactItem | undefined): Promise<boolean> {
  const items = fileUpdate ? [...required, fileUpdate] : required;
  try {
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    return true;
  } catch (err) {
    if (!(err instanceof TransactionCanceledException)) throw err;
    const codes = (err.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    if (codes[0] === 'ConditionalCheckFailed') return false;
    if (fileUpdate && codes[items.length - 1] === 'ConditionalCheckFailed' && codes.slice(0, -1).every((c) => c === 'None')) {
      return transactVersionUpdate(required, undefined);
    }
    throw err; // TransactionConflict, throttling: retried
  }
}

const pendingVersion = (key: Key, set: string, values: Record<string, unknown>): TransactItem => ({
  Update: {
    TableName: tableName(),
    Key: key,
    UpdateExpression: set,
    ConditionExpression: '#status = :pending',
    ExpressionAttributeNames: { '#status': 'status', ...(set.includes('#size') ? { '#size': 'size' } : {}) },
    ExpressionAttributeValues: { ':pending': 'PENDING', ...values },
  },
});

async function markAvailable(
  target: Target,
  pending: VersionItem,
  contentType: AllowedContentType,
  sample: Sample,
  checksum: string,
  thumbKey: string | undefined,
): Promise<boolean | 'over-quota'> {
  const now = new Date().toISOString();
  const { tenantId, fileId, version } = target;
  const size = sample.size;
  const thumbValue = thumbKey ? { ':thumb': thumbKey } : {};
  // The ETag and S3 version id of the bytes verified: downloads are pinned to them, later events compared with them.
  const objectSet = `${sample.etag ? ', etag = :etag' : ''}${sample.versionId ? ', s3VersionId = :s3v' : ''}`;
  const versionUpdate = pendingVersion(
    versionKey(tenantId, fileId, version),
    `SET #status = :available, checksum = :checksum, #size = :size, processedAt = :now${thumbKey ? ', thumbnailKey = :thumb' : ''}${objectSet}`,
    {
      ':available': 'AVAILABLE',
      ':checksum': checksum,
      ':size': size,
      ':now': now,
      ...thumbValue,
      ...(sample.etag ? { ':etag': sample.etag } : {}),
      ...(sample.versionId ? { ':s3v': sample.versionId } : {}),
    },
  );
  // The upload's reservation becomes stored bytes (admitted under the quota when it started). A
  // version without one (started before reservations existed) is counted only if it fits.
  const reserved = pending.reservedBytes ?? 0;
  const counter: TransactItem = reserved > 0
    ? {
      Update: {
        TableName: tableName(),
        Key: tenantKey(tenantId),
        UpdateExpression: 'ADD storedBytes :size, reservedBytes :release, usedBytes :delta',
        ExpressionAttributeValues: { ':size': size, ':release': -reserved, ':delta': size - reserved },
      },
    }
    : {
      Update: {
        TableName: tableName(),
        Key: tenantKey(tenantId),
        UpdateExpression: 'ADD storedBytes :size, usedBytes :size',
        ConditionExpression: 'attribute_not_exists(usedBytes) OR usedBytes <= :limit',
        ExpressionAttributeValues: { ':size': size, ':limit': (await tenantLimits(tenantId)).quotaBytes - size },
      },
    };

  // The file follows its newest available version (an older one finishing late changes nothing).
  const file = await getItem<FileItem>(fileKey(tenantId, fileId));
  const fileUpdate: TransactItem | undefined = file && version > (file.currentVersion ?? 0)
    ? {
      Update: {
        TableName: tableName(),
        Key: fileKey(tenantId, fileId),
        UpdateExpression:
          'SET #status = :available, currentVersion = :version, #size = :size, checksum = :checksum, contentType = :type, updatedAt = :now' +
          (thumbKey ? ', thumbnailKey = :thumb REMOVE quarantineReason' : ' REMOVE thumbnailKey, quarantineReason'),
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(currentVersion) OR currentVersion < :version)',
        ExpressionAttributeNames: { '#status': 'status', '#size': 'size' },
        ExpressionAttributeValues: {
          ':available': 'AVAILABLE', ':version': version, ':size': size, ':checksum': checksum, ':type': contentType, ':now': now, ...thumbValue,
        },
      },
    }
    : undefined;
  try {
    return await transactVersionUpdate([versionUpdate, counter], fileUpdate);
  } catch (err) {
    const codes = err instanceof TransactionCanceledException ? (err.CancellationReasons ?? []).map((r) => r.Code) : [];
    if (codes[1] === 'ConditionalCheckFailed') return 'over-quota';
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Quarantine
// ---------------------------------------------------------------------------------------------

/**
 * Moves the object to `quarantine/` (copy, mark the items, then delete, so a re-delivery after a
 * failure in between finishes the move) and, when the version is still PENDING, marks it - and its
 * file, unless the file has an available version - QUARANTINED with the reason.
 */
async function quarantine(target: Target, version: VersionItem | undefined, reason: string): Promise<ProcessingResult> {
  const { bucket, key, tenantId, fileId } = target;
  logger.warn('quarantining object', { reason });
  try {
    await s3().send(new CopyObjectCommand({
      Bucket: bucket,
      Key: quarantineKey(tenantId, fileId, target.version),
      CopySource: copySource(bucket, key),
      MetadataDirective: 'REPLACE',
      Metadata: { reason: reason.slice(0, 512).replace(/[^\x20-\x7e]/g, '?') },
      ContentType: 'application/octet-stream', // never served as what it claims to be
    }));
  } catch (err) {
    if (!isNoSuchKey(err)) throw err;
    return missing(); // already moved (re-delivery) or deleted
  }

  let counted = true;
  if (version?.status === 'PENDING') {
    const now = new Date().toISOString();
    const versionUpdate = pendingVersion(
      versionKey(tenantId, fileId, target.version),
      'SET #status = :quarantined, quarantineReason = :reason, processedAt = :now REMOVE reservedBytes',
      { ':quarantined': 'QUARANTINED', ':reason': reason, ':now': now },
    );
    const reserved = version.reservedBytes ?? 0;
    const fileUpdate: TransactItem = {
      Update: {
        TableName: tableName(),
        Key: fileKey(tenantId, fileId),
        UpdateExpression: 'SET #status = :quarantined, quarantineReason = :reason, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :available',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':quarantined': 'QUARANTINED', ':available': 'AVAILABLE', ':reason': reason, ':now': now },
      },
    };
    // The quota reservation is given back with the status change.
    counted = await transactVersionUpdate(reserved > 0 ? [versionUpdate, releaseReservation(tenantId, reserved)] : [versionUpdate], fileUpdate);
  }
  await deleteObject(bucket, key);
  if (counted) metrics.addMetric('QuarantinedFiles', MetricUnit.Count, 1);
  return { outcome: 'quarantined', reason };
}

// ---------------------------------------------------------------------------------------------
// Replaced after verification
// ---------------------------------------------------------------------------------------------

/**
 * Whether the event is about the object that was verified (a re-delivery): by S3 version id in a
 * versioned bucket, else by the ETag of what is stored now. Items verified before ETags were
 * recorded cannot be compared and count as verified.
 */
async function isVerifiedObject(target: Target, version: VersionItem, objectVersionId: string | undefined): Promise<boolean> {
  if (version.s3VersionId && objectVersionId) return objectVersionId === version.s3VersionId;
  if (!version.etag) return true;
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, VersionId: objectVersionId }));
    return head.ETag === version.etag;
  } catch (err) {
    if (isNoSuchKey(err)) return true; // deleted meanwhile: nothing is served from it
    throw err;
  }
}

/**
 * New bytes on a verified version's key. The replacement is kept under `quarantine/` for review.
 * In a versioned bucket the key gets a delete marker, so nothing unpinned serves the replacement,
 * while downloads, shares and restores keep reading the verified S3 version by its id (this role
 * may not delete object versions: s3:DeleteObjectVersion is not granted). Without versions the verified bytes are gone: the
 * version is QUARANTINED, its bytes leave the tenant's counter and the file stops being served.
 */
async function replacedAfterVerification(target: Target, version: VersionItem, objectVersionId: string | undefined): Promise<ProcessingResult> {
  const { bucket, key, tenantId, fileId } = target;
  const versioned = Boolean(version.s3VersionId && objectVersionId);
  const reason = versioned
    ? 'object replaced after verification; the replacement is quarantined and downloads stay pinned to the verified version'
    : 'object replaced after verification; the replacement is quarantined';
  logger.warn('verified object replaced', { versioned });
  metrics.addMetric('ReplacedVerifiedObjects', MetricUnit.Count, 1);
  try {
    await s3().send(new CopyObjectCommand({
      Bucket: bucket,
      Key: `${quarantineKey(tenantId, fileId, target.version)}-replaced`,
      CopySource: `${copySource(bucket, key)}${objectVersionId ? `?versionId=${encodeURIComponent(objectVersionId)}` : ''}`,
      MetadataDirective: 'REPLACE',
      Metadata: { reason: reason.slice(0, 512) },
      ContentType: 'application/octet-stream',
    }));
  } catch (err) {
    if (!isNoSuchKey(err)) throw err;
    return missing();
  }
  if (versioned) {
    await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return { outcome: 'quarantined', reason };
  }

  const now = new Date().toISOString();
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName(),
        Key: versionKey(tenantId, fileId, target.version),
        UpdateExpression: 'SET #status = :quarantined, quarantineReason = :reason, processedAt = :now',
        ConditionExpression: '#status = :available',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':quarantined': 'QUARANTINED', ':available': 'AVAILABLE', ':reason': reason, ':now': now },
      },
    },
    {
      Update: {
        TableName: tableName(),
        Key: tenantKey(tenantId),
        UpdateExpression: 'ADD storedBytes :minus, usedBytes :minus',
        ExpressionAttributeValues: { ':minus': -version.size },
      },
    },
  ];
  const fileUpdate: TransactItem = {
    Update: {
      TableName: tableName(),
      Key: fileKey(tenantId, fileId),
      UpdateExpression: 'SET #status = :quarantined, quarantineReason = :reason, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND currentVersion = :version',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':quarantined': 'QUARANTINED', ':reason': reason, ':now': now, ':version': target.version },
    },
  };
  const applied = await transactVersionUpdate(items, fileUpdate);
  await deleteObject(bucket, key);
  if (applied) metrics.addMetric('QuarantinedFiles', MetricUnit.Count, 1);
  return { outcome: 'quarantined', reason };
}
