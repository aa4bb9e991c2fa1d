/**
 * A scripted HTTP server on loopback that stands in for patchwork.kernel.org and lore.kernel.org
 * in tests: each path (with its query) answers the responses queued for it in order, the last one
 * repeating, and counts the requests it got. A response may hang (never answer) to exercise timeouts.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

export interface FixtureResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Never answer (the client's timeout must fire). */
  readonly hang?: boolean;
}

export interface FixtureServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests received per path and query. */
  readonly requests: Map<string, number>;
  /** Every request, in order. */
  readonly log: string[];
  /** Queue `responses` for `pathAndQuery` (e.g. `/api/1.3/patches/?project=x&page=1`); replaces earlier ones. */
  on(pathAndQuery: string, ...responses: FixtureResponse[]): void;
  reset(): void;
  close(): Promise<void>;
}

/** The same query parameters in any order count as the same URL. */
export function canonical(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://fixture');
  url.searchParams.sort();
  return url.pathname + url.search;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const routes = new Map<string, FixtureResponse[]>();
  const requests = new Map<string, number>();
  const log: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = canonical(req.url ?? '/');
    log.push(key);
    const count = (requests.get(key) ?? 0) + 1;
    requests.set(key, count);
    const queue = routes.get(key);
    const response = queue ? queue[Math.min(count - 1, queue.length - 1)] : { status: 404, body: 'no fixture' };
    if (response.hang) return; // the socket stays open until the client gives up
    res.writeHead(response.status ?? 200, response.headers ?? {});
    res.end(response.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    log,
    on: (pathAndQuery, ...responses) => routes.set(canonical(pathAndQuery), responses),
    reset: () => { routes.clear(); requests.clear(); log.length = 0; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
