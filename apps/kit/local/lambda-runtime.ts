/**
 * Runs an app's Lambda handlers in this process, from source: `apps/<app>/handlers/<name>.lambda.ts`
 * is loaded on its first invocation (so the environment local mode sets up is in place before any
 * handler module reads it, and a handler that is not written yet only fails its own routes),
 * then invoked with a Lambda context as the Lambda runtime would.
 */
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import * as path from 'path';
import type { Context } from 'aws-lambda';
import { GatewayError } from './http-adapter';

export type LambdaHandler = (event: unknown, context: Context, callback?: (err: unknown, result?: unknown) => void) => unknown;

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

/** The handlers of one app (`<handlersDir>/<name>.lambda.ts`), run in this process from source. */
export class LambdaRuntime {
  /**
   * @param handlersDir the app's handlers folder
   * @param functionPrefix the function name in each invocation's context is `<functionPrefix>-<name>`
   */
  constructor(readonly handlersDir: string, private readonly functionPrefix: string) {}

  /** The source file of handler `name`. */
  source(name: string): string {
    return path.join(this.handlersDir, `${name}.lambda.ts`);
  }

  /** True when the handler's source file exists. */
  exists(name: string): boolean {
    return existsSync(this.source(name));
  }

  /**
   * The module of handler `name` (loaded once; a module that failed to load is retried next time).
   * A missing file is a 501 GatewayError naming the file.
   */
  load(name: string): Record<string, unknown> {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new GatewayError(500, `Invalid handler name "${name}"`);
    const file = this.source(name);
    if (!existsSync(file)) {
      throw new GatewayError(501, `Handler "${name}" is not implemented yet (${path.relative(process.cwd(), file)} does not exist)`);
    }
    // require, not import(): ts-node and Jest hook require to compile the TypeScript source.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as Record<string, unknown>;
  }

  /**
   * Invokes handler `name` with `event` and returns its result. Async handlers and callback-style
   * handlers are both supported; a thrown error or a callback error rejects.
   */
  async invoke(name: string, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const handler = this.load(name).handler;
    if (typeof handler !== 'function') throw new GatewayError(501, `Handler "${name}" exports no function named "handler"`);
    return invokeLambdaHandler(handler as LambdaHandler, event, lambdaContext(`${this.functionPrefix}-${name}`, options.timeoutMs ?? 30_000, options.memoryMb));
  }
}

/** Calls `handler` as the Lambda runtime would: async or callback style; a throw or callback error rejects. */
function invokeLambdaHandler(handler: LambdaHandler, event: unknown, context: Context): Promise<unknown> {
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
