import type { APIGatewayProxyEvent } from 'aws-lambda';
import { UnauthorizedError } from './errors';

/** Who is calling, taken only from the authorizer's verified claims. */
export interface Caller {
  /** The tenant every key of this request is scoped to. */
  readonly tenantId: string;
  /** The user's stable id (Cognito `sub`). */
  readonly userId: string;
  /** The e-mail claim, only when `email_verified` is true. */
  readonly email?: string;
  /** Cognito groups (`admin`, `member`). */
  readonly groups: readonly string[];
}

/** Claim holding the tenant, set on each user by the tenant onboarding flow. */
export const TENANT_CLAIM = 'custom:tenantId';
/** Tenant ids go into keys (`TENANT#<id>`), so `#` and anything odd is refused. */
export const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The caller from `event.requestContext.authorizer.claims` (Cognito user pool authorizer), never
 * from the body, path or query: those are client-controlled.
 *
 * Tenant: the `custom:tenantId` claim. Fallback, documented: a user without that claim belongs to
 * a personal tenant `user-<sub>`, which only that user can reach, so a missing claim can never
 * widen access. No `sub` (or an invalid tenant id) is a 401.
 */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (sub === '') throw new UnauthorizedError();
  const claimed = claims[TENANT_CLAIM];
  const tenantId = typeof claimed === 'string' && claimed !== '' ? claimed : `user-${sub}`;
  if (!TENANT_ID.test(tenantId)) throw new UnauthorizedError('Authentication required: invalid tenant claim');
  return {
    tenantId,
    userId: sub,
    // Only an address Cognito verified: an unverified one may be anybody's (a user can change theirs).
    email: typeof claims.email === 'string' && String(claims.email_verified) === 'true' ? claims.email : undefined,
    groups: parseGroups(claims['cognito:groups']),
  };
}

/** REST API authorizers pass `cognito:groups` as a string (`admin` or `[admin member]`); accept arrays too. */
function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  return value.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter((g) => g !== '');
}
