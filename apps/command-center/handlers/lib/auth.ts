import { z } from 'zod';
import { HttpError, forbidden } from '../../../kit/handlers/http';

/** Roles in order of power; a user's role is the most powerful of their groups. */
export const ROLE_ORDER = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLE_ORDER)[number];

/** Who calls: only ever from the authorizer's context, never from the request. */
export interface Caller {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: Role;
}

const TENANT = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/**
 * `cognito:groups` as API Gateway passes it: an array (JWT), a comma-separated string (REST
 * Cognito authorizer, our WebSocket authorizer's context) or `[a b]` (some REST deployments).
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  return value.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
}

/** The caller's role: the most powerful of their groups that is a role, else none. */
export function roleOf(groups: string[]): Role | undefined {
  return [...ROLE_ORDER].reverse().find((r) => groups.includes(r));
}

/**
 * The caller from authorizer claims (`sub`, `custom:tenantId`, `cognito:groups`). No tenant or
 * no role: 403, the token is valid but the user is not set up for the command center.
 */
export function callerFromClaims(claims: Record<string, unknown> | undefined): Caller {
  const userId = claims?.sub;
  if (typeof userId !== 'string' || userId === '') throw new HttpError(401, 'Unauthorized', 'no authenticated user');
  const tenant = TENANT.safeParse(claims?.['custom:tenantId'] ?? claims?.tenantId);
  if (!tenant.success) throw forbidden('the user belongs to no tenant');
  const role = roleOf(parseGroups(claims?.['cognito:groups'] ?? claims?.groups));
  if (!role) throw forbidden('the user has no command center role');
  return { userId, tenantId: tenant.data, role };
}

/** Throws 403 unless the caller may issue and change commands (operator or admin). */
export function requireCommander(caller: Caller): void {
  if (ROLE_ORDER.indexOf(caller.role) < ROLE_ORDER.indexOf('operator')) {
    throw forbidden(`role ${caller.role} may read but not command`);
  }
}
