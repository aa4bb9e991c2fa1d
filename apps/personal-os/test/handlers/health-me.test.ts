import '../../../kit/test/handler-env';
import { apiEvent, expectError, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { handler as health } from '../../handlers/health.lambda';
import { handler as me } from '../../handlers/me.lambda';

test('GET /health needs no identity and reports status, stage and time', async () => {
  process.env.STAGE = 'dev';
  const res = parseResponse(await health(apiEvent({ method: 'GET', resource: '/health' }), lambdaContext()));
  expect(res.statusCode).toBe(200);
  expect(res.body).toEqual({ status: 'healthy', stage: 'dev', timestamp: expect.any(String) });
  expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
});

test('GET /auth/me is the caller from the authorizer claims; none is a 401', async () => {
  const res = parseResponse(await me(apiEvent({ method: 'GET', resource: '/auth/me', identity: { sub: 'user-1', email: 'a@example.com' } }), lambdaContext()));
  expect(res.body).toEqual({ userId: 'user-1', email: 'a@example.com', groups: [] });
  const unverified = parseResponse(await me(apiEvent({ method: 'GET', resource: '/auth/me', identity: { sub: 'user-1', emailVerified: false } }), lambdaContext()));
  expect(unverified.body.email).toBeNull();
  expectError(parseResponse(await me(apiEvent({ method: 'GET', resource: '/auth/me' }), lambdaContext())), 401, 'UNAUTHORIZED');
});

test('a method the route table does not list is a 405', async () => {
  expectError(parseResponse(await me(apiEvent({ method: 'POST', resource: '/auth/me', identity: { sub: 'u' } }), lambdaContext())), 405, 'METHOD_NOT_ALLOWED');
});
