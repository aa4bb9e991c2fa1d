import '../../../kit/test/handler-env';
import { resetSearchClient, searchClient } from '../../handlers/lib/search-client';
import { INDEX_BODY } from '../../handlers/lib/search-documents';
import { searchBody } from '../../handlers/lib/search-query';
import { OpenSearchFake, startOpenSearchFake } from '../../local/opensearch-fake';

// The fake is only worth what it refuses: unsigned requests, bodies outside the documented
// shapes, documents outside the strict mapping, stale external versions.
let fake: OpenSearchFake;

beforeAll(async () => {
  fake = await startOpenSearchFake();
  process.env.SEARCH_ENDPOINT = fake.endpoint;
  resetSearchClient();
  await searchClient().indices.create({ index: 'entries', body: INDEX_BODY });
});
afterAll(async () => {
  resetSearchClient();
  await fake?.stop();
});

const doc = { userId: 'u1', title: 'Hello', body: 'World', tags: ['a'], categoryId: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };

test('an unsigned request is refused (403)', async () => {
  const res = await fetch(`${fake.endpoint}/entries/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { error: { type: string } }).error.type).toBe('security_exception');
});

test('the handlers\' search body passes; a query outside the documented subset is a 400', async () => {
  const body = searchBody('u1', { q: 'hello', tag: 'a', from: '2025-01-01T00:00:00Z', limit: 5 });
  await expect(searchClient().search({ index: 'entries', body: body as never })).resolves.toMatchObject({ statusCode: 200 });
  await expect(searchClient().search({ index: 'entries', body: { query: { match: { title: 'x' } } } as never })).rejects.toThrow('parsing_exception');
  await expect(searchClient().search({ index: 'entries', body: { query: { bool: { should: [] } } } as never })).rejects.toThrow('parsing_exception');
});

test('documents must fit the strict mapping; an older external version is a 409', async () => {
  await expect(searchClient().index({ index: 'entries', id: 'e1', version: 2, version_type: 'external', body: doc })).resolves.toMatchObject({ statusCode: 201 });
  await expect(searchClient().index({ index: 'entries', id: 'e2', body: { ...doc, mood: 'happy' } })).rejects.toThrow('strict_dynamic_mapping_exception');
  await expect(searchClient().index({ index: 'entries', id: 'e3', body: { ...doc, createdAt: 'yesterday' } })).rejects.toThrow('mapper_parsing_exception');
  await expect(searchClient().index({ index: 'entries', id: 'e1', version: 1, version_type: 'external', body: doc })).rejects.toMatchObject({ meta: { statusCode: 409 } });
  expect(fake.document('entries', 'e1')?.version).toBe(2);
});
