import { ok } from './lib/http';
import { routeHandler } from './lib/routing';

/** Reported version: set by the stack (CLOUDVAULT_VERSION) from the package version. */
const version = process.env.CLOUDVAULT_VERSION ?? '0.0.0-dev';

/** GET /api/health: unauthenticated liveness probe; touches no data and returns no tenant information. */
export const handler = routeHandler('health', {
  'GET /api/health': async () => ok({ status: 'ok', version }),
});
