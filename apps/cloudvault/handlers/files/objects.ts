/** The S3 objects behind file versions: whether one exists, and aborting a multipart upload that is no longer wanted. */
import { AbortMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { filesBucket, s3 } from '../lib/clients';
import { logger } from '../lib/observability';

export async function objectExists(key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: filesBucket(), Key: key }));
    return true;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export async function abortQuietly(key: string, uploadId: string): Promise<void> {
  try {
    await s3().send(new AbortMultipartUploadCommand({ Bucket: filesBucket(), Key: key, UploadId: uploadId }));
  } catch (err) {
    logger.warn('could not abort a multipart upload; the bucket lifecycle rule will', { objectKey: key, error: err as Error });
  }
}
