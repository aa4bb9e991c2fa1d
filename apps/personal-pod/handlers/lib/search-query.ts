import { z } from 'zod';
import { Tag } from './entries';
import { searchClient, searchIndex } from './search-client';

export const SearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional(),
  categoryId: z.uuid().optional(),
  tag: Tag.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
}).refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

export type SearchQuery = z.infer<typeof SearchQuery>;

export interface SearchResult {
  readonly total: number;
  readonly items: SearchHit[];
  /** Counts over every match (not only this page): by tag and by category. */
  readonly facets: { readonly tags: Facet[]; readonly categories: Facet[] };
}

export interface SearchHit {
  readonly id: string;
  readonly score: number | null;
  readonly title: string;
  readonly tags: string[];
  readonly categoryId: string | null;
  readonly createdAt: string;
  /** Fragments of the title and body with the matched words in `<em>`. */
  readonly highlights: string[];
}

export interface Facet {
  readonly value: string;
  readonly count: number;
}

/**
 * The request body of a search: full text over title (boosted), body and tags, the user's
 * documents only (a filter on `userId`, always), optional filters, and terms aggregations for
 * the facets.
 */
export function searchBody(userId: string, query: SearchQuery): Record<string, unknown> {
  const filter: unknown[] = [{ term: { userId } }];
  if (query.categoryId) filter.push({ term: { categoryId: query.categoryId } });
  if (query.tag) filter.push({ term: { tags: query.tag } });
  if (query.from || query.to) {
    filter.push({ range: { createdAt: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lte: query.to } : {}) } } });
  }
  return {
    size: query.limit,
    track_total_hits: true,
    query: {
      bool: {
        must: query.q ? [{ multi_match: { query: query.q, fields: ['title^2', 'body', 'tags'] } }] : [{ match_all: {} }],
        filter,
      },
    },
    sort: query.q ? ['_score', { createdAt: 'desc' }] : [{ createdAt: 'desc' }],
    _source: ['title', 'tags', 'categoryId', 'createdAt'],
    highlight: { fields: { body: {}, title: {} } },
    aggs: {
      tags: { terms: { field: 'tags', size: 20 } },
      categories: { terms: { field: 'categoryId', size: 20 } },
    },
  };
}

interface Hit {
  _id: string;
  _score: number | null;
  _source: { title: string; tags: string[]; categoryId: string | null; createdAt: string };
  highlight?: Record<string, string[]>;
}
interface Buckets {
  buckets: Array<{ key: string; doc_count: number }>;
}

/** Runs the search; a missing index (nothing indexed yet) is an empty result. */
export async function searchEntries(userId: string, query: SearchQuery): Promise<SearchResult> {
  let body;
  try {
    ({ body } = await searchClient().search({ index: searchIndex(), body: searchBody(userId, query) as never }));
  } catch (err) {
    if (String((err as Error).message).includes('index_not_found_exception')) return { total: 0, items: [], facets: { tags: [], categories: [] } };
    throw err;
  }
  const hits = body.hits.hits as unknown as Hit[];
  const total = body.hits.total;
  const aggregations = body.aggregations as unknown as { tags: Buckets; categories: Buckets };
  const facet = (b: Buckets): Facet[] => b.buckets.map((x) => ({ value: x.key, count: x.doc_count }));
  return {
    total: typeof total === 'number' ? total : total?.value ?? 0,
    items: hits.map((h) => ({
      id: h._id,
      score: h._score,
      title: h._source.title,
      tags: h._source.tags,
      categoryId: h._source.categoryId,
      createdAt: h._source.createdAt,
      highlights: Object.values(h.highlight ?? {}).flat(),
    })),
    facets: { tags: facet(aggregations.tags), categories: facet(aggregations.categories) },
  };
}
