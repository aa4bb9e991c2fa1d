import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { HttpError } from '../../handlers/http';
import { WebSocketEvent, webSocketRouteHandler } from '../../handlers/websocket-routes';

// The route handling both apps' `connections` functions share (command center, PersonalPod).
describe('webSocketRouteHandler', () => {
  const context = { functionName: 'connections', awsRequestId: 'r1' } as Context;
  const event = (routeKey: string, body?: string, authorizer?: Record<string, unknown>) =>
    ({ requestContext: { routeKey, connectionId: 'c1', authorizer }, body } as unknown as WebSocketEvent);

  function routes(overrides: { connect?: () => Promise<void> } = {}) {
    const calls: string[] = [];
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const handler = webSocketRouteHandler({
      logger,
      metrics: new Metrics({ serviceName: 'test', namespace: 'Test' }),
      tracer: new Tracer({ serviceName: 'test', enabled: false }),
      connect: overrides.connect ?? (async (id, authorizer) => { calls.push(`connect ${id} ${JSON.stringify(authorizer)}`); }),
      disconnect: async (id) => { calls.push(`disconnect ${id}`); },
      send: async (id, message) => { calls.push(`send ${id} ${JSON.stringify(message)}`); },
    });
    return { handler, calls, logger };
  }

  test('$connect hands the authorizer context to the app; $disconnect forgets the connection', async () => {
    const { handler, calls } = routes();
    expect(await handler(event('$connect', undefined, { userId: 'u1' }), context)).toEqual({ statusCode: 200, body: '' });
    expect(await handler(event('$disconnect'), context)).toEqual({ statusCode: 200, body: '' });
    expect(calls).toEqual(['connect c1 {"userId":"u1"}', 'disconnect c1']);
  });

  test('$default answers a ping with a pong and anything else with an error message', async () => {
    const { handler, calls } = routes();
    for (const body of ['{"action":"ping"}', '{"action":"drop"}', 'not json', undefined]) {
      expect(await handler(event('$default', body), context)).toEqual({ statusCode: 200, body: '' });
    }
    const error = 'send c1 {"type":"error","message":"unknown message; send {\\"action\\":\\"ping\\"}"}';
    expect(calls).toEqual(['send c1 {"type":"pong"}', error, error, error]);
  });

  test('an HttpError from the app answers its status; any other failure is a logged 500', async () => {
    const refused = routes({ connect: async () => { throw new HttpError(403, 'FORBIDDEN', 'no tenant'); } });
    expect(await refused.handler(event('$connect'), context)).toEqual({ statusCode: 403, body: 'no tenant' });

    const broken = routes({ connect: async () => { throw new Error('store down'); } });
    const logged = jest.spyOn(broken.logger, 'error');
    expect(await broken.handler(event('$connect'), context)).toEqual({ statusCode: 500, body: 'internal error' });
    expect(logged).toHaveBeenCalledWith('websocket route failed', expect.objectContaining({ message: 'store down' }));
  });
});
