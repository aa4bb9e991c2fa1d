/** How an upload's bytes reach S3 (one PUT or a multipart upload), starting it, and undoing it when its metadata is not written. */
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { SINGLE_UPLOAD_MAX_BYTES, partSizeFor } from './limits';
import { abortQuietly } from './objects';
import { filesBucket, s3 } from '../lib/clients';
import { TransactItem, transact } from '../lib/hierarchy';

export type UploadPlan =
  | { readonly method: 'PUT' }
  | { readonly method: 'MULTIPART'; readonly uploadId: string; readonly partSize: number; readonly partCount: number };

/** A single PUT for small files; otherwise starts an S3 multipart upload. */
export async function startUpload(key: string, size: number, contentType: string): Promise<UploadPlan> {
  if (size <= SINGLE_UPLOAD_MAX_BYTES) return { method: 'PUT' };
  const partSize = partSizeFor(size);
  const res = await s3().send(new CreateMultipartUploadCommand({ Bucket: filesBucket(), Key: key, ContentType: contentType }));
  if (!res.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return { method: 'MULTIPART', uploadId: res.UploadId, partSize, partCount: Math.ceil(size / partSize) };
}

/** The metadata transaction; a multipart upload started for it is aborted when it fails. */
type AsyncExplain = (i: number) => Promise<Error | undefined>;

export async function transactOrAbortUpload(key: string, plan: UploadPlan, items: TransactItem[], explain: AsyncExplain): Promise<void> {
  try {
    let failed: number | undefined;
    await transact(items, (i) => {
      failed = i;
      return undefined;
    }).catch(async (err) => {
      throw (failed !== undefined ? await explain(failed) : undefined) ?? err;
    });
  } catch (err) {
    if (plan.method === 'MULTIPART') await abortQuietly(key, plan.uploadId);
    throw err;
  }
}
