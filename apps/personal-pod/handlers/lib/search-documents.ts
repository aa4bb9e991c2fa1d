import type { Entry } from './entries';
import { searchClient, searchIndex } from './search-client';

/** The search document of an entry: what is searched (title, body, tags) and filtered on. */
export interface EntryDocument {
  readonly userId: string;
  readonly title: string;
  readonly body: string;
  readonly tags: string[];
  readonly categoryId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The index's mapping: `strict`, so a document with a field not listed here is refused instead
 * of growing the mapping; keywords for the filters and facets, text for full-text search.
 */
export const INDEX_BODY = {
  settings: { index: { number_of_shards: 1 } },
  mappings: {
    dynamic: 'strict',
    properties: {
      userId: { type: 'keyword' },
      title: { type: 'text' },
      body: { type: 'text' },
      tags: { type: 'keyword' },
      categoryId: { type: 'keyword' },
      createdAt: { type: 'date' },
      updatedAt: { type: 'date' },
    },
  },
} as const;

let indexReady = false;

/** Creates the index with its mapping unless it exists (once per container). */
export async function ensureIndex(): Promise<void> {
  if (indexReady) return;
  const index = searchIndex();
  const exists = await searchClient().indices.exists({ index });
  if (!exists.body) {
    try {
      await searchClient().indices.create({ index, body: INDEX_BODY });
    } catch (err) {
      // Another container created it first.
      if (!String((err as Error).message).includes('resource_already_exists_exception')) throw err;
    }
  }
  indexReady = true;
}

export function toDocument(userId: string, entry: Entry): EntryDocument {
  const { title, body, tags, categoryId, createdAt, updatedAt } = entry;
  return { userId, title, body, tags, categoryId, createdAt, updatedAt };
}

/**
 * Writes the entry's document with the entry's version as an external version: a job that
 * arrives late (an older version) is refused by OpenSearch (409) and counts as done, so
 * reordered or redelivered jobs never put an older text back.
 */
export async function indexEntry(userId: string, entry: Entry): Promise<'indexed' | 'stale'> {
  try {
    await searchClient().index({ index: searchIndex(), id: entry.id, version: entry.version, version_type: 'external', body: toDocument(userId, entry) });
    return 'indexed';
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409) return 'stale';
    throw err;
  }
}

/** Removes the entry's document; one already gone is fine (redelivered job). */
export async function removeEntry(entryId: string): Promise<void> {
  try {
    await searchClient().delete({ index: searchIndex(), id: entryId });
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode !== 404) throw err;
  }
}

/** Forgets that the index exists (tests). */
export function resetIndexState(): void {
  indexReady = false;
}
