import type { APIGatewayProxyResult } from 'aws-lambda';
import { MethodNotAllowedError, NotFoundError } from './errors';
import { ApiHandler, ApiRequest, withApiHandler } from './observability';
import { ApiHandlerName, ROUTES } from '../../infra/routes';

/** A route function: what one route of the table does. */
export type RouteFunction = (req: ApiRequest) => Promise<APIGatewayProxyResult>;

/** A handler's routes by key, `'GET /api/files/{id}'`: method and path template as infra/routes.ts declares them. */
export type RouteTable = Readonly<Record<string, RouteFunction>>;

/** The key of a route: `<method> <path template>`, as API Gateway sends them in httpMethod and resource. */
export const routeKey = (method: string, path: string): string => `${method} ${path}`;

/** A route as a handler implements it. */
export interface ImplementedRoute {
  readonly handler: ApiHandlerName;
  readonly key: string;
}

const implemented: ImplementedRoute[] = [];

/** Every route implemented by a routeHandler of this process: the route-table test compares them with infra/routes.ts. */
export const implementedRoutes = (): readonly ImplementedRoute[] => [...implemented];

/** The keys of the routes infra/routes.ts assigns to `handler`, sorted. */
export function declaredRoutes(handler: ApiHandlerName): string[] {
  return ROUTES.filter((r) => r.handler === handler).map((r) => routeKey(r.method, r.path)).sort();
}

/**
 * The Lambda handler of `handler`: one route function per route infra/routes.ts assigns to it,
 * checked when the module loads, so the table and the code cannot drift (a route declared there
 * and not implemented here, or the reverse, fails every test that loads the handler). Requests go
 * through withApiHandler (logging, tracing, metrics, JSON errors); a path of this handler with
 * another method is a 405, any other path a 404.
 */
export function routeHandler(handler: ApiHandlerName, routes: RouteTable): ApiHandler {
  const declared = declaredRoutes(handler);
  const keys = Object.keys(routes).sort();
  if (declared.join('\n') !== keys.join('\n')) {
    throw new Error(`Handler "${handler}": infra/routes.ts declares [${declared.join(', ')}] but it implements [${keys.join(', ')}]`);
  }
  implemented.push(...keys.map((key) => ({ handler, key })));
  const paths = new Set(ROUTES.filter((r) => r.handler === handler).map((r) => r.path));

  return withApiHandler(async (req) => {
    const { httpMethod: method, resource } = req.event;
    const route = routes[routeKey(method, resource)];
    if (route) return route(req);
    if (paths.has(resource)) throw new MethodNotAllowedError(method, resource);
    throw new NotFoundError(`No route for ${resource}`);
  });
}
