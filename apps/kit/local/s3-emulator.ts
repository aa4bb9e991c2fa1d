/**
 * An S3 emulator on loopback for handler tests, local mode and end-to-end tests: the npm package
 * `@20minutes/s3rver` (in memory of a temp directory, deleted on stop). It speaks the S3 REST API,
 * including presigned URLs and multipart uploads, and reports object-created events, which local
 * mode forwards to the fileProcessor as S3 would through EventBridge.
 *
 * Added to s3rver here (it answers 405 / NotImplemented to them): AbortMultipartUpload, ListParts
 * and ListMultipartUploads, which the files API's abort and complete routes and the cleanup job
 * use, and S3's
 * NoSuchUpload for parts or completion of an upload that is not open, InvalidPart for completing
 * with a part that was never uploaded (s3rver crashes on it), and S3's conditional writes
 * (`If-None-Match: *` on PutObject and CompleteMultipartUpload: 412 when the key exists).
 * Not emulated: signatures (not verified at all, so a tampered presigned URL is accepted here),
 * bucket versioning (no VersionId is ever returned) and IAM.
 * `backdateUpload()` lets tests make an upload stale.
 */
import { existsSync, mkdtempSync, promises as fsp, rmSync, utimesSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
// No type declarations ship with the package; the little used here is typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('@20minutes/s3rver');
// The account s3rver signs requests for (owner and initiator of every upload).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rverAccount: { DUMMY_ACCOUNT: { id: number; displayName: string } } = require('@20minutes/s3rver/lib/models/account');

interface S3rverServer {
  middleware: Array<(ctx: any, next: () => Promise<void>) => Promise<void>>;
  store: {
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key: string | undefined, kind: string): string;
    existsObject(bucket: string, key: string): Promise<boolean>;
  };
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: S3NotificationEvent) => void): void;
}

/** The S3 event notification shape s3rver emits (the same as S3's own). */
export interface S3NotificationEvent {
  readonly Records: ReadonlyArray<{
    readonly eventName: string;
    readonly eventTime: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string };
    };
  }>;
}

/** Credentials the emulator is started with; they never reach AWS. */
export const S3_EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** S3's largest ListMultipartUploads page. */
const MAX_UPLOADS_PER_PAGE = 1000;

export interface S3EmulatorOptions {
  /**
   * Most uploads a ListMultipartUploads page holds, whatever `max-uploads` asks for (S3: 1000).
   * Tests lower it so that a caller has to follow the page markers.
   */
  readonly maxUploadsPerPage?: number;
}

/** An open (neither completed nor aborted) multipart upload. */
export interface OpenMultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

export interface S3Emulator {
  /** `http://127.0.0.1:<port>` (path-style addressing). */
  readonly endpoint: string;
  /** A client for test setup and assertions. */
  readonly client: S3Client;
  /** Creates a bucket and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Calls `listener` for every object-created notification (PUT, POST, copy, multipart complete). */
  onObjectCreated(listener: (bucket: string, key: string, size: number | undefined) => void): void;
  /** The bucket's open multipart uploads, in ListMultipartUploads order (what S3 would list). */
  openUploads(bucket: string): Promise<OpenMultipartUpload[]>;
  /**
   * Test hook, not an S3 call (S3 never allows it): moves an open upload's initiation time, as
   * ListMultipartUploads reports it, to `initiated`, so that a test can make an upload stale.
   * Throws when the bucket has no such open upload.
   */
  backdateUpload(bucket: string, uploadId: string, initiated: Date): void;
  stop(): Promise<void>;
}

/** A client for the emulator, configured as the handlers configure theirs from S3_ENDPOINT. */
export function emulatorClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: process.env.AWS_REGION ?? 'eu-west-1',
    credentials: S3_EMULATOR_CREDENTIALS,
    maxAttempts: 1,
  });
}

export async function startS3Emulator(options: S3EmulatorOptions = {}): Promise<S3Emulator> {
  const pageSize = options.maxUploadsPerPage ?? MAX_UPLOADS_PER_PAGE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_UPLOADS_PER_PAGE) {
    throw new Error(`maxUploadsPerPage must be an integer from 1 to ${MAX_UPLOADS_PER_PAGE}, not ${pageSize}`);
  }
  const directory = mkdtempSync(path.join(tmpdir(), 'cloudvault-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // s3rver's SigV4 check disagrees with the current SDK's canonical request (it answers
    // SignatureDoesNotMatch to correctly signed calls), so signatures are not verified here.
    allowMismatchedSignatures: true,
  });
  const uploads = new UploadStore(server);
  addConditionalWrites(server);
  addMultipartUploadChecks(server, uploads);
  addListMultipartUploads(server, uploads, pageSize);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = emulatorClient(endpoint);
  let buckets = 0;
  return {
    endpoint,
    client,
    async createBucket(name = `cloudvault-files-${++buckets}`) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    onObjectCreated(listener) {
      server.on('event', (event) => {
        for (const record of event.Records) {
          if (record.eventName.startsWith('ObjectCreated:')) {
            listener(record.s3.bucket.name, decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')), record.s3.object.size);
          }
        }
      });
    },
    openUploads: (bucket) => uploads.list(bucket),
    backdateUpload(bucket, uploadId, initiated) {
      const keyFile = uploads.keyFile(bucket, uploadId);
      if (!keyFile || !existsSync(keyFile)) throw new Error(`Bucket ${bucket} has no open multipart upload ${uploadId}`);
      utimesSync(keyFile, initiated, initiated);
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type KoaContext = any;

function s3Error(ctx: KoaContext, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  const details = Object.entries(extra).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`).join('');
  ctx.body = `${XML_DECLARATION}<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${details}</Error>`;
}

/** `/<bucket>/<key>` of a path-style request, the key percent-decoded as s3rver's router does. */
function bucketAndKey(ctx: KoaContext): { bucket: string; key: string } {
  const [bucket = '', ...key] = String(ctx.path).split('/').slice(1);
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(key.join('/')) };
}

/**
 * s3rver's own record of multipart uploads (lib/stores/filesystem.js): CreateMultipartUpload
 * makes `<bucket>/._S3rver_uploads/<uploadId>/` holding `key` (the object key) and `metadata`
 * (the request headers), parts are added as `<partNumber>` files, and CompleteMultipartUpload
 * removes the folder. So the folders there are the open uploads, and `key`, written once at
 * initiation, carries the initiation time as its modification time (which backdateUpload moves).
 */
class UploadStore {
  constructor(private readonly server: S3rverServer) {}

  bucketExists(bucket: string): boolean {
    // A valid bucket name cannot name a path outside the store.
    return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && existsSync(this.server.store.getBucketPath(bucket));
  }

  /** Undefined for an id s3rver cannot have made (hex), so that no id can name a path outside the upload's folder. */
  uploadDir(bucket: string, uploadId: string): string | undefined {
    return /^[0-9a-f]+$/.test(uploadId) ? path.join(this.server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId) : undefined;
  }

  keyFile(bucket: string, uploadId: string): string | undefined {
    const dir = this.uploadDir(bucket, uploadId);
    return dir && path.join(dir, 'key');
  }

  /** The open upload `uploadId`, or undefined (never created, completed or aborted). */
  async get(bucket: string, uploadId: string): Promise<OpenMultipartUpload | undefined> {
    const keyFile = this.keyFile(bucket, uploadId);
    if (!keyFile) return undefined;
    try {
      const [key, stat] = await Promise.all([fsp.readFile(keyFile, 'utf8'), fsp.stat(keyFile)]);
      return { key, uploadId, initiated: stat.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Every open upload of the bucket, by key (in UTF-8 byte order, as S3), then by upload id. (S3
   * orders one key's uploads by initiation time; ordering by id keeps `upload-id-marker` exact
   * even when the marker's upload was aborted between two pages, as the cleanup job does.)
   */
  async list(bucket: string): Promise<OpenMultipartUpload[]> {
    let ids: string[];
    try {
      ids = await fsp.readdir(this.server.store.getResourcePath(bucket, undefined, 'uploads'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // An upload being created this instant may not have its key yet: it is not listed.
    const uploads = (await Promise.all(ids.map((id) => this.get(bucket, id)))).filter((u): u is OpenMultipartUpload => u !== undefined);
    const byId = (a: OpenMultipartUpload, b: OpenMultipartUpload) => (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0);
    return uploads.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || byId(a, b));
  }
}

/**
 * S3 conditional writes: a PutObject (not a copy) or CompleteMultipartUpload sent with
 * `If-None-Match: *` fails with 412 PreconditionFailed when the key already holds an object.
 * s3rver ignores the header and overwrites; the fileService signs it into every upload URL so
 * that verified bytes cannot be replaced, and this makes local mode behave as S3 does.
 */
function addConditionalWrites(server: S3rverServer): void {
  server.middleware.unshift(async (ctx, next) => {
    const subresource = ['uploadId', 'tagging', 'acl'].some((name) => name in ctx.query);
    const put = ctx.method === 'PUT' && !subresource && !('x-amz-copy-source' in ctx.headers);
    const complete = ctx.method === 'POST' && 'uploadId' in ctx.query;
    if ((!put && !complete) || String(ctx.headers['if-none-match'] ?? '').trim() !== '*') return next();
    const { bucket, key } = bucketAndKey(ctx);
    if (key !== '' && await server.store.existsObject(bucket, key)) {
      return s3Error(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    return next();
  });
}

/**
 * s3rver answers AbortMultipartUpload (DELETE ?uploadId) with 405, and takes parts for, or tries to
 * complete, uploads that are not open. This adds abort as S3 behaves (the upload and its parts
 * are dropped) and answers NoSuchUpload, as S3 does, to any call on an upload id that is not open
 * (never created, completed or aborted) or that belongs to another key.
 */
function addMultipartUploadChecks(server: S3rverServer, uploads: UploadStore): void {
  server.middleware.unshift(async (ctx, next) => {
    if (!('uploadId' in ctx.query)) return next();
    const { bucket, key } = bucketAndKey(ctx);
    if (!uploads.bucketExists(bucket)) return s3Error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
    const uploadId = String(ctx.query.uploadId);
    const upload = await uploads.get(bucket, uploadId);
    if (!upload || upload.key !== key) {
      return s3Error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
    }
    if (ctx.method === 'POST') {
      // s3rver streams each listed part from disk and crashes the whole process on a part never
      // uploaded; S3 answers InvalidPart. The body is read here and handed on unchanged.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(Buffer.from(chunk));
      const body = Buffer.concat(chunks);
      const listed = [...body.toString('utf8').matchAll(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/g)].map((m) => m[1]);
      const dir = uploads.uploadDir(bucket, uploadId)!;
      const missing = listed.find((n) => !existsSync(path.join(dir, String(Number(n)))));
      if (missing !== undefined) {
        return s3Error(ctx, 400, 'InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded.', { UploadId: uploadId, PartNumber: missing });
      }
      ctx.req = Readable.from([body]);
      return next();
    }
    if (ctx.method === 'GET') return listParts(ctx, uploads, bucket, upload);
    if (ctx.method !== 'DELETE') return next();
    rmSync(uploads.uploadDir(bucket, uploadId)!, { recursive: true, force: true });
    ctx.status = 204;
  });
}

/** S3's largest ListParts page. */
const MAX_PARTS_PER_PAGE = 1000;

/**
 * ListParts (GET /<bucket>/<key>?uploadId), which s3rver lacks: the parts s3rver stored for the
 * upload (`<partNumber>` files, their MD5 in `<partNumber>.md5`, which is the part's ETag), in part
 * number order, paged by `max-parts` (at most 1000) and `part-number-marker` as S3 pages them.
 */
async function listParts(ctx: KoaContext, uploads: UploadStore, bucket: string, upload: OpenMultipartUpload): Promise<void> {
  const param = (name: string): string | undefined => (ctx.query[name] === undefined ? undefined : String(ctx.query[name]));
  for (const name of ['max-parts', 'part-number-marker']) {
    const value = param(name);
    if (value !== undefined && !/^\d{1,9}$/.test(value)) {
      return s3Error(ctx, 400, 'InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: value });
    }
  }
  const maxParts = Math.min(Number(param('max-parts') ?? MAX_PARTS_PER_PAGE), MAX_PARTS_PER_PAGE);
  const marker = Number(param('part-number-marker') ?? 0);
  const dir = uploads.uploadDir(bucket, upload.uploadId)!;
  const numbers = (await fsp.readdir(dir)).filter((name) => /^\d+$/.test(name)).map(Number).filter((n) => n > marker).sort((a, b) => a - b);
  const page = numbers.slice(0, maxParts);
  const truncated = numbers.length > page.length;
  const parts = await Promise.all(page.map(async (n) => {
    const file = path.join(dir, String(n));
    const [stat, md5] = await Promise.all([fsp.stat(file), fsp.readFile(`${file}.md5`, 'utf8')]);
    return { n, stat, md5: md5.trim() };
  }));
  const element = (name: string, value: string) => `<${name}>${value}</${name}>`;
  const owner = `${element('ID', String(S3rverAccount.DUMMY_ACCOUNT.id))}${element('DisplayName', escapeXml(S3rverAccount.DUMMY_ACCOUNT.displayName))}`;
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body = XML_DECLARATION
    + '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    + element('Bucket', escapeXml(bucket))
    + element('Key', escapeXml(upload.key))
    + element('UploadId', escapeXml(upload.uploadId))
    + element('Initiator', owner)
    + element('Owner', owner)
    + element('StorageClass', 'STANDARD')
    + element('PartNumberMarker', String(marker))
    + (page.length > 0 ? element('NextPartNumberMarker', String(page[page.length - 1])) : '')
    + element('MaxParts', String(maxParts))
    + element('IsTruncated', String(truncated))
    + parts.map((p) => '<Part>'
      + element('PartNumber', String(p.n))
      + element('LastModified', p.stat.mtime.toISOString())
      + element('ETag', escapeXml(`"${p.md5}"`))
      + element('Size', String(p.stat.size))
      + '</Part>').join('')
    + '</ListPartsResult>';
}

/**
 * s3rver answers ListMultipartUploads (GET /<bucket>?uploads) with NotImplemented. This adds it:
 * `prefix`, `key-marker` / `upload-id-marker` (uploads after that key, or after that upload of
 * that key), `max-uploads` (capped at `pageSize`), `encoding-type=url`, and the
 * ListMultipartUploadsResult S3 answers with (NextKeyMarker / NextUploadIdMarker when truncated).
 * `delimiter` (CommonPrefixes) is not supported: NotImplemented, rather than a wrong listing.
 */
function addListMultipartUploads(server: S3rverServer, uploads: UploadStore, pageSize: number): void {
  server.middleware.unshift(async (ctx, next) => {
    const segments = String(ctx.path).split('/').filter(Boolean);
    if (ctx.method !== 'GET' || !('uploads' in ctx.query) || segments.length !== 1) return next();
    const bucket = decodeURIComponent(segments[0]);
    const param = (name: string): string | undefined => (ctx.query[name] === undefined ? undefined : String(ctx.query[name]));
    if (!uploads.bucketExists(bucket)) return s3Error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
    if (param('delimiter')) return s3Error(ctx, 501, 'NotImplemented', 'The S3 emulator does not support delimiter in ListMultipartUploads.');
    const encodingType = param('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      return s3Error(ctx, 400, 'InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
    }
    const requested = param('max-uploads');
    if (requested !== undefined && !/^\d+$/.test(requested)) {
      return s3Error(ctx, 400, 'InvalidArgument', 'Provided max-uploads not an integer or within integer range', { ArgumentName: 'max-uploads', ArgumentValue: requested });
    }
    const maxUploads = Math.min(requested === undefined ? MAX_UPLOADS_PER_PAGE : Number(requested), pageSize);
    const prefix = param('prefix') ?? '';
    const keyMarker = param('key-marker') ?? '';
    // S3 ignores upload-id-marker without key-marker.
    const uploadIdMarker = keyMarker === '' ? '' : param('upload-id-marker') ?? '';
    const after = (u: OpenMultipartUpload) => {
      if (keyMarker === '') return true;
      const order = Buffer.compare(Buffer.from(u.key), Buffer.from(keyMarker));
      return order > 0 || (order === 0 && uploadIdMarker !== '' && u.uploadId > uploadIdMarker);
    };
    const matching = (await uploads.list(bucket)).filter((u) => u.key.startsWith(prefix) && after(u));
    const page = matching.slice(0, maxUploads);
    const truncated = matching.length > page.length;
    const last = page[page.length - 1];

    const text = (value: string) => escapeXml(encodingType === 'url' ? encodeURIComponent(value) : value);
    const element = (name: string, value: string) => `<${name}>${value}</${name}>`;
    const owner = `${element('ID', String(S3rverAccount.DUMMY_ACCOUNT.id))}${element('DisplayName', escapeXml(S3rverAccount.DUMMY_ACCOUNT.displayName))}`;
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = XML_DECLARATION
      + '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + element('Bucket', escapeXml(bucket))
      + element('KeyMarker', text(keyMarker))
      + element('UploadIdMarker', escapeXml(uploadIdMarker))
      + (truncated && last ? element('NextKeyMarker', text(last.key)) + element('NextUploadIdMarker', escapeXml(last.uploadId)) : '')
      + (encodingType ? element('EncodingType', encodingType) : '')
      + element('Prefix', text(prefix))
      + element('MaxUploads', String(maxUploads))
      + element('IsTruncated', String(truncated))
      + page.map((u) => '<Upload>'
        + element('Key', text(u.key))
        + element('UploadId', escapeXml(u.uploadId))
        + element('Initiator', owner)
        + element('Owner', owner)
        + element('StorageClass', 'STANDARD')
        + element('Initiated', u.initiated.toISOString())
        + '</Upload>').join('')
      + '</ListMultipartUploadsResult>';
  });
}
