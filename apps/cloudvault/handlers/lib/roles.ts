/**
 * The role model (docs/security.md, "Role model"). The tenant is the boundary for reading and
 * organising; destructive actions are narrower: deleting a file or a folder (recursively or not),
 * aborting an upload and revoking a share link are for the resource's owner (the user who created
 * it, `createdBy`) or a tenant admin (Cognito group `admin`). An item without a recorded owner is
 * for admins only, so a missing attribute can never widen access.
 */
import type { Caller } from './auth';
import { ForbiddenError } from './errors';

/** Cognito group of a tenant's administrators. */
export const ADMIN_GROUP = 'admin';

export const isAdmin = (caller: Caller): boolean => caller.groups.includes(ADMIN_GROUP);

/** Whether `caller` may destroy a resource created by `ownerId`. */
export const mayDestroy = (caller: Caller, ownerId: unknown): boolean =>
  isAdmin(caller) || (typeof ownerId === 'string' && ownerId !== '' && ownerId === caller.userId);

/** 403 (before anything changes) unless the caller owns the resource or is a tenant admin. */
export function assertMayDestroy(caller: Caller, ownerId: unknown, action: string): void {
  if (!mayDestroy(caller, ownerId)) throw new ForbiddenError(`Only its owner or a tenant admin may ${action}`);
}
