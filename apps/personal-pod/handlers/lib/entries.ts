import { randomUUID } from 'crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { HttpError, badRequest, conflict, notFound } from '../../../kit/handlers/http';
import { getPool, transaction } from '../../../kit/handlers/postgres-pool';

/** A tag: lower case letters, digits, `-` and `_` (normalized before validation). */
export const Tag = z.string().trim().toLowerCase().regex(/^[\p{L}\p{N}_-]{1,40}$/u, 'letters, digits, - or _ (1-40)');
const Tags = z.array(Tag).max(20).transform((tags) => [...new Set(tags)].sort());
/** Who holds a lock: one client (device, browser tab) of the user. */
export const ClientId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const CreateEntryInput = z.strictObject({
  title: z.string().trim().min(1).max(200),
  body: z.string().max(50_000),
  categoryId: z.uuid().nullable().optional(),
  tags: Tags.optional(),
});

export const UpdateEntryInput = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  body: z.string().max(50_000).optional(),
  categoryId: z.uuid().nullable().optional(),
  tags: Tags.optional(),
  /** The version the client edited: a later version saved meanwhile is a 409. */
  expectedVersion: z.number().int().positive(),
  /** The client that edits: required to edit an entry it has locked. */
  clientId: ClientId.optional(),
});

export const LockInput = z.strictObject({
  clientId: ClientId,
  /** How long the lock holds unless renewed or released (default 5 minutes). */
  ttlSeconds: z.number().int().min(10).max(3600).default(300),
});

export const ListQuery = z.strictObject({
  categoryId: z.uuid().optional(),
  tag: Tag.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export interface Entry {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly categoryId: string | null;
  readonly tags: string[];
  readonly version: number;
  readonly lock: { readonly clientId: string; readonly expiresAt: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface EntryRow {
  id: string;
  user_id: string;
  title: string;
  body: string;
  category_id: string | null;
  tags: string[];
  version: number;
  locked_by: string | null;
  lock_expires_at: Date | null;
  lock_active: boolean;
  created_at: Date;
  updated_at: Date;
}

const SELECT_ENTRY = `
  SELECT e.*, (e.locked_by IS NOT NULL AND e.lock_expires_at > now()) AS lock_active,
    COALESCE((SELECT array_agg(t.tag ORDER BY t.tag) FROM entry_tags t WHERE t.entry_id = e.id), '{}') AS tags
  FROM entries e`;

function toEntry(row: EntryRow): Entry {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    categoryId: row.category_id,
    tags: row.tags,
    version: row.version,
    lock: row.lock_active && row.locked_by && row.lock_expires_at ? { clientId: row.locked_by, expiresAt: row.lock_expires_at.toISOString() } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** 423 Locked: another client of the user holds the entry's lock. */
export const locked = (entry: Entry) => new HttpError(423, 'Locked', `the entry is locked by client ${entry.lock?.clientId} until ${entry.lock?.expiresAt}`);

async function selectEntry(client: PoolClient, userId: string, id: string, forUpdate = false): Promise<Entry | undefined> {
  // FOR UPDATE locks only the entry's row (the tags come from a subquery).
  const { rows } = await client.query<EntryRow>(`${SELECT_ENTRY} WHERE e.user_id = $1 AND e.id = $2${forUpdate ? ' FOR UPDATE OF e' : ''}`, [userId, id]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

/** Refuses a category of no one or of another user (400: the input names nothing the user has). */
async function checkCategory(client: PoolClient, userId: string, categoryId: string | null | undefined): Promise<void> {
  if (!categoryId) return;
  const { rowCount } = await client.query('SELECT 1 FROM categories WHERE user_id = $1 AND id = $2', [userId, categoryId]);
  if (!rowCount) throw badRequest('no such category', [{ path: 'categoryId', message: 'not a category of yours' }]);
}

async function saveVersion(client: PoolClient, userId: string, entry: Entry): Promise<void> {
  await client.query('DELETE FROM entry_tags WHERE entry_id = $1', [entry.id]);
  if (entry.tags.length > 0) {
    await client.query('INSERT INTO entry_tags (entry_id, user_id, tag) SELECT $1, $2, unnest($3::text[])', [entry.id, userId, entry.tags]);
  }
  await client.query('INSERT INTO entry_versions (entry_id, version, user_id, title, body, category_id, tags) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [entry.id, entry.version, userId, entry.title, entry.body, entry.categoryId, entry.tags]);
}

/** Creates an entry (version 1); a retry with the same idempotency key returns the first one. */
export async function createEntry(
  userId: string, input: z.infer<typeof CreateEntryInput>, idempotencyKey?: string,
): Promise<{ entry: Entry; created: boolean }> {
  return transaction(async (client) => {
    if (idempotencyKey) {
      const { rows } = await client.query<EntryRow>(`${SELECT_ENTRY} WHERE e.user_id = $1 AND e.idempotency_key = $2`, [userId, idempotencyKey]);
      if (rows[0]) return { entry: toEntry(rows[0]), created: false };
    }
    await checkCategory(client, userId, input.categoryId);
    const id = randomUUID();
    const inserted = await client.query(
      `INSERT INTO entries (id, user_id, title, body, category_id, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING`,
      [id, userId, input.title, input.body, input.categoryId ?? null, idempotencyKey ?? null]);
    if (!inserted.rowCount) {
      // A concurrent retry won the race: return its entry.
      const { rows } = await client.query<EntryRow>(`${SELECT_ENTRY} WHERE e.user_id = $1 AND e.idempotency_key = $2`, [userId, idempotencyKey]);
      return { entry: toEntry(rows[0]), created: false };
    }
    const entry = { ...(await selectEntry(client, userId, id))!, tags: input.tags ?? [] };
    await saveVersion(client, userId, entry);
    return { entry, created: true };
  });
}

export async function getEntry(userId: string, id: string): Promise<Entry | undefined> {
  const client = await getPool().connect();
  try {
    return await selectEntry(client, userId, id);
  } finally {
    client.release();
  }
}

/** The user's entries, newest change first, optionally of one category or with one tag. */
export async function listEntries(userId: string, query: z.infer<typeof ListQuery>): Promise<Entry[]> {
  const { rows } = await getPool().query<EntryRow>(
    `${SELECT_ENTRY} WHERE e.user_id = $1
       AND ($2::uuid IS NULL OR e.category_id = $2)
       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM entry_tags t WHERE t.entry_id = e.id AND t.tag = $3))
     ORDER BY e.updated_at DESC, e.id DESC LIMIT $4`,
    [userId, query.categoryId ?? null, query.tag ?? null, query.limit]);
  return rows.map(toEntry);
}

/**
 * Saves a new version: refused with 409 when the entry changed since `expectedVersion`, with 423
 * when another client holds its lock. A retry of the same change (same content, the version it
 * produced) is a no-op that returns the entry.
 */
export async function updateEntry(userId: string, id: string, input: z.infer<typeof UpdateEntryInput>): Promise<{ entry: Entry; changed: boolean }> {
  return transaction(async (client) => {
    const current = await selectEntry(client, userId, id, true);
    if (!current) throw notFound('entry');
    const next = {
      ...current,
      title: input.title ?? current.title,
      body: input.body ?? current.body,
      categoryId: input.categoryId === undefined ? current.categoryId : input.categoryId,
      tags: input.tags ?? current.tags,
    };
    const same = next.title === current.title && next.body === current.body
      && next.categoryId === current.categoryId && next.tags.join() === current.tags.join();
    // Nothing to change (or a retry of the change that made the current version): no new version.
    if (same && (input.expectedVersion === current.version || input.expectedVersion === current.version - 1)) {
      return { entry: current, changed: false };
    }
    if (input.expectedVersion !== current.version) throw conflict(`the entry is at version ${current.version}, not ${input.expectedVersion}`);
    if (current.lock && current.lock.clientId !== input.clientId) throw locked(current);
    await checkCategory(client, userId, next.categoryId);
    await client.query('UPDATE entries SET title = $3, body = $4, category_id = $5, version = version + 1, updated_at = now() WHERE user_id = $1 AND id = $2',
      [userId, id, next.title, next.body, next.categoryId]);
    const entry = { ...(await selectEntry(client, userId, id))!, tags: next.tags };
    await saveVersion(client, userId, entry);
    return { entry, changed: true };
  });
}

/** Deletes an entry and its versions; 423 while another client holds its lock. */
export async function deleteEntry(userId: string, id: string, clientId?: string): Promise<void> {
  await transaction(async (client) => {
    const current = await selectEntry(client, userId, id, true);
    if (!current) throw notFound('entry');
    if (current.lock && current.lock.clientId !== clientId) throw locked(current);
    await client.query('DELETE FROM entries WHERE user_id = $1 AND id = $2', [userId, id]);
  });
}

export interface EntryVersion {
  readonly version: number;
  readonly title: string;
  readonly body: string;
  readonly categoryId: string | null;
  readonly tags: string[];
  readonly savedAt: string;
}

/** Every saved version of the entry, newest first; undefined when the user has no such entry. */
export async function listVersions(userId: string, id: string): Promise<EntryVersion[] | undefined> {
  const { rows } = await getPool().query(
    `SELECT v.* FROM entry_versions v JOIN entries e ON e.id = v.entry_id AND e.user_id = $1
     WHERE v.entry_id = $2 ORDER BY v.version DESC`, [userId, id]);
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({
    version: r.version, title: r.title, body: r.body, categoryId: r.category_id, tags: r.tags, savedAt: r.saved_at.toISOString(),
  }));
}

/** Takes (or renews) the entry's lock for one client; 423 while another client holds it. */
export async function lockEntry(userId: string, id: string, input: z.infer<typeof LockInput>): Promise<Entry> {
  return transaction(async (client) => {
    const current = await selectEntry(client, userId, id, true);
    if (!current) throw notFound('entry');
    if (current.lock && current.lock.clientId !== input.clientId) throw locked(current);
    await client.query('UPDATE entries SET locked_by = $3, lock_expires_at = now() + make_interval(secs => $4) WHERE user_id = $1 AND id = $2',
      [userId, id, input.clientId, input.ttlSeconds]);
    return (await selectEntry(client, userId, id))!;
  });
}

/** Releases the client's lock (a no-op when the entry is not locked); 423 when another client holds it. */
export async function unlockEntry(userId: string, id: string, clientId: string): Promise<Entry> {
  return transaction(async (client) => {
    const current = await selectEntry(client, userId, id, true);
    if (!current) throw notFound('entry');
    if (!current.lock) return current;
    if (current.lock.clientId !== clientId) throw locked(current);
    await client.query('UPDATE entries SET locked_by = NULL, lock_expires_at = NULL WHERE user_id = $1 AND id = $2', [userId, id]);
    return (await selectEntry(client, userId, id))!;
  });
}
