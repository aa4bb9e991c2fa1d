import '../../../kit/test/handler-env';
import { createSign, generateKeyPairSync } from 'crypto';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { handler, tokenVerifier } from '../../handlers/ws-authorizer.lambda';

// The $connect authorizer with aws-jwt-verify, against a key pair made here: the verifier is given
// the pool's JWKS (cacheJwks) instead of fetching it from Cognito.
const POOL = 'eu-west-1_TestPool1';
const CLIENT = 'client-one';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(() => {
  process.env.USER_POOL_ID = POOL;
  process.env.CLIENT_IDS = `${CLIENT},client-two`;
  tokenVerifier().cacheJwks({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'key-1', alg: 'RS256', use: 'sig' } as never] });
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', kid: 'key-1', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: CLIENT, token_use: 'id', iat: now, exp: now + 3600, ...claims })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

function event(token?: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/$connect',
    queryStringParameters: token ? { token } : {},
    headers: {},
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

const effect = (r: Awaited<ReturnType<typeof handler>>) => (r.policyDocument.Statement[0] as { Effect: string }).Effect;

test('a valid ID token of the pool is allowed, with user, tenant and groups as context', async () => {
  const result = await handler(event(jwt({ 'sub': 'user-1', 'custom:tenantId': 'tenant-a', 'cognito:groups': ['viewer', 'operator'] })));
  expect(effect(result)).toBe('Allow');
  expect(result.principalId).toBe('user-1');
  expect(result.context).toEqual({ 'sub': 'user-1', 'custom:tenantId': 'tenant-a', 'cognito:groups': 'viewer,operator' });
});

test.each([
  ['no token', undefined],
  ['a token signed by another key', jwt({ sub: 'user-1' }, other.privateKey)],
  ['an expired token', jwt({ sub: 'user-1', exp: Math.floor(Date.now() / 1000) - 60 })],
  ['another client\'s token', jwt({ sub: 'user-1', aud: 'someone-else' })],
  ['an access token', jwt({ sub: 'user-1', token_use: 'access' })],
  ['another pool\'s token', jwt({ sub: 'user-1', iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' })],
  ['garbage', 'not.a.jwt'],
])('%s is denied', async (_name, token) => {
  const result = await handler(event(token));
  expect(effect(result)).toBe('Deny');
  expect(result.context).toBeUndefined();
});
