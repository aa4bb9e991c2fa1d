import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

/** What a fan-out did: delivered, found gone (410, then forgotten), failed otherwise. */
export interface FanOutResult {
  readonly sent: number;
  readonly gone: number;
  readonly failed: number;
  /** The failures, for the caller to log. */
  readonly errors: unknown[];
}

let client: ApiGatewayManagementApiClient | undefined;

/** The @connections client, created once per container; WS_CALLBACK_URL is the stage's https URL (or the local adapter's). */
function managementClient(): ApiGatewayManagementApiClient {
  client ??= new ApiGatewayManagementApiClient({ endpoint: process.env.WS_CALLBACK_URL });
  return client;
}

/**
 * Sends `message` to one connection; false when API Gateway says it is gone (410), after
 * `forget` removed it from the app's connection store.
 */
export async function sendTo(connectionId: string, message: unknown, forget: (connectionId: string) => Promise<void>): Promise<boolean> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
    return true;
  } catch (err) {
    if (err instanceof GoneException || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) {
      await forget(connectionId);
      return false;
    }
    throw err;
  }
}

/** Sends `message` to every connection in parallel; stale ones are forgotten, failures counted, never thrown. */
export async function fanOut(connectionIds: string[], message: unknown, forget: (connectionId: string) => Promise<void>): Promise<FanOutResult> {
  const outcomes = await Promise.allSettled(connectionIds.map((id) => sendTo(id, message, forget)));
  const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
  return {
    sent: outcomes.filter((o) => o.status === 'fulfilled' && o.value).length,
    gone: outcomes.filter((o) => o.status === 'fulfilled' && !o.value).length,
    failed: errors.length,
    errors,
  };
}
