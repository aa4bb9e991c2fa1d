/**
 * Idempotent writes with Powertools idempotency, persisted in the single CloudVault table.
 *
 * A client that may retry a write sends an `Idempotency-Key` header (any visible ASCII, up to 255
 * characters). The first request with a given scope (tenant + key + whatever the operation adds
 * besides the body) runs; the same key with a different `body` in the scope is a 422; a retry within the window gets the stored result instead of
 * running again; a retry while the first is still running gets a 409. Without the header nothing
 * is deduplicated.
 *
 * Records: pk `idempotency#<operation>`, sk `<operation>#<sha256 of the scope>`, TTL `expiresAt`.
 * The scope is only hashed, so records hold no tenant data beyond the stored result. The scope
 * must contain the tenant: two tenants' equal keys and bodies are different records.
 *
 *   const createOnce = idempotentOperation('files.createUpload');
 *   const result = await createOnce(idempotencyKeyOf(event), { tenantId, body }, context, () => create(body));
 */
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyValidationError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { tableName } from './clients';
import { ConflictError, HttpError, ValidationError } from './errors';
import { idempotencyPk } from './keys';
import { tracer } from './observability';
import './zod-locale';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

const keySchema = z.string().check(
  z.minLength(1, { message: 'must not be empty' }),
  z.maxLength(255, { message: 'must be at most 255 characters' }),
  z.regex(/^[\x21-\x7e]+$/, { message: 'must be visible ASCII characters without spaces' }),
);

/** The request's Idempotency-Key header (names are case-insensitive), validated; undefined when absent. */
export function idempotencyKeyOf(event: APIGatewayProxyEvent): string | undefined {
  const headers = event.headers ?? {};
  const name = Object.keys(headers).find((h) => h.toLowerCase() === IDEMPOTENCY_HEADER.toLowerCase());
  const value = name === undefined ? undefined : headers[name];
  if (value === undefined) return undefined;
  const parsed = z.safeParse(keySchema, value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: `headers.${IDEMPOTENCY_HEADER}`, message: i.message }));
    throw new ValidationError(`Invalid headers: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  }
  return parsed.data;
}

export interface IdempotentOperationOptions {
  /** How long a result is replayed. @default 3600 (1 hour) */
  readonly expiresAfterSeconds?: number;
}

/** Runs `work` at most once per (key, scope) within the window; without a key it simply runs. */
export type IdempotentRunner = <R>(key: string | undefined, scope: Record<string, unknown>, context: Context, work: () => Promise<R>) => Promise<R>;

/**
 * An idempotent operation named `operation` (unique per table, e.g. `files.createUpload`). The
 * result of `work` must be JSON-serializable: a replay returns it parsed from the stored record.
 */
export function idempotentOperation(operation: string, options: IdempotentOperationOptions = {}): IdempotentRunner {
  // Built on first use: TABLE_NAME and the endpoint are read then (tests set them late).
  let state: { config: IdempotencyConfig; run: (scope: unknown, work: () => Promise<unknown>) => Promise<unknown> } | undefined;
  const init = () => {
    const endpoint = process.env.DYNAMODB_ENDPOINT;
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: tableName(),
      // The table's own key and TTL attributes (table-schema.ts).
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      expiryAttr: 'expiresAt',
      staticPkValue: idempotencyPk(operation),
      awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {})),
    });
    // The record is keyed by the scope without the body; the body is hashed separately, so the same
    // key with another body is refused (422) instead of silently creating a second resource.
    const config = new IdempotencyConfig({
      expiresAfterSeconds: options.expiresAfterSeconds ?? 3600,
      hashFunction: 'sha256',
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'payload',
    });
    // The scope (argument 0) is hashed; the work closure (argument 1) is what runs.
    const run = makeIdempotent((_scope: unknown, work: () => Promise<unknown>) => work(), {
      persistenceStore,
      config,
      keyPrefix: operation,
      dataIndexArgument: 0,
    });
    return { config, run };
  };

  return async <R>(key: string | undefined, scope: Record<string, unknown>, context: Context, work: () => Promise<R>): Promise<R> => {
    if (key === undefined) return work();
    state ??= init();
    // A record left IN_PROGRESS by a timed-out invocation expires with that invocation's deadline.
    state.config.registerLambdaContext(context);
    try {
      const { body, ...rest } = scope;
      return (await state.run({ key: { ...rest, idempotencyKey: key }, payload: body ?? null }, work)) as R;
    } catch (err) {
      if (err instanceof IdempotencyValidationError) {
        throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', `This ${IDEMPOTENCY_HEADER} was already used with a different request body; use a new key for a new request`);
      }
      if (err instanceof IdempotencyAlreadyInProgressError) {
        throw new ConflictError(`A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly`, undefined, 'IDEMPOTENCY_IN_PROGRESS');
      }
      throw err;
    }
  };
}
