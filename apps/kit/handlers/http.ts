import type { APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';

/** An error with the HTTP status and the code a client may branch on. */
export class HttpError extends Error {
  constructor(public readonly statusCode: number, public readonly code: string, message: string, public readonly details?: unknown) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, details?: unknown) => new HttpError(400, 'BadRequest', message, details);
export const forbidden = (message: string) => new HttpError(403, 'Forbidden', message);
export const notFound = (what: string) => new HttpError(404, 'NotFound', `${what} not found`);
export const conflict = (message: string) => new HttpError(409, 'Conflict', message);

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** A JSON response. */
export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: HEADERS, body: JSON.stringify(body) };
}

/** The JSON error shape; never a stack trace. */
export function errorResponse(err: HttpError): APIGatewayProxyResult {
  return json(err.statusCode, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
}

/** Parses `input` with `schema`, or throws a 400 that lists the problems. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw badRequest(`invalid ${what}`, result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return result.data;
}

/** The JSON body of a request (content type checked), or a 400/415. */
export function jsonBody(body: string | null, isBase64Encoded: boolean, headers: Record<string, string | undefined>): unknown {
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/^application\/json\b/i.test(contentType)) throw new HttpError(415, 'UnsupportedMediaType', 'send application/json');
  if (!body) throw badRequest('a JSON body is required');
  try {
    return JSON.parse(isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body);
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}
