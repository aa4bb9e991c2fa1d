import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import type { RouteKeyOf } from '../infra/routes';
import { Route, dispatch, header, uuidParam } from './lib/dispatch';
import {
  ClientId, CreateEntryInput, Entry, ListQuery, LockInput, UpdateEntryInput,
  createEntry, deleteEntry, getEntry, listEntries, listVersions, lockEntry, unlockEntry, updateEntry,
} from './lib/entries';
import { publishNotification } from './lib/notifications';
import { logger, metrics, MetricUnit } from './lib/observability';
import { notifyUser } from './lib/realtime';
import { json, jsonBody, notFound, parse } from '../../kit/handlers/http';

const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/);
const ClientQuery = z.strictObject({ clientId: ClientId });
const OptionalClientQuery = z.strictObject({ clientId: ClientId.optional() });

const entryId = (event: APIGatewayProxyEvent) => uuidParam(event, 'id', 'entry');
const body = (event: APIGatewayProxyEvent) => jsonBody(event.body, event.isBase64Encoded, event.headers ?? {});

/**
 * After a committed change: a notification on the background jobs topic (the search index follows
 * through its queue, asynchronously), and the user's connected clients hear of it now. Neither
 * fails the request: the change is saved.
 */
async function changed(userId: string, type: 'entry.created' | 'entry.updated' | 'entry.deleted' | 'entry.locked' | 'entry.unlocked', entry: Entry | { id: string }): Promise<void> {
  if (type !== 'entry.locked' && type !== 'entry.unlocked') {
    await publishNotification({ type, userId, entryId: entry.id }).catch((err) => {
      // The change is committed; the metric counts entries the index missed (the next change of the entry repairs it).
      logger.error('notification not published', { entryId: entry.id, error: String(err) });
      metrics.addMetric('NotificationsNotPublished', MetricUnit.Count, 1);
    });
  }
  const delivery = await notifyUser(userId, { type, entry });
  logger.info('entry changed', { type, entryId: entry.id, ...delivery });
}

// One dispatch over this handler's routes (infra/routes.ts): a route added there and not here fails tsc.
const ROUTES: Record<RouteKeyOf<'entries'>, Route> = {
  'GET /api/entries': async (event, userId) => {
    const query = parse(ListQuery, event.queryStringParameters ?? {}, 'query');
    return json(200, { items: await listEntries(userId, query) });
  },

  'POST /api/entries': async (event, userId) => {
    const input = parse(CreateEntryInput, body(event), 'entry');
    const rawKey = header(event, 'idempotency-key');
    const key = rawKey === undefined ? undefined : parse(IdempotencyKey, rawKey, 'Idempotency-Key header');
    const { entry, created } = await createEntry(userId, input, key);
    if (created) {
      metrics.addMetric('EntriesCreated', MetricUnit.Count, 1);
      await changed(userId, 'entry.created', entry);
    }
    return json(created ? 201 : 200, entry);
  },

  'GET /api/entries/{id}': async (event, userId) => {
    const entry = await getEntry(userId, entryId(event));
    if (!entry) throw notFound('entry');
    return json(200, entry);
  },

  'PUT /api/entries/{id}': async (event, userId) => {
    const id = entryId(event);
    const input = parse(UpdateEntryInput, body(event), 'entry change');
    const result = await updateEntry(userId, id, input);
    if (result.changed) await changed(userId, 'entry.updated', result.entry);
    return json(200, result.entry);
  },

  'DELETE /api/entries/{id}': async (event, userId) => {
    const id = entryId(event);
    const { clientId } = parse(OptionalClientQuery, event.queryStringParameters ?? {}, 'query');
    await deleteEntry(userId, id, clientId);
    await changed(userId, 'entry.deleted', { id });
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  },

  'GET /api/entries/{id}/versions': async (event, userId) => {
    const versions = await listVersions(userId, entryId(event));
    if (!versions) throw notFound('entry');
    return json(200, { items: versions });
  },

  'POST /api/entries/{id}/lock': async (event, userId) => {
    const id = entryId(event);
    const input = parse(LockInput, body(event), 'lock');
    const entry = await lockEntry(userId, id, input);
    await changed(userId, 'entry.locked', entry);
    return json(200, entry);
  },

  'DELETE /api/entries/{id}/lock': async (event, userId) => {
    const id = entryId(event);
    const { clientId } = parse(ClientQuery, event.queryStringParameters ?? {}, 'query');
    const entry = await unlockEntry(userId, id, clientId);
    await changed(userId, 'entry.unlocked', entry);
    return json(200, entry);
  },
};

/** REST API of the diary entries: CRUD with versions, optimistic concurrency and locks. */
export const handler = dispatch(ROUTES);
