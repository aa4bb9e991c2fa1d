import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { logger } from './lib/observability';

type Verifier = ReturnType<typeof createVerifier>;
let verifier: Verifier | undefined;

function createVerifier() {
  return CognitoJwtVerifier.create({
    userPoolId: process.env.USER_POOL_ID!,
    tokenUse: 'id',
    clientId: (process.env.CLIENT_IDS ?? '').split(',').filter(Boolean),
  });
}

/** The token of a $connect request: `?token=` (browsers cannot set WebSocket headers) or `Authorization`. */
export function tokenOf(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const header = event.headers?.Authorization ?? event.headers?.authorization;
  return event.queryStringParameters?.token ?? header?.replace(/^Bearer\s+/i, '');
}

/**
 * $connect authorizer: verifies the Cognito ID token (signature against the pool's JWKS cached
 * by the container's verifier, issuer, `token_use`, expiry, audience among the pool's clients)
 * and passes the user's id on as context. Anything else is denied.
 */
export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  try {
    const token = tokenOf(event);
    if (!token) throw new Error('no token');
    verifier ??= createVerifier();
    const claims = await verifier.verify(token);
    return {
      principalId: claims.sub,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { sub: claims.sub },
    };
  } catch (err) {
    logger.info('connection refused', { reason: String(err) });
    return {
      principalId: 'anonymous',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] },
    };
  }
};
