/**
 * zod (classic API) probe for bench/probes.ts: the schemas of lib/validation.ts and of the folders
 * routes as written with `zod` (copied, so that the probe still compares both APIs once the
 * handlers have moved to one of them).
 */
import * as z from 'zod';
import type { Issue } from './zod-mini';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const idSchema = z.uuid({ message: 'must be a UUID' });
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
const nameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, { message: 'must not be empty' })
  .max(255, { message: 'must be at most 255 characters' })
  .refine((s) => !s.includes('/') && !s.includes('\\'), { message: 'must not contain "/" or "\\"' })
  .refine((s) => !s.includes('..'), { message: 'must not contain ".."' })
  .refine((s) => s !== '.', { message: 'must not be "."' })
  .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' })
  .refine((s) => s.trim() === s, { message: 'must not start or end with whitespace' })
  .transform((s) => s.normalize('NFC'));

const schemas: Record<string, z.ZodType> = {
  createBody: z.strictObject({ name: nameSchema, parentId: idSchema.optional() }),
  updateBody: z
    .strictObject({ name: nameSchema.optional(), parentId: idSchema.nullable().optional() })
    .refine((b) => b.name !== undefined || b.parentId !== undefined, { message: 'provide "name" and/or "parentId"' }),
  idPath: z.object({ id: idSchema }),
  deleteQuery: z.strictObject({ recursive: booleanQuery.optional() }),
};

/** The issues (path and message) `schema` reports for `input`, or the parsed value. */
export function check(schema: string, input: unknown): { issues?: Issue[]; data?: unknown } {
  const r = schemas[schema].safeParse(input);
  return r.success ? { data: r.data } : { issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
}
