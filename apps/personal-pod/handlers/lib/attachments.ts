import { randomUUID } from 'crypto';
import { z } from 'zod';
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES } from './attachment-types';
import { conflict, notFound } from '../../../kit/handlers/http';
import { getPool } from '../../../kit/handlers/postgres-pool';

/** Most attachments one entry may have (rejected ones included until deleted). */
export const MAX_ATTACHMENTS_PER_ENTRY = 20;

export const CreateAttachmentInput = z.strictObject({
  // Shown and used as the download's file name: no control characters, no path.
  fileName: z.string().trim().min(1).max(255).regex(/^[^\p{Cc}/\\]+$/u, 'no control characters, / or \\'),
  contentType: z.enum(ATTACHMENT_TYPES),
  size: z.number().int().min(1).max(MAX_ATTACHMENT_BYTES),
});
export type CreateAttachmentInput = z.infer<typeof CreateAttachmentInput>;

export type AttachmentStatus = 'PENDING' | 'AVAILABLE' | 'REJECTED';

export interface Attachment {
  readonly id: string;
  readonly entryId: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly status: AttachmentStatus;
  readonly reason: string | null;
  readonly hasThumbnail: boolean;
  readonly createdAt: string;
  readonly processedAt: string | null;
}

interface AttachmentRow {
  id: string;
  user_id: string;
  entry_id: string;
  file_name: string;
  content_type: string;
  size: number;
  status: AttachmentStatus;
  reason: string | null;
  has_thumbnail: boolean;
  created_at: Date;
  processed_at: Date | null;
}

/** An attachment with its owner (the processor's view; never returned to a client). */
export interface OwnedAttachment extends Attachment {
  readonly userId: string;
}

function toAttachment(row: AttachmentRow): OwnedAttachment {
  return {
    id: row.id,
    userId: row.user_id,
    entryId: row.entry_id,
    fileName: row.file_name,
    contentType: row.content_type,
    size: row.size,
    status: row.status,
    reason: row.reason,
    hasThumbnail: row.has_thumbnail,
    createdAt: row.created_at.toISOString(),
    processedAt: row.processed_at?.toISOString() ?? null,
  };
}

/** What a client sees (the owner is the caller). */
export const publicView = ({ userId: _userId, ...attachment }: OwnedAttachment): Attachment => attachment;

// Object keys: every key carries the user and the entry, so a key names its owner.
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const USER = '[A-Za-z0-9_-]{1,128}';
export const ATTACHMENT_PREFIX = 'attachments/';
export const objectKey = (a: { userId: string; entryId: string; id: string }) => `${ATTACHMENT_PREFIX}${a.userId}/${a.entryId}/${a.id}`;
export const thumbnailKey = (a: { userId: string; entryId: string; id: string }) => `thumbnails/${a.userId}/${a.entryId}/${a.id}.webp`;
export const quarantineKey = (a: { userId: string; entryId: string; id: string }) => `quarantine/${a.userId}/${a.entryId}/${a.id}`;
const OBJECT_KEY = new RegExp(`^${ATTACHMENT_PREFIX}(${USER})/(${UUID})/(${UUID})$`);

/** The owner, entry and attachment an object key names; undefined for any other key. */
export function parseObjectKey(key: string): { userId: string; entryId: string; id: string } | undefined {
  const m = OBJECT_KEY.exec(key);
  return m ? { userId: m[1], entryId: m[2], id: m[3] } : undefined;
}

/** A user id usable in a key (Cognito subs are UUIDs); anything else cannot own attachments. */
export const isKeySafeUserId = (userId: string) => new RegExp(`^${USER}$`).test(userId);

/**
 * Records a PENDING attachment of the user's entry (404 when the entry is not theirs, 409 when it
 * has MAX_ATTACHMENTS_PER_ENTRY). The entry row is locked meanwhile, so concurrent creates count right.
 */
export async function createAttachment(userId: string, entryId: string, input: CreateAttachmentInput): Promise<OwnedAttachment> {
  const client = await getPool().connect();
  try {
    await client.query('BEGIN');
    const entry = await client.query('SELECT 1 FROM entries WHERE id = $1 AND user_id = $2 FOR UPDATE', [entryId, userId]);
    if (entry.rowCount === 0) throw notFound('entry');
    const { rows: [{ count }] } = await client.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM attachments WHERE user_id = $1 AND entry_id = $2', [userId, entryId]);
    if (count >= MAX_ATTACHMENTS_PER_ENTRY) throw conflict(`an entry has at most ${MAX_ATTACHMENTS_PER_ENTRY} attachments`);
    const { rows: [row] } = await client.query<AttachmentRow>(
      `INSERT INTO attachments (id, user_id, entry_id, file_name, content_type, size)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), userId, entryId, input.fileName, input.contentType, input.size]);
    await client.query('COMMIT');
    return toAttachment(row);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The attachments of the user's entry, oldest first; undefined when the entry is not theirs. */
export async function listAttachments(userId: string, entryId: string): Promise<OwnedAttachment[] | undefined> {
  const entry = await getPool().query('SELECT 1 FROM entries WHERE id = $1 AND user_id = $2', [entryId, userId]);
  if (entry.rowCount === 0) return undefined;
  const { rows } = await getPool().query<AttachmentRow>(
    'SELECT * FROM attachments WHERE user_id = $1 AND entry_id = $2 ORDER BY created_at, id', [userId, entryId]);
  return rows.map(toAttachment);
}

/** One of the user's attachments; undefined when it does not exist or is another user's. */
export async function getAttachment(userId: string, id: string): Promise<OwnedAttachment | undefined> {
  const { rows } = await getPool().query<AttachmentRow>('SELECT * FROM attachments WHERE id = $1 AND user_id = $2', [id, userId]);
  return rows[0] ? toAttachment(rows[0]) : undefined;
}

/** Deletes one of the user's attachments; returns what was deleted (undefined: nothing of theirs). */
export async function deleteAttachment(userId: string, id: string): Promise<OwnedAttachment | undefined> {
  const { rows } = await getPool().query<AttachmentRow>('DELETE FROM attachments WHERE id = $1 AND user_id = $2 RETURNING *', [id, userId]);
  return rows[0] ? toAttachment(rows[0]) : undefined;
}

/** The attachment an object key names, if its owner and entry match the key. */
export async function attachmentForObject(key: { userId: string; entryId: string; id: string }): Promise<OwnedAttachment | undefined> {
  const { rows } = await getPool().query<AttachmentRow>(
    'SELECT * FROM attachments WHERE id = $1 AND user_id = $2 AND entry_id = $3', [key.id, key.userId, key.entryId]);
  return rows[0] ? toAttachment(rows[0]) : undefined;
}

/**
 * Moves a PENDING attachment to its outcome; false when it is no longer PENDING (a redelivered
 * event, or deleted meanwhile), so a second delivery changes nothing.
 */
export async function settleAttachment(id: string, outcome: { status: 'AVAILABLE'; hasThumbnail: boolean } | { status: 'REJECTED'; reason: string }): Promise<boolean> {
  const result = await getPool().query(
    `UPDATE attachments SET status = $2, has_thumbnail = $3, reason = $4, processed_at = now()
     WHERE id = $1 AND status = 'PENDING'`,
    [id, outcome.status, outcome.status === 'AVAILABLE' ? outcome.hasThumbnail : false, outcome.status === 'REJECTED' ? outcome.reason : null]);
  return result.rowCount === 1;
}
