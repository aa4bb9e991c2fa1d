import type { APIGatewayProxyEvent } from 'aws-lambda';
import { unauthorized } from './errors';

/** Who is calling, taken only from the authorizer's verified claims. */
export interface Caller {
  /** Cognito `sub`: every key of this request carries it (`USER#<userId>`). */
  readonly userId: string;
  /** The e-mail claim, only when verified. */
  readonly email?: string;
  readonly groups: readonly string[];
}

// User ids go into keys: `#` and anything odd is refused.
const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The caller from `requestContext.authorizer.claims` (Cognito user pool authorizer), never from
 * the body, path or query. No usable `sub` is a 401.
 */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!USER_ID.test(sub)) throw unauthorized();
  const groups = claims['cognito:groups'];
  return {
    userId: sub,
    email: typeof claims.email === 'string' && String(claims.email_verified) === 'true' ? claims.email : undefined,
    // REST API authorizers pass groups as a string (`admin` or `[a b]`); accept arrays too.
    groups: Array.isArray(groups) ? groups.map(String)
      : typeof groups === 'string' ? groups.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter((g) => g !== '') : [],
  };
}
