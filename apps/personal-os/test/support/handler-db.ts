import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbLocal, startDynamoDbLocal } from '../../../kit/local/dynamodb-local';
import { EventOptions, ParsedResponse, apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { TABLE_SCHEMA } from '../../infra/table-schema';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * DynamoDB Local with the app's table for handler tests (one per test file): sets TABLE_NAME and
 * DYNAMODB_ENDPOINT, which the handlers read on first use.
 */
export async function startTable(): Promise<DynamoDbLocal> {
  const db = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = db.endpoint;
  process.env.TABLE_NAME = await db.createTable(TABLE_SCHEMA, 'personal-os');
  return db;
}

export interface CallOptions extends EventOptions {
  /** Extra request headers (Idempotency-Key). */
  readonly headers?: Record<string, string>;
}

/** Calls a handler with an API Gateway event and parses the response. */
export async function call(handler: Handler, options: CallOptions): Promise<ParsedResponse> {
  const event = apiEvent(options);
  event.headers = { ...event.headers, ...options.headers };
  return parseResponse(await handler(event, lambdaContext()));
}

export const alice = { sub: 'user-alice' };
export const bob = { sub: 'user-bob' };
