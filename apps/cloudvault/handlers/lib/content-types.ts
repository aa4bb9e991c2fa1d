/**
 * The content types CloudVault accepts for uploads. The fileService refuses any other declared
 * type; the fileProcessor verifies the real type of the bytes (magic numbers) against the declared
 * one and quarantines a mismatch. A tenant profile may narrow the list (`allowedContentTypes`).
 */
export const ALLOWED_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'application/pdf',
  'application/zip',
  'text/plain',
  'text/csv',
  'application/json',
] as const;

export type AllowedContentType = (typeof ALLOWED_CONTENT_TYPES)[number];

/** Types the fileProcessor makes 256 px thumbnails of. */
export const THUMBNAIL_TYPES: readonly AllowedContentType[] = ['image/jpeg', 'image/png', 'image/webp'];

export function isAllowedContentType(value: string): value is AllowedContentType {
  return (ALLOWED_CONTENT_TYPES as readonly string[]).includes(value);
}
