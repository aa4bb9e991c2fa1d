/**
 * An S3 emulator on loopback for handler tests, local mode and end-to-end tests: the npm package
 * `@20minutes/s3rver` (in memory of a temp directory, deleted on stop). It speaks the S3 REST API,
 * including presigned URLs and multipart uploads, and reports object-created events, which local
 * mode forwards to the fileProcessor as S3 would through EventBridge.
 */
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
// No type declarations ship with the package; the little used here is typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require('@20minutes/s3rver');

interface S3rverServer {
  middleware: Array<(ctx: any, next: () => Promise<void>) => Promise<void>>;
  store: { getResourcePath(bucket: string, key: string | undefined, kind: string): string };
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

export interface S3Emulator {
  /** `http://127.0.0.1:<port>` (path-style addressing). */
  readonly endpoint: string;
  /** A client for test setup and assertions. */
  readonly client: S3Client;
  /** Creates a bucket and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Calls `listener` for every object-created notification (PUT, POST, copy, multipart complete). */
  onObjectCreated(listener: (bucket: string, key: string, size: number | undefined) => void): void;
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

export async function startS3Emulator(): Promise<S3Emulator> {
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
  addAbortMultipartUpload(server);
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
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver answers AbortMultipartUpload (DELETE ?uploadId) with 405. This adds it as S3 behaves: the
 * upload and its parts are dropped (a later complete fails), an unknown upload id is NoSuchUpload.
 */
function addAbortMultipartUpload(server: S3rverServer): void {
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method !== 'DELETE' || !('uploadId' in ctx.query)) return next();
    const bucket = ctx.path.split('/').filter(Boolean)[0];
    const dir = path.join(server.store.getResourcePath(bucket, undefined, 'uploads'), String(ctx.query.uploadId));
    if (!existsSync(dir)) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
      return;
    }
    rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
  });
}
