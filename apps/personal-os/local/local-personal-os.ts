/**
 * Personal OS on localhost: the real handlers (from source, in this process) behind the kit's
 * API Gateway stand-in (same route table as the deployed API), against DynamoDB Local with the
 * same table schema, and dev tokens in place of Cognito tokens (`Authorization: Bearer <token>`).
 *
 * The handlers read their configuration from process.env when they first create a client, so it
 * is set before the first request and one instance runs per process.
 */
import { createServer } from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { DevTokens, DevUser, IssueOptions, apiGatewayClaims } from '../../kit/local/dev-tokens';
import { DynamoDbLocal, startDynamoDbLocal } from '../../kit/local/dynamodb-local';
import { AccessLogEntry, apiGatewayAdapter } from '../../kit/local/http-adapter';
import { LambdaRuntime } from '../../kit/local/lambda-runtime';
import { ROUTES } from '../infra/routes';
import { TABLE_SCHEMA } from '../infra/table-schema';

export interface LocalPersonalOsOptions {
  /** API port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Handler logs and one access log line per request. */
  readonly verbose?: boolean;
}

export interface LocalPersonalOs {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly dynamoDb: DynamoDbLocal;
  readonly tableName: string;
  /** A dev token for `user` (any user id works: users exist in Cognito, not in the table). */
  token(user: DevUser, options?: IssueOptions): string;
  stop(): Promise<void>;
}

const HANDLERS = new LambdaRuntime(path.resolve(__dirname, '..', 'handlers'), 'personal-os-local');
let started = false;

/** Starts DynamoDB Local and the API. */
export async function startLocalPersonalOs(options: LocalPersonalOsOptions = {}): Promise<LocalPersonalOs> {
  if (started) throw new Error('One LocalPersonalOs per process: the handlers\' DynamoDB client stays bound to the first one');
  started = true;
  const dynamoDb = await startDynamoDbLocal();
  try {
    const tableName = await dynamoDb.createTable(TABLE_SCHEMA, 'personal-os-local');
    const env = process.env;
    env.AWS_REGION ||= 'eu-west-1';
    // DynamoDB Local accepts any credentials; these never reach AWS.
    env.AWS_ACCESS_KEY_ID = 'local';
    env.AWS_SECRET_ACCESS_KEY = 'local';
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    env.TABLE_NAME = tableName;
    env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
    env.STAGE = 'local';
    env.POWERTOOLS_SERVICE_NAME = 'personal-os-local';
    env.POWERTOOLS_TRACE_ENABLED = 'false';
    env.POWERTOOLS_LOG_LEVEL = options.verbose ? (env.POWERTOOLS_LOG_LEVEL || 'INFO') : 'SILENT';
    env.POWERTOOLS_METRICS_DISABLED = options.verbose ? 'false' : 'true';

    const tokens = new DevTokens();
    const api = apiGatewayAdapter({
      routes: ROUTES,
      invoke: (route, event) => HANDLERS.invoke(route.handler, event, { timeoutMs: 10_000 }),
      authorize: (token) => {
        const result = tokens.verify(token);
        return result.ok ? { ok: true, claims: apiGatewayClaims(result.claims) } : { ok: false, expired: result.reason === 'expired' };
      },
      onResponse: options.verbose ? (e: AccessLogEntry) => console.error(`[local] ${e.method} ${e.path} -> ${e.status} (${e.durationMs} ms)`) : undefined,
      onIntegrationError: (route, err) => console.error(`[local] ${route.method} ${route.path} (${route.handler}) failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
    });
    const server = createServer(api);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      dynamoDb,
      tableName,
      token: (user, issueOptions) => tokens.issue(user, issueOptions),
      async stop() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await dynamoDb.stop();
      },
    };
  } catch (err) {
    await dynamoDb.stop();
    throw err;
  }
}
