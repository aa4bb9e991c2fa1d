import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteKeyOf } from '../infra/routes';
import {
  CreateAttachmentInput, OwnedAttachment, createAttachment, deleteAttachment, getAttachment, isKeySafeUserId, listAttachments,
  objectKey, publicView, quarantineKey, thumbnailKey,
} from './lib/attachments';
import { Route, dispatch, uuidParam } from './lib/dispatch';
import { filesBucket, presigner, s3 } from './lib/files';
import { logger, metrics, MetricUnit } from './lib/observability';
import { HttpError, conflict, json, jsonBody, notFound, parse } from '../../kit/handlers/http';

/** Lifetime of the signed URLs: long enough to start a 10 MB upload or a download, short enough to leak little. */
export const UPLOAD_URL_SECONDS = 300;
export const DOWNLOAD_URL_SECONDS = 300;
/** Headers the uploader must send exactly as signed: S3 refuses another type, another length or an overwrite. */
const SIGNED_UPLOAD_HEADERS = new Set(['content-type', 'content-length', 'if-none-match']);

const entryId = (event: APIGatewayProxyEvent) => uuidParam(event, 'id', 'entry');
const attachmentId = (event: APIGatewayProxyEvent) => uuidParam(event, 'id', 'attachment');
const expiresAt = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/** `attachment; filename=...` with an ASCII fallback and the UTF-8 name (RFC 6266 / 8187). */
function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

async function ownAttachment(event: APIGatewayProxyEvent, userId: string): Promise<OwnedAttachment> {
  const attachment = await getAttachment(userId, attachmentId(event));
  if (!attachment) throw notFound('attachment');
  return attachment;
}

function requireAvailable(attachment: OwnedAttachment): void {
  if (attachment.status === 'PENDING') throw conflict('the attachment is not uploaded and verified yet');
  if (attachment.status === 'REJECTED') throw new HttpError(410, 'Gone', `the attachment was rejected: ${attachment.reason ?? 'invalid file'}`);
}

async function signedGet(key: string, options: { fileName?: string; contentType: string }): Promise<{ url: string; expiresAt: string }> {
  const command = new GetObjectCommand({
    Bucket: filesBucket(),
    Key: key,
    ResponseContentType: options.contentType,
    ...(options.fileName ? { ResponseContentDisposition: contentDisposition(options.fileName) } : {}),
  });
  return { url: await getSignedUrl(presigner(), command, { expiresIn: DOWNLOAD_URL_SECONDS }), expiresAt: expiresAt(DOWNLOAD_URL_SECONDS) };
}

// One dispatch over this handler's routes (infra/routes.ts): a route added there and not here fails tsc.
const ROUTES: Record<RouteKeyOf<'attachments'>, Route> = {
  'POST /api/entries/{id}/attachments': async (event, userId) => {
    const id = entryId(event);
    const input = parse(CreateAttachmentInput, jsonBody(event.body, event.isBase64Encoded, event.headers ?? {}), 'attachment');
    if (!isKeySafeUserId(userId)) throw new HttpError(403, 'Forbidden', 'this account cannot store files');
    const attachment = await createAttachment(userId, id, input);
    // The URL only accepts exactly the declared type and size, and never replaces an object.
    const command = new PutObjectCommand({
      Bucket: filesBucket(), Key: objectKey(attachment), ContentType: input.contentType, ContentLength: input.size, IfNoneMatch: '*',
    });
    const url = await getSignedUrl(presigner(), command, { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: SIGNED_UPLOAD_HEADERS });
    metrics.addMetric('AttachmentsCreated', MetricUnit.Count, 1);
    return json(201, {
      attachment: publicView(attachment),
      upload: {
        method: 'PUT',
        url,
        expiresAt: expiresAt(UPLOAD_URL_SECONDS),
        headers: { 'content-type': input.contentType, 'content-length': String(input.size), 'if-none-match': '*' },
      },
    });
  },

  'GET /api/entries/{id}/attachments': async (event, userId) => {
    const items = await listAttachments(userId, entryId(event));
    if (!items) throw notFound('entry');
    return json(200, { items: items.map(publicView) });
  },

  'GET /api/attachments/{id}': async (event, userId) => {
    const attachment = await ownAttachment(event, userId);
    requireAvailable(attachment);
    return json(200, { attachment: publicView(attachment), download: await signedGet(objectKey(attachment), attachment) });
  },

  'GET /api/attachments/{id}/thumb': async (event, userId) => {
    const attachment = await ownAttachment(event, userId);
    requireAvailable(attachment);
    if (!attachment.hasThumbnail) throw notFound('thumbnail');
    return json(200, { thumbnail: await signedGet(thumbnailKey(attachment), { contentType: 'image/webp' }) });
  },

  'DELETE /api/attachments/{id}': async (event, userId) => {
    const attachment = await deleteAttachment(userId, attachmentId(event));
    if (!attachment) throw notFound('attachment');
    // The row is gone, so nothing serves the objects any more; a failed delete leaves unreachable
    // bytes (logged), never a broken response.
    await s3().send(new DeleteObjectsCommand({
      Bucket: filesBucket(),
      Delete: { Objects: [objectKey(attachment), thumbnailKey(attachment), quarantineKey(attachment)].map((Key) => ({ Key })), Quiet: true },
    })).catch((err) => logger.error('attachment objects not deleted', { attachmentId: attachment.id, error: String(err) }));
    metrics.addMetric('AttachmentsDeleted', MetricUnit.Count, 1);
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },
};

/** REST API of the files attached to entries: signed upload and download URLs, thumbnails, delete. */
export const handler = dispatch(ROUTES);
