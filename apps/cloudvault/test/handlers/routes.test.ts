import '../../../kit/test/handler-env'; // before the handlers: Powertools reads it at module load
import { readdirSync } from 'fs';
import * as path from 'path';
import { apiEvent, expectError, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { handler as health } from '../../handlers/health.lambda';
import { implementedRoutes, routeHandler } from '../../handlers/lib/routing';
import { ROUTES } from '../../infra/routes';

const HANDLERS_DIR = path.join(__dirname, '../../handlers');

describe('one dispatch per handler, derived from infra/routes.ts', () => {
  beforeAll(() => {
    // Every handler file, API or not: a route implemented anywhere is counted.
    for (const file of readdirSync(HANDLERS_DIR).filter((f) => f.endsWith('.lambda.ts'))) {
      jest.requireActual(path.join(HANDLERS_DIR, file));
    }
  }, 60_000);

  test('every route of routes.ts has exactly one implementation, in the handler routes.ts names', () => {
    const implemented = implementedRoutes();
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      expect({ key, handlers: implemented.filter((i) => i.key === key).map((i) => i.handler) }).toEqual({ key, handlers: [route.handler] });
    }
  });

  test('no handler implements a route that routes.ts lacks', () => {
    const declared = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(implementedRoutes().filter((i) => !declared.has(i.key))).toEqual([]);
  });
});

describe('routeHandler', () => {
  const ok = async () => ({ statusCode: 200, body: '' });

  test('refuses a table that misses a declared route or adds one routes.ts lacks', () => {
    expect(() => routeHandler('health', {})).toThrow(/declares \[GET \/api\/health\] but it implements \[\]/);
    expect(() => routeHandler('health', { 'GET /api/health': ok, 'POST /api/health': ok })).toThrow(/POST \/api\/health/);
    expect(() => routeHandler('analytics', { 'POST /api/analytics': ok })).toThrow(/GET \/api\/analytics/);
  });

  test('a path of the handler with another method is a 405, any other path a 404, both as JSON', async () => {
    expectError(parseResponse(await health(apiEvent({ method: 'POST', resource: '/api/health' }), lambdaContext('health'))), 405, 'METHOD_NOT_ALLOWED');
    const unknown = parseResponse(await health(apiEvent({ method: 'GET', resource: '/api/files' }), lambdaContext('health')));
    expectError(unknown, 404, 'NOT_FOUND');
    expect(unknown.headers['content-type']).toMatch(/^application\/json/);
    expect(unknown.body.error.message).toBe('No route for /api/files');
  });
});
