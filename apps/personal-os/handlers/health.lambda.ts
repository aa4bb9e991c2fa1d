import { routeHandler } from './lib/api-handler';
import { ok } from './lib/http';

/** GET /health: public liveness probe; touches no data. */
export const handler = routeHandler('health', {
  'GET /health': async () => ok({ status: 'healthy', stage: process.env.STAGE ?? 'local', timestamp: new Date().toISOString() }),
});
