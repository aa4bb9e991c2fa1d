/**
 * Writes a retry could double (creating an item, redeeming points) run at most once per
 * `Idempotency-Key` header, with Powertools idempotency persisted in the app's table: a retry
 * within an hour gets the stored response; the same key with another body is a 422; a retry while
 * the first is still running is a 409. Without the header the write simply runs.
 * Records: pk `IDEMPOTENCY#<operation>`, sk `<operation>#<sha256 of user + key>`, TTL `expiresAt`.
 */
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import type { ApiRequest } from './api-handler';
import { tableName } from './clients';
import { HttpError, badRequest, conflict } from './errors';
import { tracer } from './observability';
import './zod-locale';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const keySchema = z.string().check(z.regex(/^[\x21-\x7e]{1,255}$/));

type Runner = (scope: unknown, work: () => Promise<APIGatewayProxyResult>) => Promise<APIGatewayProxyResult>;

type Write = (req: ApiRequest) => Promise<APIGatewayProxyResult>;

/** `write` wrapped so that it runs at most once per user, operation and Idempotency-Key. */
export function idempotent(operation: string, write: Write): Write {
  // Built on first use: TABLE_NAME and the endpoint are read then.
  let state: { config: IdempotencyConfig; run: Runner } | undefined;
  const init = () => {
    const endpoint = process.env.DYNAMODB_ENDPOINT;
    const config = new IdempotencyConfig({ expiresAfterSeconds: 3600, hashFunction: 'sha256', eventKeyJmesPath: 'key', payloadValidationJmesPath: 'body' });
    const run = makeIdempotent((_scope: unknown, work: () => Promise<APIGatewayProxyResult>) => work(), {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: tableName(),
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        expiryAttr: 'expiresAt',
        staticPkValue: `IDEMPOTENCY#${operation}`,
        awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {})),
      }),
      config,
      keyPrefix: operation,
      dataIndexArgument: 0,
    }) as Runner;
    return { config, run };
  };

  return async (req) => {
    const headers = req.event.headers ?? {};
    const name = Object.keys(headers).find((h) => h.toLowerCase() === IDEMPOTENCY_HEADER.toLowerCase());
    const key = name === undefined ? undefined : headers[name];
    if (key === undefined) return write(req);
    if (!z.safeParse(keySchema, key).success) throw badRequest(`${IDEMPOTENCY_HEADER} must be 1-255 visible ASCII characters`, undefined, 'VALIDATION_FAILED');
    const userId = req.caller.userId;
    state ??= init();
    state.config.registerLambdaContext(req.context);
    try {
      // The key (user + header, plus the path: /tasks/{id}/... ids) is hashed into the record's sort key.
      return await state.run({ key: { userId, key, path: req.event.path }, body: req.event.body ?? null }, () => write(req));
    } catch (err) {
      if (err instanceof IdempotencyValidationError) {
        throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', `This ${IDEMPOTENCY_HEADER} was already used with a different request body`);
      }
      if (err instanceof IdempotencyAlreadyInProgressError) {
        throw conflict('IDEMPOTENCY_IN_PROGRESS', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly`);
      }
      throw err;
    }
  };
}
