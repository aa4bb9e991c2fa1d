import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from './observability';

let client: S3Client | undefined;
let presignClient: S3Client | undefined;

const endpointConfig = () => (process.env.S3_ENDPOINT ? { endpoint: process.env.S3_ENDPOINT, forcePathStyle: true } : {});

/** The files bucket (FILES_BUCKET). */
export const filesBucket = (): string => {
  const bucket = process.env.FILES_BUCKET;
  if (!bucket) throw new Error('FILES_BUCKET is not set');
  return bucket;
};

/** The S3 client, created once per container (S3_ENDPOINT only locally). */
export function s3(): S3Client {
  client ??= tracer.captureAWSv3Client(new S3Client(endpointConfig()));
  return client;
}

/**
 * The client that signs URLs: with the SDK's default checksum setting a presigned PutObject URL
 * carries the CRC32 of an EMPTY body and S3 rejects every real upload to it. Signing makes no
 * network call, so it is not traced.
 */
export function presigner(): S3Client {
  presignClient ??= new S3Client({ ...endpointConfig(), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return presignClient;
}
