import '../../../kit/test/handler-env'; // before the handler modules: Powertools reads it at module load
import { apiEvent, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { callerOf } from '../../handlers/lib/auth';
import { ConflictError, UnauthorizedError } from '../../handlers/lib/errors';
import { ok } from '../../handlers/lib/http';
import { nameGuardKey } from '../../handlers/lib/keys';
import { withApiHandler } from '../../handlers/lib/observability';

const event = (claims?: Record<string, string>, extra: Partial<{ body: string }> = {}) => {
  const e = apiEvent({ method: 'POST', resource: '/api/x', ...extra });
  return { ...e, requestContext: { ...e.requestContext, authorizer: claims ? { claims } : undefined } } as typeof e;
};

describe('callerOf', () => {
  test('reads tenant, user and groups from the authorizer claims only', () => {
    const caller = callerOf({
      ...event({ 'sub': 'u1', 'custom:tenantId': 'acme', 'cognito:groups': '[admin member]' }),
      body: JSON.stringify({ tenantId: 'evil' }),
      pathParameters: { tenantId: 'evil' },
    });
    expect(caller).toEqual({ tenantId: 'acme', userId: 'u1', email: undefined, groups: ['admin', 'member'] });
  });

  test('falls back to a personal tenant when the tenant claim is absent', () => {
    expect(callerOf(event({ sub: 'u2' })).tenantId).toBe('user-u2');
  });

  test('no claims, no sub or a tenant id that could break keys is a 401', () => {
    expect(() => callerOf(event())).toThrow(UnauthorizedError);
    expect(() => callerOf(event({ 'custom:tenantId': 'acme' }))).toThrow(UnauthorizedError);
    expect(() => callerOf(event({ 'sub': 'u3', 'custom:tenantId': 'acme#FOLDER' }))).toThrow(/invalid tenant claim/);
  });
});

describe('withApiHandler', () => {
  test('typed errors become the JSON error shape with their status', async () => {
    const h = withApiHandler(async () => { throw new ConflictError('taken', { name: 'x' }, 'NAME_CONFLICT'); });
    const res = parseResponse(await h(event(), lambdaContext()));
    expect(res).toMatchObject({ statusCode: 409, body: { error: { code: 'NAME_CONFLICT', message: 'taken', details: { name: 'x' } } } });
  });

  test('unexpected errors are a generic 500 without message or stack', async () => {
    const h = withApiHandler(async () => { throw new Error('secret table name arn:aws:dynamodb:...'); });
    const res = parseResponse(await h(event(), lambdaContext()));
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
  });

  test('req.caller is a 401 for anonymous requests and resolved once otherwise', async () => {
    const h = withApiHandler(async (req) => ok({ tenant: req.caller.tenantId, again: req.caller.tenantId }));
    expect(parseResponse(await h(event(), lambdaContext())).statusCode).toBe(401);
    expect(parseResponse(await h(event({ 'sub': 'u', 'custom:tenantId': 't1' }), lambdaContext())).body).toEqual({ tenant: 't1', again: 't1' });
  });
});

test('name guards are per tenant, per parent and case-insensitive', () => {
  expect(nameGuardKey('t1', undefined, 'Reports')).toEqual({ pk: 'TENANT#t1', sk: 'NAME#ROOT#reports' });
  expect(nameGuardKey('t1', 'p', 'REPORTS').sk).toBe('NAME#p#reports');
});
