/** Presigned S3 URLs (signed by lib/clients presigner(): the tenant's session in a tenant request): the headers an upload must send as signed, downloads and thumbnails. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DOWNLOAD_URL_SECONDS } from './limits';
import { filesBucket, presigner } from '../lib/clients';
import { attachmentDisposition } from '../lib/content-disposition';

/** Headers the uploader must send exactly as signed (presigning leaves content-type unsigned by default). */
export const SIGNED_UPLOAD_HEADERS = new Set(['content-type', 'content-length', 'if-none-match']);
/** Parts: only the length (the SDK adds a generic content-type clients do not send for parts). */
export const SIGNED_PART_HEADERS = new Set(['content-length']);

export const expiresAt = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

export interface SignedUrl {
  readonly url: string;
  readonly expiresAt: string;
}

/** A download of exactly the bytes the processor verified: pinned to their S3 version id when the bucket keeps versions. */
export async function downloadUrl(key: string, name: string, contentType: string, versionId?: string): Promise<SignedUrl> {
  const command = new GetObjectCommand({
    Bucket: filesBucket(),
    Key: key,
    VersionId: versionId,
    ResponseContentDisposition: attachmentDisposition(name),
    ResponseContentType: contentType,
  });
  return { url: await getSignedUrl(presigner(), command, { expiresIn: DOWNLOAD_URL_SECONDS }), expiresAt: expiresAt(DOWNLOAD_URL_SECONDS) };
}

export async function thumbnailUrl(tenantId: string, key: string): Promise<SignedUrl | null> {
  // The key comes from the processor; never sign anything outside this tenant's thumbnails.
  if (!key.startsWith(`thumbnails/${tenantId}/`)) return null;
  const command = new GetObjectCommand({ Bucket: filesBucket(), Key: key });
  return { url: await getSignedUrl(presigner(), command, { expiresIn: DOWNLOAD_URL_SECONDS }), expiresAt: expiresAt(DOWNLOAD_URL_SECONDS) };
}
