/** The files API's input schemas (bodies, paths, queries) and the 400 for a problem found after them. */
import * as z from 'zod/mini';
import { MAX_FILE_BYTES } from './limits';
import { ALLOWED_CONTENT_TYPES } from '../lib/content-types';
import { ValidationError } from '../lib/errors';
import { ROOT, nameKey } from '../lib/keys';
import { idSchema, nameSchema } from '../lib/validation';
import '../lib/zod-locale';

const required = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

const contentTypeSchema = z.pipe(
  z.string({ error: required('a string') }).check(z.trim(), z.toLowerCase()),
  z.enum(ALLOWED_CONTENT_TYPES, { message: `must be one of ${ALLOWED_CONTENT_TYPES.join(', ')}` }),
);

// z.int() as a check (not z.int() as the schema) keeps "is required"/"must be a number" apart from "must be a whole number".
const sizeSchema = z.number({ error: required('a number') }).check(
  z.int({ message: 'must be a whole number of bytes' }),
  z.gte(1, { message: 'must be at least 1 byte' }),
  z.lte(MAX_FILE_BYTES, { message: `must be at most ${MAX_FILE_BYTES} bytes (5 GiB)` }),
);

const versionSchema = z.number({ error: required('a number') }).check(z.int({ message: 'must be a whole number' }), z.gte(1, { message: 'must be at least 1' }));

export const createBody = z
  .strictObject({
    name: z.optional(nameSchema),
    folderId: z.optional(idSchema),
    size: sizeSchema,
    contentType: contentTypeSchema,
    fileId: z.optional(idSchema),
  })
  .check(z.refine((b) => b.fileId !== undefined || b.name !== undefined, { message: 'is required', path: ['name'] }));
export type CreateBody = z.infer<typeof createBody>;

export const updateBody = z
  .strictObject({ name: z.optional(nameSchema), folderId: z.optional(z.nullable(idSchema)) })
  .check(z.refine((b) => b.name !== undefined || b.folderId !== undefined, { message: 'provide "name" and/or "folderId"' }));

/** `parts` is optional: without it the server lists the uploaded parts itself (S3 ListParts). */
export const completeBody = z.strictObject({
  version: z.optional(versionSchema),
  parts: z.optional(z
    .array(
      z.strictObject({
        partNumber: z.number({ error: required('a number') }).check(
          z.int({ message: 'must be a whole number' }),
          z.gte(1, { message: 'must be at least 1' }),
          z.lte(10_000, { message: 'must be at most 10000' }),
        ),
        etag: z.string({ error: required('a string') }).check(
          z.minLength(1, { message: 'must not be empty' }),
          z.maxLength(128, { message: 'must be at most 128 characters' }),
          z.regex(/^[\x21-\x7e]+$/, { message: 'must be the ETag header S3 returned for the part' }),
        ),
      }),
      { error: required('an array') },
    )
    .check(z.minLength(1, { message: 'must list the uploaded parts' }), z.maxLength(10_000, { message: 'must list at most 10000 parts' }))),
});

export const restoreBody = z.strictObject({ version: versionSchema });

export const idPath = z.object({ id: idSchema });

const wholeNumberQuery = (message: string, min: number, max: number) =>
  z.pipe(z.string().check(z.regex(/^\d{1,9}$/, { message })), z.transform(Number)).check(z.refine((n) => n >= min && n <= max, { message }));

export const abortQuery = z.strictObject({ version: z.optional(wholeNumberQuery('must be a version number (1 or more)', 1, 999_999)) });

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isIsoInstant = (s: string) =>
  (ISO_DATE.test(s) && z.safeParse(z.iso.date(), s).success) || z.safeParse(z.iso.datetime({ offset: true }), s).success;
/** A date bound on createdAt: a date means the whole day (from its start / to its end), in UTC. */
const dateBound = (edge: 'start' | 'end') =>
  z.pipe(
    z.string().check(z.refine(isIsoInstant, { message: 'must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)' })),
    z.transform((s) => (ISO_DATE.test(s) ? `${s}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : new Date(s).toISOString())),
  );

const nameFilter = z.pipe(
  z.string().check(z.minLength(1, { message: 'must not be empty' }), z.maxLength(255, { message: 'must be at most 255 characters' })),
  z.transform(nameKey),
);

export const listQuery = z
  .strictObject({
    limit: z.optional(wholeNumberQuery('must be a whole number from 1 to 100', 1, 100)),
    nextToken: z.optional(z.string().check(z.maxLength(4096, { message: 'is not a valid page token' }))),
    folderId: z.optional(z.string().check(z.refine((s) => s === ROOT || z.safeParse(idSchema, s).success, { message: `must be a folder id (UUID) or "${ROOT}"` }))),
    type: z.optional(
      z.string().check(
        z.trim(),
        z.toLowerCase(),
        z.regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/([a-z0-9][a-z0-9!#$&^_.+-]*)?$/, { message: 'must be a content type ("image/png") or a type prefix ending in "/" ("image/")' }),
      ),
    ),
    name: z.optional(nameFilter),
    namePrefix: z.optional(nameFilter),
    status: z.optional(z.enum(['PENDING', 'AVAILABLE', 'QUARANTINED'], { message: 'must be one of PENDING, AVAILABLE, QUARANTINED' })),
    from: z.optional(dateBound('start')),
    to: z.optional(dateBound('end')),
  })
  .check(z.refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'must not be after "to"', path: ['from'] }));
export type ListQuery = z.infer<typeof listQuery>;

/** A 400 for one problem found after schema validation, in the same shape as parseBody's. */
export function invalid(where: 'body' | 'query', field: string, message: string): ValidationError {
  const path = `${where}.${field}`;
  return new ValidationError(`Invalid ${where}: ${path}: ${message}`, [{ path, message }]);
}
