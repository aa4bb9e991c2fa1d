/**
 * fileService: a tenant's files, their versions and the uploads that create them.
 *
 *   GET    /api/files                  list: newest first, or a folder's files by name; filters, pages
 *   POST   /api/files                  start an upload `{ name, folderId?, size, contentType, fileId? }`
 *   GET    /api/files/{id}             metadata, download URL (current version), thumbnail URL
 *   PATCH  /api/files/{id}             rename and/or move `{ name?, folderId? }` (folderId null = top level)
 *   DELETE /api/files/{id}             delete with every version, object and thumbnail (owner or admin)
 *   POST   /api/files/{id}/upload      complete a multipart upload `{ version?, parts?: [{ partNumber, etag }] }`
 *                                      (without `parts` the server lists the uploaded parts itself)
 *   DELETE /api/files/{id}/upload      abort a multipart upload (`?version=`; its uploader or an admin)
 *   GET    /api/files/{id}/versions    versions, newest first
 *   POST   /api/files/{id}/versions    restore `{ version }`
 *
 * Uploads: file bytes never pass through Lambda. POST /api/files writes the metadata (file item,
 * version item, name guard and the folder's child counter in one transaction, as folders do;
 * lib/hierarchy.ts) and answers with a presigned PUT URL (up to 8 MiB; Content-Type and
 * Content-Length are signed, so the client cannot store another size or type) or with an S3
 * multipart upload and a presigned URL per part (each part's Content-Length signed). With an
 * `Idempotency-Key` header the metadata is written once (lib/idempotency.ts): a retry returns the
 * same file, version and upload id, with freshly signed URLs (also the way to get new part URLs).
 * `fileId` in the body uploads a new version of an existing file; its current version stays
 * downloadable meanwhile.
 *
 * Verification is the fileProcessor's (S3 object created): it checks the real type, records size
 * and checksum, makes thumbnails, marks the version AVAILABLE (or QUARANTINED), moves the file's
 * current version and adds the bytes to the tenant's storedBytes. Status model: lib/file-items.ts.
 *
 * Restore (POST /versions) copies the chosen version's object to a NEW version n+1 instead of
 * re-pointing `currentVersion` at the old one: history stays append-only (what was current before
 * the restore remains a version one can go back to), the copy is verified by the fileProcessor
 * exactly like an upload (it is an object-created event like any other), and every version has
 * exactly one object, which keeps deletes and storedBytes accounting simple. The new version is
 * PENDING until verified; the file's currentVersion moves then.
 */
import { listFiles } from './files/listing';
import { deleteFile, getFile, updateFile } from './files/metadata';
import { abortUpload, completeUpload } from './files/multipart';
import { createUpload } from './files/upload';
import { listVersions, restoreVersion } from './files/versions';
import { routeHandler } from './lib/routing';

export const handler = routeHandler('files', {
  'GET /api/files': listFiles,
  'POST /api/files': createUpload,
  'GET /api/files/{id}': getFile,
  'PATCH /api/files/{id}': updateFile,
  'DELETE /api/files/{id}': deleteFile,
  'POST /api/files/{id}/upload': completeUpload,
  'DELETE /api/files/{id}/upload': abortUpload,
  'GET /api/files/{id}/versions': listVersions,
  'POST /api/files/{id}/versions': restoreVersion,
});
