import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { HttpError, badRequest } from './errors';
import './zod-locale';

/** JSON bodies larger than this are refused before parsing. */
export const MAX_BODY_BYTES = 32 * 1024;

function parse<S extends z.ZodMiniType>(where: string, schema: S, input: unknown): z.infer<S> {
  const result = z.safeParse(schema, input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
    throw badRequest(`Invalid ${where}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems, 'VALIDATION_FAILED');
  }
  return result.data;
}

/** The JSON body, validated. Missing, non-JSON or oversized bodies are 4xx, never 500. */
export function parseBody<S extends z.ZodMiniType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  if (!event.body) throw badRequest('Request body is required (JSON object)', undefined, 'BODY_REQUIRED');
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/^application\/([a-z0-9.+-]+\+)?json$/.test(header.split(';')[0].trim().toLowerCase())) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body must be at most ${MAX_BODY_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON', undefined, 'MALFORMED_JSON');
  }
  return parse('body', schema, value);
}

/** Path parameters (`{id}`), validated. */
export function parsePath<S extends z.ZodMiniType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  return parse('path', schema, event.pathParameters ?? {});
}

/** Query string parameters, validated. */
export function parseQuery<S extends z.ZodMiniType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  return parse('query', schema, event.queryStringParameters ?? {});
}

/** Ids are ULIDs the service generates (Crockford base32, 26 characters). */
export const idSchema = z.string().check(z.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'must be a ULID' }));
export const idPath = z.object({ id: idSchema });

/** A short single-line text (titles, names): trimmed, no control characters. */
export const textSchema = (max: number) => z.pipe(
  z.string().check(
    z.trim(),
    z.minLength(1, { message: 'must not be empty' }),
    z.maxLength(max, { message: `must be at most ${max} characters` }),
    // eslint-disable-next-line no-control-regex
    z.refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), { message: 'must not contain control characters' }),
  ),
  z.transform((s) => s.normalize('NFC')),
);
/** Free text (descriptions, notes). */
export const notesSchema = z.string().check(z.maxLength(2000, { message: 'must be at most 2000 characters' }));

/** A life area (`health`, `career`, ...): it becomes part of an index key, so no `#`. */
export const areaSchema = z.string().check(z.regex(/^[A-Za-z0-9 _-]{1,50}$/, { message: 'must be 1-50 letters, digits, spaces, "_" or "-"' }));

/** A calendar date `YYYY-MM-DD` that exists. */
export const dateSchema = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD' }),
  z.refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), { message: 'must be a real calendar date' }),
);
