/**
 * notificationService API: queues notifications and lists the caller's in-app ones.
 *
 *   POST /api/notifications   `{ userId?, channels, template, data? }` -> 202 `{ id }`
 *   GET  /api/notifications   `?limit=&nextToken=&unread=true` -> the caller's in-app notifications, newest first
 *
 * POST only validates and enqueues one message (lib/notifications.ts) on NOTIFICATIONS_QUEUE_URL;
 * the notification worker writes the in-app item and sends the e-mail. The tenant of the message
 * is the caller's, so an admin can notify users of their own tenant only: the in-app item lands
 * in the caller's tenant partition, which no user of another tenant can read.
 *
 * Recipient (`userId`, default the caller). The request never names an e-mail address (a body
 * with `email` is a 400), so the API cannot be used to mail arbitrary addresses:
 * - yourself: any user; e-mail goes to the `email` claim of your token (the address Cognito
 *   verified), no USER item is read. No claim and the 'email' channel: 400.
 * - another user: admins only (403 otherwise, before any lookup). The user must have a USER item
 *   in the caller's tenant (keys.userKey), else 404 for every channel, so nothing is queued for
 *   users who do not exist (or live in another tenant). E-mail goes to that item's `email`; an
 *   item without a valid address and the 'email' channel: 400.
 */
import { randomUUID } from 'crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { ddb, requiredEnv, sqs, tableName } from './lib/clients';
import { ForbiddenError, NotFoundError, ValidationError } from './lib/errors';
import { json, ok } from './lib/http';
import { notificationPrefix, tenantPk, userKey } from './lib/keys';
import {
  MESSAGE_VERSION, NotificationMessage, channelsSchema, checkFreeText, checkTemplateVariables, dataSchema, emailSchema,
  notificationMessageSchema, templateSchema, userIdSchema,
} from './lib/notifications';
import { ApiRequest, MetricUnit, logger, metrics } from './lib/observability';
import { DEFAULT_PAGE_SIZE, decodeNextToken, encodeNextToken, limitQuery, nextTokenQuery } from './lib/pagination';
import { getItem } from './lib/query';
import { RateLimit, countRequest } from './lib/rate-limit';
import { ADMIN_GROUP } from './lib/roles';
import { routeHandler } from './lib/routing';
import { booleanQuery, parseBody, parseQuery } from './lib/validation';
import './lib/zod-locale';

/** Notifications one user may request per clock hour (in-app and e-mail alike). */
export const NOTIFICATIONS_PER_USER_PER_HOUR = 30;
const NOTIFICATION_RATE: RateLimit = {
  what: 'NOTIFY',
  limit: NOTIFICATIONS_PER_USER_PER_HOUR,
  windowSeconds: 3600,
  description: `${NOTIFICATIONS_PER_USER_PER_HOUR} notifications per hour per user`,
  metric: 'NotificationsRateLimited',
};

const sendBody = z
  .strictObject(
    {
      userId: z.optional(userIdSchema),
      channels: channelsSchema,
      template: templateSchema,
      data: z._default(dataSchema, {}),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? unknownFieldsMessage(issue.keys) : undefined) },
  )
  .check(z.superRefine((b, ctx) => {
    checkTemplateVariables(b.template, b.data, ctx);
    checkFreeText(b.template, b.data, ctx);
  }));

/** Says why `email` is refused: clients that used to send it learn what replaced it. */
function unknownFieldsMessage(keys: readonly string[]): string {
  const fields = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
  return keys.includes('email')
    ? `${fields} ("email" is not accepted: e-mail goes to the recipient's stored address)`
    : fields;
}

const listQuery = z.strictObject({
  limit: z.optional(limitQuery),
  nextToken: z.optional(nextTokenQuery),
  unread: z.optional(booleanQuery),
});

/** An in-app notification as clients see it. */
export interface NotificationView {
  readonly id: string;
  readonly template: string;
  readonly data: Record<string, string>;
  readonly createdAt: string;
  readonly read: boolean;
}

export const handler = routeHandler('notifications', {
  'POST /api/notifications': send,
  'GET /api/notifications': list,
});

async function send(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const caller = req.caller;
  const body = parseBody(req.event, sendBody);
  const userId = body.userId ?? caller.userId;
  const toSelf = userId === caller.userId;
  if (!toSelf && !caller.groups.includes(ADMIN_GROUP)) {
    throw new ForbiddenError('Only tenant admins may notify other users');
  }

  // The self case needs no lookup: the caller exists, and the claim is the address Cognito verified.
  const address = toSelf ? caller.email : await storedAddressOf(caller.tenantId, userId);
  const byEmail = body.channels.includes('email');
  if (byEmail && address === undefined) {
    throw invalid('body.channels', toSelf
      ? "'email' needs an e-mail address and your account has none"
      : `'email' needs an e-mail address and user ${userId} has none`);
  }
  // Free text by e-mail is a tenant admin's: a member's generic message stays in the app.
  if (byEmail && body.template === 'generic' && !caller.groups.includes(ADMIN_GROUP)) {
    throw new ForbiddenError("Only tenant admins may send the free-text 'generic' template by e-mail; use 'in-app'");
  }
  await countRequest(caller.tenantId, caller.userId, NOTIFICATION_RATE);

  const message: NotificationMessage = z.parse(notificationMessageSchema, {
    version: MESSAGE_VERSION,
    id: randomUUID(),
    tenantId: caller.tenantId,
    userId,
    channels: body.channels,
    template: body.template,
    data: body.data,
    email: byEmail ? address : undefined,
    requestedBy: caller.userId,
    createdAt: new Date().toISOString(),
  });
  await sqs().send(new SendMessageCommand({ QueueUrl: requiredEnv('NOTIFICATIONS_QUEUE_URL'), MessageBody: JSON.stringify(message) }));
  metrics.addMetric('NotificationsRequested', MetricUnit.Count, 1);
  return json(202, { id: message.id });
}

async function list(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const query = parseQuery(req.event, listQuery);
  const pk = tenantPk(tenantId);
  const prefix = notificationPrefix(userId);
  const page = await ddb().send(new QueryCommand({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    // The sort key holds the creation time: descending order is newest first.
    ScanIndexForward: false,
    Limit: query.limit ?? DEFAULT_PAGE_SIZE,
    ExclusiveStartKey: decodeNextToken(query.nextToken, pk, prefix),
    // Limit counts items before the filter, so an unread page can be short (follow nextToken).
    ...(query.unread ? { FilterExpression: 'attribute_not_exists(readAt)' } : {}),
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
  }));
  const items: NotificationView[] = (page.Items ?? []).map((item) => ({
    id: item.id as string,
    template: item.template as string,
    data: (item.data ?? {}) as Record<string, string>,
    createdAt: item.createdAt as string,
    read: item.readAt !== undefined,
  }));
  return ok({ items, count: items.length, nextToken: encodeNextToken(page.LastEvaluatedKey) });
}

/**
 * The address stored on the tenant's USER item of `userId`; undefined when it has none (or none
 * that is a valid address). No such user in this tenant is a 404, never a hint about other tenants.
 */
async function storedAddressOf(tenantId: string, userId: string): Promise<string | undefined> {
  const user = await getItem(userKey(tenantId, userId), { consistent: false, attributes: ['email'] });
  if (user === undefined) throw new NotFoundError(`User ${userId} not found`);
  if (user.email === undefined) return undefined;
  const parsed = z.safeParse(emailSchema, user.email);
  if (!parsed.success) {
    logger.warn('Stored e-mail address of a user is not valid', { userId });
    return undefined;
  }
  return parsed.data;
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid body: ${path}: ${message}`, [{ path, message }]);
}

