import type { APIGatewayProxyResult } from 'aws-lambda';
import { HttpError } from './errors';

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** A JSON response. */
export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { ...HEADERS }, body: JSON.stringify(body) };
}

export const ok = (body: unknown) => json(200, body);
export const created = (body: unknown) => json(201, body);
export const noContent = (): APIGatewayProxyResult => ({ statusCode: 204, headers: { ...HEADERS }, body: '' });

/** The error shape for `err`; unknown errors become a generic 500 (details stay in the logs). */
export function errorResponse(err: unknown): APIGatewayProxyResult {
  if (err instanceof HttpError) {
    return json(err.statusCode, { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } });
  }
  return json(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
}
