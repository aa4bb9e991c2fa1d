import '../../../kit/test/handler-env';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, expectError, lambdaContext, parseResponse } from '../../../kit/test/api-event';
import { patchItem } from '../../handlers/lib/patch-items';
import { patchworkPatch } from '../../handlers/lib/patchwork';
import { handler } from '../../handlers/patches.lambda';
import { LONE_PATCH, patchJson, SERIES_PATCHES } from '../fixtures/patchwork';
import { startTrackerTables, TrackerTables } from '../support/tables';

let tables: TrackerTables;
const reader = { sub: 'reader-1', email: 'reader@example.org' };
const call = async (opts: Parameters<typeof apiEvent>[0]) => parseResponse(await handler(apiEvent(opts), lambdaContext('patches')));

beforeAll(async () => {
  tables = await startTrackerTables();
  const { patches } = await tables.fresh();
  const items = [...SERIES_PATCHES, LONE_PATCH].map((p) => patchItem(patchworkPatch.parse(patchJson(p))));
  await tables.doc.send(new BatchWriteCommand({ RequestItems: { [patches]: items.map((Item) => ({ PutRequest: { Item } })) } }));
});
afterAll(() => tables?.stop());

describe('patches handler', () => {
  test('lists by status from the StatusIndex, newest first', async () => {
    const res = await call({ method: 'GET', resource: '/api/patches', query: { status: 'new' }, identity: reader });
    expect(res.statusCode).toBe(200);
    expect(res.body.patches.map((p: { id: string }) => p.id)).toEqual(['13650002', '13650001']);
    expect(res.body.cursor).toBeUndefined();
  });

  test('answers 401 itself when the authorizer passed no identity (defence in depth behind API Gateway)', async () => {
    expectError(await call({ method: 'GET', resource: '/api/patches', query: { status: 'new' } }), 401, 'UNAUTHORIZED');
  });

  test('answers 405 for a method the route table does not have', async () => {
    expectError(await call({ method: 'DELETE', resource: '/api/patches/{id}', pathParameters: { id: '13650001' }, identity: reader }), 405, 'METHOD_NOT_ALLOWED');
  });

  test('a 404 for an unknown patch, a 400 for a malformed id', async () => {
    expectError(await call({ method: 'GET', resource: '/api/patches/{id}', pathParameters: { id: '1' }, identity: reader }), 404, 'NOT_FOUND');
    expectError(await call({ method: 'GET', resource: '/api/patches/{id}', pathParameters: { id: '1;DROP' }, identity: reader }), 400, 'BAD_REQUEST', /path\.id/);
  });
});
