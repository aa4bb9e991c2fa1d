/**
 * Opaque page cursors: DynamoDB's LastEvaluatedKey as base64url JSON. A cursor is client input,
 * so it is accepted only when it is a key of the index being read, inside the partition asked for.
 */
import { badRequest } from './api';

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

/** The start key of `cursor` for an index whose key attributes are `attributes` and whose partition is `partition`. */
export function decodeCursor(
  cursor: string | undefined,
  attributes: readonly string[],
  partition: { name: string; value: string },
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = typeof key === 'object' && key !== null && !Array.isArray(key)
    && Object.keys(key).sort().join() === [...attributes].sort().join()
    && Object.values(key).every((v) => typeof v === 'string' && v.length <= 1024)
    && (key as Record<string, string>)[partition.name] === partition.value;
  if (!valid) throw badRequest('cursor: is not a cursor of this list');
  return key as Record<string, string>;
}
