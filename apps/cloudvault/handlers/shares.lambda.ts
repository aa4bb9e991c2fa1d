/**
 * Share links: a tenant's users hand out links to a file; anyone holding the link can download it.
 *
 *   POST   /api/shares           create `{ fileId, expiresInHours?, password?, maxDownloads? }` -> 201
 *                                (expiresInHours: members up to MEMBER_MAX_EXPIRY_HOURS, admins MAX_EXPIRY_HOURS)
 *   GET    /api/shares           the tenant's links, newest first (`?limit=&nextToken=`)
 *   DELETE /api/shares/{token}   revoke a link of the tenant -> 204 (its creator or an admin)
 *   GET    /api/shares/{token}   PUBLIC: 302 to a 60-second presigned download of the file's current version
 *                                (its own function, share-open.lambda.ts; shares/open.ts)
 *
 * The token (32 random bytes, base64url) is the credential, so it is checked for shape before any
 * lookup and never logged. A link item (keys.shareKey) lives in its tenant's partition; the public
 * route finds it by token through the ShareLinks index and reads the file from that tenant only.
 * Expiry is the TTL attribute `expiresAt`; since TTL deletes late, expiry is also checked on open.
 * The download limit is enforced by a conditional increment, so concurrent opens cannot exceed it.
 */
import { routeHandler } from './lib/routing';
import { createShare, listShares, revokeShare } from './shares/manage';

/** The tenant's routes; the public GET /api/shares/{token} is share-open.lambda.ts's. */
export const handler = routeHandler('shares', {
  'POST /api/shares': createShare,
  'GET /api/shares': listShares,
  'DELETE /api/shares/{token}': revokeShare,
});
