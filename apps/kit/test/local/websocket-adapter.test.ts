import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket } from 'ws';
import { WebSocketAdapter, WebSocketEvent, WebSocketRouteKey, startWebSocketAdapter } from '../../local/websocket-adapter';

// The WebSocket stand-in with a real ws client and the real SDK management client.
const events: Array<{ routeKey: WebSocketRouteKey; event: WebSocketEvent }> = [];
let adapter: WebSocketAdapter;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  adapter = await startWebSocketAdapter({
    authorize: (token) => {
      if (!token) return { ok: false, statusCode: 401 };
      if (token === 'denied') return { ok: false, statusCode: 403 };
      return { ok: true, principalId: `user-${token}`, context: { tenantId: 'tenant-a' } };
    },
    invoke: async (routeKey, event) => {
      events.push({ routeKey, event });
      return { statusCode: event.queryStringParameters?.refuse === 'yes' ? 403 : 200 };
    },
  });
  management = new ApiGatewayManagementApiClient({ endpoint: adapter.callbackUrl, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  management?.destroy();
  await adapter?.close();
});

function open(query: string): Promise<{ socket: WebSocket; received: string[] } | number> {
  const socket = new WebSocket(`${adapter.url}${query}`);
  const received: string[] = [];
  socket.on('message', (data) => received.push(String(data)));
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ socket, received }));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
};

test('$connect needs a token (401), an allowed one (403), and the connect handler\'s 2xx', async () => {
  expect(await open('')).toBe(401);
  expect(await open('?token=denied')).toBe(403);
  expect(await open('?token=1&refuse=yes')).toBe(403);
  expect(adapter.connectionIds()).toEqual([]);
});

test('events carry the route, the connection and the authorizer context; @connections sends, describes and closes', async () => {
  events.length = 0;
  const client = await open('?token=7');
  if (typeof client === 'number') throw new Error(`refused with ${client}`);
  const connect = events.find((e) => e.routeKey === '$connect')!.event;
  expect(connect.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', stage: 'v1', authorizer: { tenantId: 'tenant-a', principalId: 'user-7' } });
  const id = connect.requestContext.connectionId;
  expect(adapter.connectionIds()).toEqual([id]);

  client.socket.send('{"action":"ping"}');
  await until(() => events.some((e) => e.routeKey === '$default'));
  const message = events.find((e) => e.routeKey === '$default')!.event;
  expect(message).toMatchObject({ body: '{"action":"ping"}', isBase64Encoded: false, requestContext: { connectionId: id, eventType: 'MESSAGE', authorizer: { principalId: 'user-7' } } });

  await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"hello":1}') }));
  await until(() => client.received.length > 0);
  expect(client.received).toEqual(['{"hello":1}']);
  expect(await management.send(new GetConnectionCommand({ ConnectionId: id }))).toMatchObject({ ConnectedAt: expect.any(Date), Identity: { SourceIp: '127.0.0.1' } });

  await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
  await until(() => events.some((e) => e.routeKey === '$disconnect'));
  expect(adapter.connectionIds()).toEqual([]);
  await expect(management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('late') }))).rejects.toBeInstanceOf(GoneException);
});
