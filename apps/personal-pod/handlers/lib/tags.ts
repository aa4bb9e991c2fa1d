import { z } from 'zod';
import { Tag } from './entries';
import { getPool } from '../../../kit/handlers/postgres-pool';

export const PopularQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const SuggestQuery = z.strictObject({
  prefix: z.string().trim().toLowerCase().min(1).max(40).regex(/^[\p{L}\p{N}_-]+$/u, 'letters, digits, - or _'),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export interface TagCount {
  readonly tag: string;
  readonly count: number;
}

/** The user's most used tags (on current entry versions), most used first. */
export async function popularTags(userId: string, limit: number): Promise<TagCount[]> {
  const { rows } = await getPool().query(
    'SELECT tag, count(*)::int AS count FROM entry_tags WHERE user_id = $1 GROUP BY tag ORDER BY count DESC, tag LIMIT $2', [userId, limit]);
  return rows;
}

/** The user's tags that start with `prefix`, most used first (the prefix allows no LIKE wildcards). */
export async function suggestTags(userId: string, prefix: string, limit: number): Promise<TagCount[]> {
  Tag.parse(prefix);
  const { rows } = await getPool().query(
    `SELECT tag, count(*)::int AS count FROM entry_tags WHERE user_id = $1 AND tag LIKE $2 || '%'
     GROUP BY tag ORDER BY count DESC, tag LIMIT $3`, [userId, prefix.replace(/[\\%_]/g, '\\$&'), limit]);
  return rows;
}
