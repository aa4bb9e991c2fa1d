import '../../../kit/test/handler-env';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { handler, tokenOf } from '../../handlers/ws-authorizer.lambda';

// The $connect authorizer's refusals (a valid Cognito token needs the pool's JWKS, which local
// mode's dev tokens stand in for; see the e2e tests).
process.env.USER_POOL_ID = 'eu-west-1_Abcdefghi';
process.env.CLIENT_IDS = 'client-1';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/$connect';
const event = (query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  ({ type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: query, headers } as unknown as APIGatewayRequestAuthorizerEvent);

test('the token comes from ?token= or the Authorization header', () => {
  expect(tokenOf(event({ token: 'q' }))).toBe('q');
  expect(tokenOf(event({}, { Authorization: 'Bearer h' }))).toBe('h');
  expect(tokenOf(event())).toBeUndefined();
});

test.each([
  ['no token', event()],
  ['a malformed token', event({ token: 'forged.token.value' })],
])('%s is denied', async (_name, e) => {
  const result = await handler(e);
  expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Resource: METHOD_ARN });
  expect(result.context).toBeUndefined();
});
