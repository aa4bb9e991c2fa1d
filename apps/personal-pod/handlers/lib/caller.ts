import { HttpError } from '../../../kit/handlers/http';

/** The caller's user id: only ever the authorizer's `sub` claim, never anything of the request. */
export function userIdFromClaims(claims: Record<string, unknown> | undefined): string {
  const userId = claims?.sub;
  if (typeof userId !== 'string' || userId === '') throw new HttpError(401, 'Unauthorized', 'no authenticated user');
  return userId;
}
