import '../../../kit/test/handler-env';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchPut, UnprocessedItemsError } from '../../handlers/lib/batch-write';
import { ddb } from '../../handlers/lib/clients';
import { startTrackerTables, TrackerTables } from '../support/tables';

let tables: TrackerTables;
let patches: string;
/** How many put requests DynamoDB "could not process" on each of the next BatchWriteItem calls. */
let throttled: number[] = [];

beforeAll(async () => {
  tables = await startTrackerTables();
  // Throttling on demand: withhold requests from DynamoDB Local and hand them back as
  // UnprocessedItems, exactly as DynamoDB answers a partly throttled BatchWriteItem.
  const client = ddb();
  const send = client.send.bind(client) as (command: unknown) => Promise<any>;
  jest.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
    if (!(command instanceof BatchWriteCommand)) return send(command);
    const withhold = throttled.shift() ?? 0;
    if (withhold === 0) return send(command);
    const [table, requests] = Object.entries(command.input.RequestItems!)[0];
    const kept = requests.slice(0, requests.length - withhold);
    const output = kept.length > 0 ? await send(new BatchWriteCommand({ RequestItems: { [table]: kept } })) : {};
    return { ...output, UnprocessedItems: { [table]: requests.slice(kept.length) } };
  }) as never);
});
afterAll(() => tables?.stop());
beforeEach(async () => {
  throttled = [];
  ({ patches } = await tables.fresh());
});

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), name: `patch ${i + 1}`, state: 'new', date: '2024-05-01T00:00:00.000Z' }));

test('writes in batches of 25 and resends what DynamoDB left unprocessed until all is stored', async () => {
  throttled = [5, 3, 0, 10];
  const resent = await batchPut(patches, items(60), { initialDelayMs: 1 });
  expect(resent).toBe(5 + 3 + 10);
  const stored = (await tables.items(patches)).map((i) => Number(i.id)).sort((a, b) => a - b);
  expect(stored).toEqual(items(60).map((i) => Number(i.id)));
});

test('gives up with UnprocessedItemsError when throttling outlasts the attempts', async () => {
  throttled = [25, 25, 25];
  await expect(batchPut(patches, items(25), { maxAttempts: 3, initialDelayMs: 1 })).rejects.toThrow(UnprocessedItemsError);
});
