/**
 * Typed HTTP errors. Handlers throw these; `withApiHandler` turns them into the JSON error shape
 * `{ error: { code, message, details? } }`. Anything else becomes a 500 without internals.
 */
export class HttpError extends Error {
  constructor(
    public readonly statusCode: number,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or fails validation. */
export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown, code = 'BAD_REQUEST') {
    super(400, code, message, details);
  }
}

/** 400 with code VALIDATION_FAILED and the list of problems. */
export class ValidationError extends BadRequestError {
  constructor(message: string, details?: unknown) {
    super(message, details, 'VALIDATION_FAILED');
  }
}

/** 401: no usable identity in the authorizer context. */
export class UnauthorizedError extends HttpError {
  constructor(message = 'Authentication required') {
    super(401, 'UNAUTHORIZED', message);
  }
}

/** 403: the caller is known but may not do this. */
export class ForbiddenError extends HttpError {
  constructor(message = 'Forbidden') {
    super(403, 'FORBIDDEN', message);
  }
}

/**
 * 404: the resource does not exist for this tenant. Also the answer when it belongs to another
 * tenant, so callers cannot probe for other tenants' ids.
 */
export class NotFoundError extends HttpError {
  constructor(message = 'Not found') {
    super(404, 'NOT_FOUND', message);
  }
}

/** 405: the route exists but not with this method. */
export class MethodNotAllowedError extends HttpError {
  constructor(method: string, resource: string) {
    super(405, 'METHOD_NOT_ALLOWED', `${method} is not supported on ${resource}`);
  }
}

/** 409: the request conflicts with the current state (duplicate name, cycle, non-empty folder). */
export class ConflictError extends HttpError {
  constructor(message: string, details?: unknown, code = 'CONFLICT') {
    super(409, code, message, details);
  }
}

/** 413: the request body is larger than the handler accepts. */
export class PayloadTooLargeError extends HttpError {
  constructor(maxBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `Request body must be at most ${maxBytes} bytes`);
  }
}

/** 410: the resource existed but is no longer usable (an expired or used-up share link). */
export class GoneError extends HttpError {
  constructor(message: string, code = 'GONE') {
    super(410, code, message);
  }
}

/**
 * 413 with a specific code: a declared upload is larger than a limit (the tenant's storage quota,
 * its maximum file size). The message names the limit and the numbers; details carries them.
 */
export class LimitExceededError extends HttpError {
  constructor(code: string, message: string, details?: unknown) {
    super(413, code, message, details);
  }
}

/** 429: the caller sent more than a per-user limit allows; `retryAfterSeconds` says when to retry. */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', message, { retryAfterSeconds });
  }
}
