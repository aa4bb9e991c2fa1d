/** Sizes and lifetimes of the files API: what one upload may be, how it is split, how long its URLs live. */

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Largest file: S3's limit for a single PUT and for CopyObject (restores). */
export const MAX_FILE_BYTES = 5 * GiB;
/** Up to this size one presigned PUT; above it a multipart upload. */
export const SINGLE_UPLOAD_MAX_BYTES = 8 * MiB;
export const MIN_PART_BYTES = 8 * MiB;
/** Parts per upload at most (S3 allows 10,000; fewer keeps the response small). */
export const MAX_PARTS = 1000;
export const UPLOAD_URL_SECONDS = 15 * 60;
/** Part URLs live longer: a large upload over a slow link takes a while (a retried POST re-signs them). */
export const PART_URL_SECONDS = 60 * 60;
export const DOWNLOAD_URL_SECONDS = 5 * 60;
export const DEFAULT_PAGE_SIZE = 50;

/** Part size for `size` bytes: at least 8 MiB, and large enough for MAX_PARTS parts (whole MiB). */
export function partSizeFor(size: number): number {
  return Math.max(MIN_PART_BYTES, Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB);
}
