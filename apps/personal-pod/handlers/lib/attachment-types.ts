/**
 * The file types an entry may have attached, and the check of an object's first bytes against the
 * declared type (magic numbers): an upload is only ever served as the type its bytes are.
 */

/** Accepted content types; images get a thumbnail. */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];
export const THUMBNAIL_TYPES: readonly AttachmentType[] = ['image/jpeg', 'image/png', 'image/webp'];

/** Largest attachment (the seed: files under 10 MB). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Bytes read to recognize a type. */
export const SAMPLE_BYTES = 16;

const SIGNATURES: Record<AttachmentType, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  // RIFF <size> WEBP
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/gif': (b) => ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1')),
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
};

/** Whether the first bytes of a file are those of `type`. */
export function matchesType(type: AttachmentType, firstBytes: Buffer): boolean {
  return SIGNATURES[type](firstBytes);
}

export function isAttachmentType(type: string): type is AttachmentType {
  return (ATTACHMENT_TYPES as readonly string[]).includes(type);
}
