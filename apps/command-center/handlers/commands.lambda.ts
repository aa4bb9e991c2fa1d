import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import type { RouteKey } from '../infra/routes';
import { Caller, callerFromClaims, requireCommander } from './lib/auth';
import { cachedCommand, cachedList, invalidate } from './lib/command-cache';
import { CreateCommandInput, ListQuery, StatusInput, createCommand, getCommand, listCommands, updateStatus } from './lib/commands';
import { broadcast } from './lib/fanout';
import { logger, metrics, MetricUnit, tracer } from './lib/observability';
import { HttpError, errorResponse, json, jsonBody, notFound, parse } from '../../kit/handlers/http';

const CommandId = z.uuid();
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/);

type Route = (event: APIGatewayProxyEvent, caller: Caller) => Promise<APIGatewayProxyResult>;

function commandId(event: APIGatewayProxyEvent): string {
  const id = CommandId.safeParse(event.pathParameters?.id);
  // Not a command id: no such command (of this tenant or any other).
  if (!id.success) throw notFound('command');
  return id.data;
}

// One dispatch over the route table (infra/routes.ts): a route added there and not here fails tsc.
const ROUTES: Record<RouteKey, Route> = {
  'GET /api/commands': async (event, caller) => {
    const query = parse(ListQuery, event.queryStringParameters ?? {}, 'query');
    const { value, hit } = await cachedList(caller.tenantId, query, () => listCommands(caller.tenantId, query));
    metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
    return json(200, { items: value });
  },

  'POST /api/commands': async (event, caller) => {
    requireCommander(caller);
    const input = parse(CreateCommandInput, jsonBody(event.body, event.isBase64Encoded, event.headers ?? {}), 'command');
    const rawKey = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'idempotency-key')?.[1];
    const key = rawKey === undefined ? undefined : parse(IdempotencyKey, rawKey, 'Idempotency-Key header');
    const { command, created } = await createCommand(caller.tenantId, caller.userId, input, key);
    if (created) {
      await invalidate(caller.tenantId);
      await broadcast(caller.tenantId, { type: 'command.created', command });
      metrics.addMetric('CommandsCreated', MetricUnit.Count, 1);
    }
    return json(created ? 201 : 200, command);
  },

  'GET /api/commands/{id}': async (event, caller) => {
    const id = commandId(event);
    const { value, hit } = await cachedCommand(caller.tenantId, id, () => getCommand(caller.tenantId, id));
    metrics.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1);
    if (!value) throw notFound('command');
    return json(200, value);
  },

  'PUT /api/commands/{id}/status': async (event, caller) => {
    requireCommander(caller);
    const id = commandId(event);
    const input = parse(StatusInput, jsonBody(event.body, event.isBase64Encoded, event.headers ?? {}), 'status change');
    const { command, changed } = await updateStatus(caller.tenantId, caller.userId, id, input.status, input.expectedVersion);
    if (changed) {
      await invalidate(caller.tenantId);
      const delivery = await broadcast(caller.tenantId, { type: 'command.status', command });
      logger.info('status changed', { commandId: id, status: command.status, ...delivery });
    }
    return json(200, command);
  },
};

/** REST API of the commands: create, list, read, change status. Identity only from the authorizer's claims. */
export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  logger.appendKeys({ correlation_id: event.requestContext?.requestId ?? context.awsRequestId });
  metrics.captureColdStartMetric();
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  tracer.annotateColdStart();
  try {
    const route = ROUTES[`${event.httpMethod} ${event.resource}` as RouteKey];
    if (!route) throw new HttpError(404, 'NotFound', 'no such route');
    const caller = callerFromClaims(event.requestContext?.authorizer?.claims);
    logger.appendKeys({ tenant_id: caller.tenantId, user_id: caller.userId });
    tracer.putAnnotation('tenantId', caller.tenantId);
    return await route(event, caller);
  } catch (err) {
    if (err instanceof HttpError) {
      if (err.statusCode >= 500) logger.error('request failed', err);
      return errorResponse(err);
    }
    logger.error('request failed', err as Error);
    return errorResponse(new HttpError(500, 'InternalError', 'internal error'));
  } finally {
    metrics.publishStoredMetrics();
    logger.removeKeys(['tenant_id', 'user_id']);
  }
};
