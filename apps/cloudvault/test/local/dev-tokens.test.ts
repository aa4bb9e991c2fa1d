import { createHmac } from 'crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DEV_TOKEN_ISSUER, DevTokens, SECRET_ENV, apiGatewayClaims, javaDateString } from '../../../kit/local/dev-tokens';
import { callerOf } from '../../handlers/lib/auth';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const ALICE = { sub: 'alice', email: 'alice@tenant-a.example', tenantId: 'tenant-a', groups: ['admin', 'member'] };
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (input: string, secret = SECRET) => createHmac('sha256', secret).update(input).digest('base64url');
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

function tokens(now = () => T0) {
  return new DevTokens({ secret: SECRET, now });
}

describe('issue and verify', () => {
  test('a token carries the Cognito ID token claims CloudVault reads and verifies', () => {
    const t = tokens();
    const token = t.issue(ALICE);
    expect(token.split('.')).toHaveLength(3);
    const result = t.verify(token);
    expect(result).toEqual({
      ok: true,
      claims: expect.objectContaining({
        'sub': 'alice',
        'email': 'alice@tenant-a.example',
        'custom:tenantId': 'tenant-a',
        'cognito:groups': ['admin', 'member'],
        'token_use': 'id',
        'iss': DEV_TOKEN_ISSUER,
        'iat': T0 / 1000,
        'exp': T0 / 1000 + 3600,
      }),
    });
  });

  test('a user without tenant or groups gets no such claims (as Cognito leaves them out)', () => {
    const claims = decode(tokens().issue({ sub: 'solo', email: 'solo@example.com' }));
    expect(claims).not.toHaveProperty('custom:tenantId');
    expect(claims).not.toHaveProperty('cognito:groups');
  });

  test('expiry: valid until exp, expired from exp on; ttlSeconds sets the lifetime', () => {
    let now = T0;
    const t = tokens(() => now);
    const token = t.issue(ALICE, { ttlSeconds: 60 });
    now = T0 + 59_999;
    expect(t.verify(token).ok).toBe(true);
    now = T0 + 60_000;
    expect(t.verify(token)).toEqual({ ok: false, reason: 'expired' });
    expect(t.verify(t.issue(ALICE, { ttlSeconds: -1 }))).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('rejections', () => {
  const t = tokens();
  const token = t.issue(ALICE);
  const [header, payload, signature] = token.split('.');

  test.each([
    ['an empty string', ''],
    ['two parts', `${header}.${payload}`],
    ['four parts', `${token}.x`],
    ['an empty signature', `${header}.${payload}.`],
    ['characters outside base64url', `${header}.${payload}.${signature.slice(0, -1)}+`],
  ])('%s is malformed', (_case, value) => {
    expect(t.verify(value)).toEqual({ ok: false, reason: 'malformed' });
  });

  test('a changed payload (another tenant) fails the signature check', () => {
    const forged = { ...decode(token), 'custom:tenantId': 'tenant-b' };
    expect(t.verify(`${header}.${b64(forged)}.${signature}`)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('a changed or truncated signature fails', () => {
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0] = (flipped[0] + 1) % 256;
    expect(t.verify(`${header}.${payload}.${flipped.toString('base64url')}`)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(t.verify(`${header}.${payload}.${signature.slice(0, 10)}`)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('a token of another secret fails; two random secrets never accept each other\'s tokens', () => {
    const other = new DevTokens({ secret: 'another-secret-also-32-characters-long', now: () => T0 });
    expect(t.verify(other.issue(ALICE))).toEqual({ ok: false, reason: 'bad-signature' });
    const saved = process.env[SECRET_ENV];
    delete process.env[SECRET_ENV];
    try {
      const r1 = new DevTokens();
      const r2 = new DevTokens();
      expect(r1.verify(r1.issue(ALICE)).ok).toBe(true);
      expect(r2.verify(r1.issue(ALICE))).toEqual({ ok: false, reason: 'bad-signature' });
    } finally {
      if (saved !== undefined) process.env[SECRET_ENV] = saved;
    }
  });

  test('a correctly signed token with another algorithm in its header is refused (no alg switching)', () => {
    const none = b64({ alg: 'none', typ: 'JWT' });
    expect(t.verify(`${none}.${payload}.${sign(`${none}.${payload}`)}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  test('a correctly signed token from another issuer, or not an ID token, is refused', () => {
    const foreign = b64({ ...decode(token), iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x' });
    expect(t.verify(`${header}.${foreign}.${sign(`${header}.${foreign}`)}`)).toEqual({ ok: false, reason: 'wrong-issuer' });
    const access = b64({ ...decode(token), token_use: 'access' });
    expect(t.verify(`${header}.${access}.${sign(`${header}.${access}`)}`)).toEqual({ ok: false, reason: 'wrong-issuer' });
  });

  test('a correctly signed payload without sub or exp is malformed', () => {
    for (const claims of [{ ...decode(token), sub: '' }, { ...decode(token), exp: 'tomorrow' }, ['not', 'an', 'object']]) {
      const p = b64(claims);
      expect(t.verify(`${header}.${p}.${sign(`${header}.${p}`)}`)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});

describe('secret', () => {
  afterEach(() => { delete process.env[SECRET_ENV]; });

  test(`${SECRET_ENV} makes tokens valid across instances (and restarts)`, () => {
    process.env[SECRET_ENV] = SECRET;
    const token = new DevTokens().issue(ALICE);
    expect(new DevTokens().verify(token).ok).toBe(true);
    expect(tokens(Date.now).verify(token).ok).toBe(true);
  });

  test(`a ${SECRET_ENV} shorter than 32 characters is refused`, () => {
    process.env[SECRET_ENV] = 'short';
    expect(() => new DevTokens()).toThrow(/at least 32 characters/);
  });
});

describe('claims as API Gateway passes them', () => {
  test('every value a string, groups comma-joined, iat/exp as Java dates', () => {
    const t = tokens();
    const result = t.verify(t.issue(ALICE));
    if (!result.ok) throw new Error('token did not verify');
    const claims = apiGatewayClaims(result.claims);
    expect(Object.values(claims).every((v) => typeof v === 'string')).toBe(true);
    expect(claims).toMatchObject({
      'sub': 'alice',
      'custom:tenantId': 'tenant-a',
      'cognito:groups': 'admin,member',
      'email_verified': 'true',
      'auth_time': String(T0 / 1000),
      'iat': 'Thu Jan 15 10:00:00 UTC 2026',
      'exp': 'Thu Jan 15 11:00:00 UTC 2026',
    });
  });

  test('javaDateString matches java.util.Date#toString in UTC', () => {
    expect(javaDateString(new Date(1469818373 * 1000))).toBe('Fri Jul 29 18:52:53 UTC 2016');
    expect(javaDateString(new Date(Date.UTC(2024, 1, 3, 4, 5, 6)))).toBe('Sat Feb 03 04:05:06 UTC 2024');
  });

  test('the handlers\' callerOf reads tenant, user and groups from them', () => {
    const t = tokens();
    const result = t.verify(t.issue(ALICE));
    if (!result.ok) throw new Error('token did not verify');
    const event = { requestContext: { authorizer: { claims: apiGatewayClaims(result.claims) } } } as unknown as APIGatewayProxyEvent;
    expect(callerOf(event)).toEqual({ tenantId: 'tenant-a', userId: 'alice', email: 'alice@tenant-a.example', groups: ['admin', 'member'] });
  });
});
