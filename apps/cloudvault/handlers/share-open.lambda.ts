/**
 * The public share-open route (GET /api/shares/{token}) in a function of its own: the link code of
 * shares/open.ts, run under a role that can only find a link by token, count its downloads and
 * wrong passwords, read the file's current version and sign its download (infra/handler-permissions.ts).
 * It serves that one route; any other is a 404 or 405 here.
 */
import { routeHandler } from './lib/routing';
import { openShare } from './shares/open';

export const handler = routeHandler('share-open', {
  'GET /api/shares/{token}': openShare,
});
