import { routeHandler } from './lib/api-handler';
import { ok } from './lib/http';

/** GET /auth/me: the signed-in user as the authorizer verified them (sign-in itself is Cognito's). */
export const handler = routeHandler('me', {
  'GET /auth/me': async ({ caller }) => ok({ userId: caller.userId, email: caller.email ?? null, groups: caller.groups }),
});
