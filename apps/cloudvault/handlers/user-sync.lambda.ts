/**
 * userSync: Cognito User Pool **post authentication** trigger that keeps the tenant's USER item
 * (keys.userKey) in step with the user pool, so the notifications API can find another user's
 * e-mail address (UserByEmail GSI, `gsi1pk`). Local mode's addUser writes the same item shape.
 *
 * Why post authentication and not post confirmation: CloudVault users are created by admins
 * (AdminCreateUser, self sign-up off), and the post confirmation trigger never fires for them.
 * AWS: "Amazon Cognito invokes this trigger only for user who sign up in your user pool, not for
 * user accounts that you create with your administrator credentials"; it runs on ConfirmSignUp,
 * AdminConfirmSignUp and ConfirmForgotPassword only
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-post-confirmation.html).
 * Users report the same: an admin-created user who sets a new password on first sign-in becomes
 * CONFIRMED without the trigger running (github.com/aws-amplify/amplify-cli/issues/13127,
 * github.com/amazon-archives/amazon-cognito-identity-js/issues/656). Post authentication runs
 * after every successful sign-in, before tokens are issued
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-post-authentication.html),
 * so the item also follows later changes (new verified address) on the next sign-in.
 *
 * Item, written with one UpdateItem (an upsert): `type: 'USER'`, `id` (the sub), `lastSignInAt`,
 * `createdAt` (first sign-in, kept afterwards), and `email` + `gsi1pk` only while Cognito says
 * the address is verified (`email_verified` is 'true'); otherwise both are removed, so nobody is
 * ever mailed at an unverified address. `groups` (local mode) is left as it is: the event has no
 * groups. Tenant: the `custom:tenantId` attribute, or the personal tenant `user-<sub>`, resolved
 * by auth.ts callerOf itself so the item lands where the API will look for it.
 *
 * Failure policy (a choice): this is bookkeeping, and an error returned to Cognito fails the
 * user's sign-in. So an invalid event (logged without attribute values: they are PII) and a
 * DynamoDB failure (logged with the error) both return the event unchanged and count
 * `UserSyncFailures`; the next sign-in repairs the item. Cognito waits 5 seconds for a trigger
 * (and retries on timeout), so the write is aborted after SYNC_TIMEOUT_MS.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, PostAuthenticationTriggerEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { TENANT_CLAIM, callerOf } from './lib/auth';
import { ddb, tableName } from './lib/clients';
import { withEventHandler } from './lib/event-handler';
import { emailIndexPk, userKey } from './lib/keys';
import { emailSchema, userIdSchema } from './lib/notifications';
import { MetricUnit, logger, metrics, tracer } from './lib/observability';
import './lib/zod-locale';

/** Time left for the write within Cognito's 5 s, after a cold start. */
export const SYNC_TIMEOUT_MS = 3_000;

const TENANT_ID_MESSAGE = 'must be 1-64 letters, digits, "_" or "-"';

/** The user behind a sign-in, as this trigger stores it. */
interface SignedInUser {
  readonly tenantId: string;
  readonly userId: string;
  /** Present only when Cognito has verified it. */
  readonly email?: string;
  /** Cognito said verified, but it is no address we would send to: stored as none. */
  readonly unusableEmail: boolean;
}

const signInEvent = z.object({
  // Wired to another trigger by mistake: nothing to sync.
  triggerSource: z.literal('PostAuthentication_Authentication'),
  request: z.object({
    userAttributes: z.pipe(
      z.object({
        // The user id of the API (notifications' userId), so the sub must fit that schema.
        sub: userIdSchema,
        email: z.optional(z.string()),
        email_verified: z.optional(z.string()),
        [TENANT_CLAIM]: z.optional(z.string()),
      }),
      // zod/mini's transform gets the bare parse payload (no ctx.addIssue): issues go onto ctx.issues.
      z.transform((attributes, ctx): SignedInUser => {
        const tenantId = tenantOf(attributes.sub, attributes[TENANT_CLAIM]);
        if (tenantId === undefined) {
          ctx.issues.push({ code: 'custom', path: [TENANT_CLAIM], message: TENANT_ID_MESSAGE, input: attributes });
          return z.NEVER;
        }
        const verified = attributes.email_verified === 'true' && attributes.email !== undefined;
        const email = verified ? z.safeParse(emailSchema, attributes.email) : undefined;
        return { tenantId, userId: attributes.sub, email: email?.data, unusableEmail: email?.success === false };
      }),
    ),
  }),
});

export const handler = withEventHandler<PostAuthenticationTriggerEvent, PostAuthenticationTriggerEvent>(async (event) => {
  const parsed = z.safeParse(signInEvent, event);
  if (!parsed.success) {
    metrics.addMetric('UserSyncFailures', MetricUnit.Count, 1);
    // Paths and codes only: messages and inputs could carry attribute values (PII).
    logger.error('Invalid post authentication event: USER item not synced, sign-in continues', {
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code })),
    });
    return event;
  }

  const user = parsed.data.request.userAttributes;
  logger.appendKeys({ tenant_id: user.tenantId, user_id: user.userId });
  tracer.putAnnotation('tenantId', user.tenantId);
  metrics.addMetric('SignIns', MetricUnit.Count, 1);
  if (user.unusableEmail) logger.warn('Verified e-mail attribute is not a valid address: stored as none');

  try {
    await upsertUser(user, new Date().toISOString());
  } catch (err) {
    metrics.addMetric('UserSyncFailures', MetricUnit.Count, 1);
    logger.error('USER item sync failed: sign-in continues', err as Error);
    tracer.addErrorAsMetadata(err as Error);
  }
  return event;
});

/** One UpdateItem: creates the item on first sign-in, refreshes it on every later one. */
async function upsertUser(user: SignedInUser, now: string): Promise<void> {
  const set = ['#type = :type', '#id = :id', '#lastSignInAt = :now', '#createdAt = if_not_exists(#createdAt, :now)'];
  const values: Record<string, unknown> = { ':type': 'USER', ':id': user.userId, ':now': now };
  if (user.email !== undefined) {
    set.push('#email = :email', '#gsi1pk = :gsi1pk');
    values[':email'] = user.email;
    values[':gsi1pk'] = emailIndexPk(user.email);
  }
  const remove = user.email === undefined ? ' REMOVE #email, #gsi1pk' : '';
  await ddb().send(new UpdateCommand({
    TableName: tableName(),
    Key: userKey(user.tenantId, user.userId),
    UpdateExpression: `SET ${set.join(', ')}${remove}`,
    ExpressionAttributeNames: {
      '#type': 'type', '#id': 'id', '#lastSignInAt': 'lastSignInAt', '#createdAt': 'createdAt', '#email': 'email', '#gsi1pk': 'gsi1pk',
    },
    ExpressionAttributeValues: values,
  }), { abortSignal: AbortSignal.timeout(SYNC_TIMEOUT_MS) });
}

/**
 * The tenant the API resolves for this user (auth.ts callerOf, given the same attributes the
 * authorizer passes as claims), or undefined when callerOf refuses the tenant id.
 */
function tenantOf(sub: string, claimedTenant: string | undefined): string | undefined {
  const claims = { sub, [TENANT_CLAIM]: claimedTenant };
  try {
    return callerOf({ requestContext: { authorizer: { claims } } } as unknown as APIGatewayProxyEvent).tenantId;
  } catch {
    return undefined;
  }
}
