/**
 * One route of an app's REST API and the handler that serves it. Each app declares its routes once
 * (apps/<app>/infra/routes.ts): its API stack wires them into the SecureRestApi and local mode serves
 * the same table over HTTP (local/http-adapter.ts), so the two cannot drift.
 */
export interface RouteDefinition {
  /** Construct id of the route (unique). */
  readonly name: string;
  /** Route template, as in `event.resource`. */
  readonly path: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The handler file `apps/<app>/handlers/<handler>.lambda.ts`. */
  readonly handler: string;
  /** Why the route is reachable without a token; absent for authenticated routes. */
  readonly publicReason?: string;
}
