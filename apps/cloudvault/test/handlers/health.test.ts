import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { handler } from '../../handlers/health.lambda';

test('GET /api/health answers anonymous callers with status and version', async () => {
  const res = parseResponse(await handler(apiEvent({ method: 'GET', resource: '/api/health' }), lambdaContext('health')));
  expect(res.statusCode).toBe(200);
  expect(res.body).toEqual({ status: 'ok', version: expect.any(String) });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
});
