/**
 * zod/mini probe for bench/probes.ts: the same schemas as zod-classic.ts in the functional zod/mini API,
 * with the English locale loaded (zod/mini loads none: without it every built-in message is
 * "Invalid input").
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

export interface Issue {
  readonly path: string;
  readonly message: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const idSchema = z.uuid({ message: 'must be a UUID' });
const booleanQuery = z.pipe(z.enum(['true', 'false']), z.transform((v) => v === 'true'));
const nameSchema = z.pipe(
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).check(
    z.minLength(1, { message: 'must not be empty' }),
    z.maxLength(255, { message: 'must be at most 255 characters' }),
    z.refine((s) => !s.includes('/') && !s.includes('\\'), { message: 'must not contain "/" or "\\"' }),
    z.refine((s) => !s.includes('..'), { message: 'must not contain ".."' }),
    z.refine((s) => s !== '.', { message: 'must not be "."' }),
    z.refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' }),
    z.refine((s) => s.trim() === s, { message: 'must not start or end with whitespace' }),
  ),
  z.transform((s) => s.normalize('NFC')),
);

const schemas: Record<string, z.ZodMiniType> = {
  createBody: z.strictObject({ name: nameSchema, parentId: z.optional(idSchema) }),
  updateBody: z
    .strictObject({ name: z.optional(nameSchema), parentId: z.optional(z.nullable(idSchema)) })
    .check(z.refine((b) => b.name !== undefined || b.parentId !== undefined, { message: 'provide "name" and/or "parentId"' })),
  idPath: z.object({ id: idSchema }),
  deleteQuery: z.strictObject({ recursive: z.optional(booleanQuery) }),
};

/** The issues (path and message) `schema` reports for `input`, or the parsed value. */
export function check(schema: string, input: unknown): { issues?: Issue[]; data?: unknown } {
  const r = z.safeParse(schemas[schema], input);
  return r.success ? { data: r.data } : { issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
}
