import type { APIGatewayProxyResult } from 'aws-lambda';
import { HttpError } from './errors';

/** The one error shape every CloudVault route returns. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...HEADERS, ...headers }, body: JSON.stringify(body) };
}

export const ok = (body: unknown): APIGatewayProxyResult => json(200, body);
export const created = (body: unknown): APIGatewayProxyResult => json(201, body);
export const noContent = (): APIGatewayProxyResult => ({ statusCode: 204, headers: { ...HEADERS }, body: '' });

/** The error shape for `err`; unknown errors become a generic 500 (details stay in the logs, never in the response). */
export function errorResponse(err: unknown): APIGatewayProxyResult {
  if (err instanceof HttpError) {
    const body: ErrorBody = {
      error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) },
    };
    return json(err.statusCode, body);
  }
  const body: ErrorBody = { error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } };
  return json(500, body);
}
