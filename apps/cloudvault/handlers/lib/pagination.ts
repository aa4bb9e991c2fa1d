/**
 * Paginated lists: `?limit=` and an opaque `nextToken` (DynamoDB's LastEvaluatedKey, base64url
 * JSON). A token is client-controlled input, so it is only accepted when it points into the
 * caller's own partition and item type: a token made for (or by) another tenant is a 400, and
 * DynamoDB never sees a start key outside the key condition.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors';
import { Key } from './keys';
import './zod-locale';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=` as a number from 1 to MAX_PAGE_SIZE. */
export const limitQuery = z.pipe(
  z.string().check(z.regex(/^\d{1,3}$/, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })),
  z.transform(Number),
).check(z.refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }));

/** `?nextToken=` before decoding (decoded by `decodeNextToken`, which knows the partition). */
export const nextTokenQuery = z.string().check(z.maxLength(2048, { message: 'must be at most 2048 characters' }));

/** The token for a page's LastEvaluatedKey; undefined on the last page. */
export function encodeNextToken(lastEvaluatedKey: Record<string, unknown> | undefined): string | undefined {
  return lastEvaluatedKey ? Buffer.from(JSON.stringify(lastEvaluatedKey), 'utf8').toString('base64url') : undefined;
}

/**
 * The start key of a `nextToken`, accepted only when it is a base-table key in partition `pk`
 * whose sort key starts with `skPrefix`; undefined when no token was given.
 */
export function decodeNextToken(token: string | undefined, pk: string, skPrefix: string): Key | undefined {
  if (token === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const key = value as Partial<Key> | undefined;
  const valid = typeof key === 'object' && key !== null && !Array.isArray(key)
    && Object.keys(key).length === 2 && key.pk === pk && typeof key.sk === 'string' && key.sk.startsWith(skPrefix);
  if (!valid) {
    throw new ValidationError('Invalid query: query.nextToken: is not a token of this list', [{ path: 'query.nextToken', message: 'is not a token of this list' }]);
  }
  return { pk: key.pk!, sk: key.sk! };
}
