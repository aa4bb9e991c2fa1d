/**
 * Runs CloudVault's Lambda handlers in this process, from source: `src/cloudvault/handlers/<name>.lambda.ts`
 * is loaded on its first invocation (so the environment local mode sets up is in place before any
 * handler module reads it, and a handler that is not written yet only fails its own routes),
 * then invoked with a Lambda context as the Lambda runtime would.
 */
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import * as path from 'path';
import type { Context } from 'aws-lambda';
import { GatewayError } from './http-adapter';

/** Where the handler sources live. */
export const HANDLERS_DIR = path.resolve(__dirname, '..', 'handlers');

export type LambdaHandler = (event: unknown, context: Context, callback?: (err: unknown, result?: unknown) => void) => unknown;

/** The source file of handler `name`. */
export function handlerSource(name: string): string {
  return path.join(HANDLERS_DIR, `${name}.lambda.ts`);
}

/** True when `src/cloudvault/handlers/<name>.lambda.ts` exists. */
export function handlerExists(name: string): boolean {
  return existsSync(handlerSource(name));
}

/**
 * The module of handler `name` (loaded once; a module that failed to load is retried next time).
 * A missing file is a 501 GatewayError naming the file.
 */
export function loadHandlerModule(name: string): Record<string, unknown> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new GatewayError(500, `Invalid handler name "${name}"`);
  const file = handlerSource(name);
  if (!existsSync(file)) {
    throw new GatewayError(501, `Handler "${name}" is not implemented yet (${path.relative(process.cwd(), file)} does not exist)`);
  }
  // require, not import(): ts-node and Jest hook require to compile the TypeScript source.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, unknown>;
}

function loadHandler(name: string): LambdaHandler {
  const handler = loadHandlerModule(name).handler;
  if (typeof handler !== 'function') throw new GatewayError(501, `Handler "${name}" exports no function named "handler"`);
  return handler as LambdaHandler;
}

/** A Lambda context for one invocation of `functionName`. */
export function lambdaContext(functionName: string, timeoutMs: number, memoryMb = 512): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'eu-west-1'}:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface InvokeOptions {
  /** The function's timeout (only reported through the context; work is not cut off). */
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
}

/**
 * Invokes handler `name` with `event` and returns its result. Async handlers and callback-style
 * handlers are both supported; a thrown error or a callback error rejects.
 */
export async function invokeHandler(name: string, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
  const handler = loadHandler(name);
  const context = lambdaContext(`cloudvault-local-${name}`, options.timeoutMs ?? 30_000, options.memoryMb);
  return new Promise<unknown>((resolve, reject) => {
    const callback = (err: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned !== undefined && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (err) {
      reject(err);
    }
  });
}
