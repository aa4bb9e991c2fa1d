/**
 * Typed HTTP errors: handlers throw them, `withApiHandler` turns them into
 * `{ error: { code, message, details? } }`. Anything else becomes a 500 without internals.
 */
export class HttpError extends Error {
  constructor(public readonly statusCode: number, public readonly code: string, message: string, public readonly details?: unknown) {
    super(message);
    this.name = new.target.name;
  }
}

export const badRequest = (message: string, details?: unknown, code = 'BAD_REQUEST') => new HttpError(400, code, message, details);
export const unauthorized = () => new HttpError(401, 'UNAUTHORIZED', 'Authentication required');
/** Also the answer for another user's item: ids of others cannot be probed. */
export const notFound = (what: string) => new HttpError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new HttpError(409, code, message, details);
