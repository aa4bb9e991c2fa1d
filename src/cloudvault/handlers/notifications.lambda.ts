/**
 * notificationService API: queues notifications and lists the caller's in-app ones.
 *
 *   POST /api/notifications   `{ userId?, channels, template, data?, email? }` -> 202 `{ id }`
 *   GET  /api/notifications   `?limit=&nextToken=&unread=true` -> the caller's in-app notifications, newest first
 *
 * POST only validates and enqueues one message (lib/notifications.ts) on NOTIFICATIONS_QUEUE_URL;
 * the notification worker writes the in-app item and sends the e-mail. The tenant of the message
 * is the caller's, so an admin can notify users of their own tenant only: the in-app item lands
 * in the caller's tenant partition, which no user of another tenant can read.
 */
import { randomUUID } from 'crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { ddb, sqs, tableName } from './lib/clients';
import { ForbiddenError, MethodNotAllowedError, NotFoundError, ValidationError } from './lib/errors';
import { json, ok } from './lib/http';
import { notificationSk, tenantPk } from './lib/keys';
import {
  MESSAGE_VERSION, NotificationMessage, channelsSchema, checkTemplateVariables, dataSchema, emailSchema,
  notificationMessageSchema, templateSchema, userIdSchema,
} from './lib/notifications';
import { ApiRequest, MetricUnit, metrics, withApiHandler } from './lib/observability';
import { DEFAULT_PAGE_SIZE, decodeNextToken, encodeNextToken, limitQuery, nextTokenQuery } from './lib/pagination';
import { booleanQuery, parseBody, parseQuery } from './lib/validation';

/** Group whose members may notify other users of their tenant. */
export const ADMIN_GROUP = 'admin';

const sendBody = z
  .strictObject({
    userId: userIdSchema.optional(),
    channels: channelsSchema,
    template: templateSchema,
    data: dataSchema.default({}),
    email: emailSchema.optional(),
  })
  .superRefine((b, ctx) => checkTemplateVariables(b.template, b.data, ctx));

const listQuery = z.strictObject({
  limit: limitQuery.optional(),
  nextToken: nextTokenQuery.optional(),
  unread: booleanQuery.optional(),
});

/** An in-app notification as clients see it. */
export interface NotificationView {
  readonly id: string;
  readonly template: string;
  readonly data: Record<string, string>;
  readonly createdAt: string;
  readonly read: boolean;
}

export const handler = withApiHandler(async (req) => {
  const { httpMethod: method, resource } = req.event;
  if (resource !== '/api/notifications') throw new NotFoundError(`No route for ${resource}`);
  if (method === 'POST') return send(req);
  if (method === 'GET') return list(req);
  throw new MethodNotAllowedError(method, resource);
});

async function send(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const caller = req.caller;
  const body = parseBody(req.event, sendBody);
  const userId = body.userId ?? caller.userId;
  const toSelf = userId === caller.userId;
  if (!toSelf && !caller.groups.includes(ADMIN_GROUP)) {
    throw new ForbiddenError('Only tenant admins may notify other users');
  }

  let email: string | undefined;
  if (!body.channels.includes('email')) {
    if (body.email !== undefined) throw invalid('body.email', "is only allowed with the 'email' channel");
  } else if (toSelf) {
    // Your own notifications go to the address of your identity: the API is no relay to arbitrary addresses.
    if (body.email !== undefined && body.email.toLowerCase() !== caller.email?.toLowerCase()) {
      throw invalid('body.email', 'must be omitted when notifying yourself (the address of your account is used)');
    }
    email = caller.email;
    if (email === undefined) throw invalid('body.email', 'your account has no e-mail address to notify');
  } else {
    if (body.email === undefined) throw invalid('body.email', "is required when notifying another user through the 'email' channel");
    email = body.email;
  }

  const message: NotificationMessage = notificationMessageSchema.parse({
    version: MESSAGE_VERSION,
    id: randomUUID(),
    tenantId: caller.tenantId,
    userId,
    channels: body.channels,
    template: body.template,
    data: body.data,
    email,
    requestedBy: caller.userId,
    createdAt: new Date().toISOString(),
  });
  await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: JSON.stringify(message) }));
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

/** `NOTIF#<userId>#`: the sort key of keys.notificationSk without time and id. */
const notificationPrefix = (userId: string): string => notificationSk(userId, '', '').slice(0, -1);

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid body: ${path}: ${message}`, [{ path, message }]);
}

function queueUrl(): string {
  const url = process.env.NOTIFICATIONS_QUEUE_URL;
  if (!url) throw new Error('NOTIFICATIONS_QUEUE_URL is not set');
  return url;
}
