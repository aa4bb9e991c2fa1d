import '../../../kit/test/handler-env';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { closePool } from '../../../kit/handlers/postgres-pool';
import { freePort } from '../../../kit/local/ports';
import { LocalPostgres, startPostgres } from '../../../kit/local/postgres';
import { lambdaContext } from '../../../kit/test/api-event';
import { handler } from '../../handlers/indexer.lambda';
import { createEntry, deleteEntry, updateEntry } from '../../handlers/lib/entries';
import { resetSearchClient } from '../../handlers/lib/search-client';
import { resetIndexState } from '../../handlers/lib/search-documents';
import { POSTGRES } from '../../local/local-personal-pod';
import { OpenSearchFake, startOpenSearchFake } from '../../local/opensearch-fake';

// The queue consumer against Postgres and the OpenSearch fake: what it writes, and which
// messages it hands back to SQS (ReportBatchItemFailures).
let postgres: LocalPostgres;
let search: OpenSearchFake;

beforeAll(async () => {
  [postgres, search] = await Promise.all([startPostgres(POSTGRES), startOpenSearchFake()]);
  Object.assign(process.env, postgres.env, { SEARCH_ENDPOINT: search.endpoint, SEARCH_INDEX: 'entries' });
}, 180_000);
afterAll(async () => {
  await closePool();
  await Promise.all([postgres?.stop(), search?.stop()]);
});
beforeEach(() => {
  resetSearchClient();
  resetIndexState();
});

const record = (body: string, messageId: string): SQSRecord => ({ messageId, body } as SQSRecord);
const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

test('indexes the committed entry under its version; a redelivered job is a no-op; a malformed job is dropped', async () => {
  const { entry } = await createEntry('user-1', { title: 'Pebbles', body: 'On the beach', tags: ['beach'] });
  const job = JSON.stringify({ type: 'entry.updated', userId: 'user-1', entryId: entry.id });
  expect(await handler(event(record(job, 'm1'), record('{"nope":1}', 'm2'), record('not json', 'm3')), lambdaContext('indexer'))).toEqual({ batchItemFailures: [] });
  expect(search.document('entries', entry.id)).toEqual({
    version: 1,
    source: { userId: 'user-1', title: 'Pebbles', body: 'On the beach', tags: ['beach'], categoryId: null, createdAt: entry.createdAt, updatedAt: entry.updatedAt },
  });
  // Redelivered: OpenSearch refuses the same external version (409), which counts as done.
  expect(await handler(event(record(job, 'm4')), lambdaContext('indexer'))).toEqual({ batchItemFailures: [] });
  await updateEntry('user-1', entry.id, { body: 'On the shingle', expectedVersion: 1 });
  await handler(event(record(job, 'm5')), lambdaContext('indexer'));
  expect(search.document('entries', entry.id)).toMatchObject({ version: 2, source: { body: 'On the shingle' } });
});

test('a job for an entry that no longer exists removes its document', async () => {
  const { entry } = await createEntry('user-1', { title: 'Gone', body: 'soon' });
  const job = JSON.stringify({ type: 'entry.updated', userId: 'user-1', entryId: entry.id });
  await handler(event(record(job, 'm1')), lambdaContext('indexer'));
  expect(search.document('entries', entry.id)).toBeDefined();
  await deleteEntry('user-1', entry.id);
  await handler(event(record(job, 'm2')), lambdaContext('indexer'));
  expect(search.document('entries', entry.id)).toBeUndefined();
});

test('search unreachable: every message of the batch goes back to the queue', async () => {
  process.env.SEARCH_ENDPOINT = `http://127.0.0.1:${await freePort()}`;
  try {
    const { entry } = await createEntry('user-1', { title: 'Later', body: 'retry' });
    const job = JSON.stringify({ type: 'entry.updated', userId: 'user-1', entryId: entry.id });
    expect(await handler(event(record(job, 'm1'), record(job, 'm2')), lambdaContext('indexer')))
      .toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
  } finally {
    process.env.SEARCH_ENDPOINT = search.endpoint;
  }
}, 30_000);
