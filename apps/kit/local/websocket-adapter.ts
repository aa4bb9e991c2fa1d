/**
 * The local stand-in for an API Gateway WebSocket API (Lambda integrations, a Lambda REQUEST
 * authorizer on `$connect`) and its `@connections` management endpoint, over a real `ws` server.
 *
 * - `$connect`: the token comes from the query string (`?token=`) or the `Authorization` header
 *   (`Bearer ` optional), as the deployed authorizer's identity source; `authorize` decides. A
 *   refusal answers the upgrade with 401 (no or bad token) or 403 (denied), as API Gateway does.
 *   The `$connect` handler then gets the event with `requestContext.authorizer` (the context plus
 *   `principalId`); a non-2xx status from it refuses the upgrade with that status.
 * - Messages: every text frame goes to `$default` (no route selection by `action`: apps here route
 *   nothing else). Binary frames are passed base64-encoded.
 * - Close: `$disconnect` (its result is ignored, as API Gateway ignores it).
 * - `POST|GET|DELETE /<stage>/@connections/<id>` (the `@` may be percent-encoded, as the SDK sends
 *   it) on the same port: send a frame, describe, close. An unknown or closed connection answers
 *   410 with `x-amzn-errortype: GoneException`, which the SDK turns into `GoneException`.
 *   Requests are not signature-checked (any credentials do).
 * - Not emulated: idle timeout (10 min) and 2-hour connection limit, frame size limits (32 KB),
 *   throttling, route selection expressions, access logs.
 */
import { randomBytes, randomUUID } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import type { AddressInfo } from 'net';
import { WebSocket, WebSocketServer } from 'ws';
import { readBody } from './read-body';

export type WebSocketRouteKey = '$connect' | '$disconnect' | '$default';

/** What the authorizer made of the token of a `$connect`. */
export type WebSocketAuthorizerResult =
  | { readonly ok: true; readonly principalId: string; readonly context: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly statusCode: 401 | 403 };

/** The event API Gateway sends a WebSocket route's function (APIGatewayProxyWebsocketEventV2 plus headers, query and authorizer). */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly routeKey: WebSocketRouteKey;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly connectionId: string;
    readonly connectedAt: number;
    readonly requestId: string;
    readonly extendedRequestId: string;
    readonly messageId?: string;
    readonly messageDirection: 'IN';
    readonly requestTime: string;
    readonly requestTimeEpoch: number;
    readonly stage: string;
    readonly domainName: string;
    readonly apiId: string;
    readonly identity: { readonly sourceIp: string; readonly userAgent?: string };
    readonly authorizer?: Readonly<Record<string, string>>;
    readonly disconnectStatusCode?: number;
    readonly disconnectReason?: string;
  };
  readonly headers?: Record<string, string>;
  readonly queryStringParameters?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

export interface WebSocketAdapterOptions {
  /** Verifies the token of a `$connect` (undefined when the request carries none). */
  readonly authorize: (token: string | undefined) => WebSocketAuthorizerResult | Promise<WebSocketAuthorizerResult>;
  /** Invokes the route's function with the event and returns its raw result. */
  readonly invoke: (routeKey: WebSocketRouteKey, event: WebSocketEvent) => Promise<unknown>;
  /** Stage name (WebSocketApi's default). */
  readonly stage?: string;
  /** Port on loopback (default: a free one). */
  readonly port?: number;
  /** Route failures (a function threw); default console.error. */
  readonly onError?: (routeKey: WebSocketRouteKey, error: unknown) => void;
}

export interface WebSocketAdapter {
  /** `ws://127.0.0.1:<port>/<stage>`: where clients connect (`?token=<jwt>`). */
  readonly url: string;
  /** `http://127.0.0.1:<port>/<stage>`: the management endpoint (ApiGatewayManagementApiClient `endpoint`). */
  readonly callbackUrl: string;
  /** Ids of the open connections. */
  connectionIds(): string[];
  close(): Promise<void>;
}

interface Connection {
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly authorizer: Record<string, string>;
  readonly sourceIp: string;
  readonly userAgent?: string;
  lastActiveAt: number;
}

/** The most a back end may post to a connection in one message. */
export const MAX_POST_BYTES = 128 * 1024;
const CONNECTIONS_PATH = /^\/([^/]+)\/(?:@|%40)connections\/([^/?]+)$/i;

/** Starts the adapter on loopback. */
export async function startWebSocketAdapter(options: WebSocketAdapterOptions): Promise<WebSocketAdapter> {
  const stage = options.stage ?? 'v1';
  const apiId = randomBytes(5).toString('hex');
  const connections = new Map<string, Connection>();
  const onError = options.onError ?? ((routeKey, err) => console.error(`WebSocket route ${routeKey} failed:`, err));
  const wss = new WebSocketServer({ noServer: true });
  const server: Server = createServer((req, res) => {
    void manage(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err) }));
    });
  });

  let domainName = '127.0.0.1';
  const context = (routeKey: WebSocketRouteKey, connectionId: string, c: Pick<Connection, 'connectedAt' | 'authorizer' | 'sourceIp' | 'userAgent'>) => {
    const now = Date.now();
    return {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' as const : routeKey === '$disconnect' ? 'DISCONNECT' as const : 'MESSAGE' as const,
      connectionId,
      connectedAt: c.connectedAt,
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      messageDirection: 'IN' as const,
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      stage,
      domainName,
      apiId,
      identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
      authorizer: c.authorizer,
    };
  };

  async function invoke(routeKey: WebSocketRouteKey, event: WebSocketEvent): Promise<number> {
    try {
      const result = await options.invoke(routeKey, event) as { statusCode?: number } | undefined;
      return typeof result?.statusCode === 'number' ? result.statusCode : 200;
    } catch (err) {
      onError(routeKey, err);
      return 500;
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const refuse = (status: number, text: string) => {
        socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      };
      if (url.pathname.replace(/\/$/, '') !== `/${stage}` && url.pathname !== '/') return refuse(404, 'Not Found');
      const header = req.headers.authorization;
      const token = url.searchParams.get('token') ?? (header ? header.replace(/^Bearer\s+/i, '') : undefined);
      const auth = await options.authorize(token ?? undefined);
      if (!auth.ok) return refuse(auth.statusCode, auth.statusCode === 401 ? 'Unauthorized' : 'Forbidden');

      const connectionId = `${randomBytes(9).toString('base64').replace(/[+/]/g, 'A')}=`;
      const info = {
        connectedAt: Date.now(),
        authorizer: { ...auth.context, principalId: auth.principalId },
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'],
      };
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
      const query = Object.fromEntries(url.searchParams.entries());
      const status = await invoke('$connect', {
        requestContext: context('$connect', connectionId, info),
        headers,
        queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
        isBase64Encoded: false,
      });
      if (status < 200 || status > 299) return refuse(status, 'Refused');

      wss.handleUpgrade(req, socket, head, (ws) => {
        const connection: Connection = { socket: ws, ...info, lastActiveAt: Date.now() };
        connections.set(connectionId, connection);
        ws.on('message', (data, isBinary) => {
          connection.lastActiveAt = Date.now();
          const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          void invoke('$default', {
            requestContext: { ...context('$default', connectionId, connection), messageId: randomBytes(6).toString('base64') },
            body: isBinary ? buffer.toString('base64') : buffer.toString('utf8'),
            isBase64Encoded: isBinary,
          });
        });
        ws.on('close', (code, reason) => {
          connections.delete(connectionId);
          void invoke('$disconnect', {
            requestContext: { ...context('$disconnect', connectionId, connection), disconnectStatusCode: code, disconnectReason: reason.toString() },
            isBase64Encoded: false,
          });
        });
      });
    })().catch(() => socket.destroy());
  });

  async function manage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = CONNECTIONS_PATH.exec((req.url ?? '').split('?')[0]);
    if (!match || match[1] !== stage) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const id = decodeURIComponent(match[2]);
    const connection = connections.get(id);
    const body = await readBody(req, MAX_POST_BYTES);
    if (!body) {
      res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'PayloadTooLargeException' }).end(JSON.stringify({ message: 'over 128 KB' }));
      return;
    }
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) {
      res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' })
        .end(JSON.stringify({ message: `connection ${id} is gone` }));
      return;
    }
    switch (req.method) {
      case 'POST':
        // API Gateway delivers the posted bytes as one text frame.
        await new Promise<void>((resolve, reject) => connection.socket.send(body.toString('utf8'), (err) => (err ? reject(err) : resolve())));
        res.writeHead(200).end();
        return;
      case 'GET':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          connectedAt: new Date(connection.connectedAt).toISOString(),
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        }));
        return;
      case 'DELETE':
        connection.socket.close(1000);
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(405).end();
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  domainName = `127.0.0.1:${port}`;
  return {
    url: `ws://127.0.0.1:${port}/${stage}`,
    callbackUrl: `http://127.0.0.1:${port}/${stage}`,
    connectionIds: () => [...connections.keys()],
    close: async () => {
      for (const c of connections.values()) c.socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
