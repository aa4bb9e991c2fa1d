/** The S3 objects behind file versions: whether one exists, and aborting a multipart upload that is no longer wanted. */
import { AbortMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { filesBucket, functionS3, s3 } from '../lib/clients';
import { logger } from '../lib/observability';

export async function objectExists(key: string): Promise<boolean> {
  try {
    // The function's own role: telling a missing object (404) from a denied one needs s3:ListBucket,
    // which tenant sessions do not have (it would list every tenant's keys).
    await functionS3().send(new HeadObjectCommand({ Bucket: filesBucket(), Key: key }));
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
