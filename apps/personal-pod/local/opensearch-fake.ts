/**
 * A loopback stand-in for an Amazon OpenSearch Service domain, for the subset of the REST API the
 * PersonalPod handlers use, checked against OpenSearch's documented request shapes:
 *
 * - every request must be SigV4-signed for the `es` service (Authorization header shape,
 *   `x-amz-date`, and `x-amz-content-sha256` equal to the SHA-256 of the body). The signature
 *   itself is not verified (the fake knows no secret).
 * - `HEAD /<index>`, `PUT /<index>` (create index: `settings`, `mappings.properties` with field
 *   types), `PUT /<index>/_doc/<id>` (index a document, `version` + `version_type=external`),
 *   `DELETE /<index>/_doc/<id>`, `GET|POST /<index>/_search`.
 * - search bodies are parsed with a strict schema of the query DSL subset it implements (`bool`
 *   with `must`/`filter`, `match_all`, `multi_match`, `term`, `range`; `terms` aggregations;
 *   `sort`, `_source`, `highlight`, `size`, `track_total_hits`): anything else is a 400, so a
 *   query the fake cannot judge fails the test instead of passing silently.
 * - documents are checked against the index's strict mapping (unknown field, wrong type: 400).
 *
 * Not emulated: relevance scoring (a plain count of matched terms times the field boost), text
 * analysis beyond lower-casing and splitting on non-letters, near-real-time refresh (documents
 * are searchable at once), shards, the other APIs.
 */
import { createHash } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import type { AddressInfo } from 'net';
import { z } from 'zod';
import { readBody } from '../../kit/local/read-body';

const FieldType = z.enum(['text', 'keyword', 'date', 'integer', 'long', 'boolean', 'float']);
const CreateIndexBody = z.strictObject({
  settings: z.record(z.string(), z.unknown()).optional(),
  mappings: z.strictObject({
    dynamic: z.union([z.boolean(), z.enum(['strict', 'true', 'false'])]).optional(),
    properties: z.record(z.string(), z.strictObject({ type: FieldType })),
  }),
});

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
type Query =
  | { match_all: Record<string, never> }
  | { multi_match: { query: string; fields: string[] } }
  | { term: Record<string, string | number | boolean | { value: string | number | boolean }> }
  | { range: Record<string, { gte?: string; lte?: string; gt?: string; lt?: string }> }
  | { bool: { must?: Query[]; filter?: Query[] } };
const QuerySchema: z.ZodType<Query> = z.lazy(() => z.union([
  z.strictObject({ match_all: z.strictObject({}) }),
  z.strictObject({ multi_match: z.strictObject({ query: z.string(), fields: z.array(z.string().regex(/^[A-Za-z_]+(\^\d+(\.\d+)?)?$/)).min(1) }) }),
  z.strictObject({ term: z.record(z.string(), z.union([Scalar, z.strictObject({ value: Scalar })])).refine((r) => Object.keys(r).length === 1, 'one field') }),
  z.strictObject({ range: z.record(z.string(), z.strictObject({ gte: z.string().optional(), lte: z.string().optional(), gt: z.string().optional(), lt: z.string().optional() })).refine((r) => Object.keys(r).length === 1, 'one field') }),
  z.strictObject({ bool: z.strictObject({ must: z.array(QuerySchema).optional(), filter: z.array(QuerySchema).optional() }) }),
])) as z.ZodType<Query>;
const SortSchema = z.array(z.union([z.string(), z.record(z.string(), z.enum(['asc', 'desc']))]));
const SearchBody = z.strictObject({
  size: z.number().int().min(0).max(10_000).optional(),
  from: z.number().int().min(0).optional(),
  track_total_hits: z.boolean().optional(),
  query: QuerySchema.optional(),
  sort: SortSchema.optional(),
  _source: z.union([z.boolean(), z.array(z.string())]).optional(),
  highlight: z.strictObject({ fields: z.record(z.string(), z.strictObject({})) }).optional(),
  aggs: z.record(z.string(), z.strictObject({ terms: z.strictObject({ field: z.string(), size: z.number().int().min(1).optional() }) })).optional(),
});

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=[^/\s]+\/\d{8}\/[a-z0-9-]+\/es\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

interface StoredIndex {
  readonly properties: Record<string, z.infer<typeof FieldType>>;
  readonly docs: Map<string, { version: number; source: Record<string, unknown> }>;
}

/** A request the fake received (for assertions). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
}

export interface OpenSearchFake {
  /** `http://127.0.0.1:<port>`: SEARCH_ENDPOINT for the handlers. */
  readonly endpoint: string;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** The stored document, if any. */
  document(index: string, id: string): { version: number; source: Record<string, unknown> } | undefined;
  stop(): Promise<void>;
}

class OpenSearchError extends Error {
  constructor(readonly status: number, readonly type: string, reason: string) {
    super(reason);
  }
}

const tokens = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}_-]+/u).filter(Boolean);

/** Starts the fake on a free loopback port. */
export async function startOpenSearchFake(): Promise<OpenSearchFake> {
  const indexes = new Map<string, StoredIndex>();
  const requests: RecordedRequest[] = [];

  const indexOf = (name: string): StoredIndex => {
    const index = indexes.get(name);
    if (!index) throw new OpenSearchError(404, 'index_not_found_exception', `no such index [${name}]`);
    return index;
  };

  function checkDocument(index: StoredIndex, source: unknown): Record<string, unknown> {
    if (!source || typeof source !== 'object' || Array.isArray(source)) throw new OpenSearchError(400, 'mapper_parsing_exception', 'the document is not an object');
    for (const [field, value] of Object.entries(source)) {
      const type = index.properties[field];
      if (!type) throw new OpenSearchError(400, 'strict_dynamic_mapping_exception', `mapping set to strict, dynamic introduction of [${field}] is not allowed`);
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v === null) continue;
        const ok = type === 'date' ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
          : type === 'text' || type === 'keyword' ? typeof v === 'string'
            : type === 'boolean' ? typeof v === 'boolean' : typeof v === 'number';
        if (!ok) throw new OpenSearchError(400, 'mapper_parsing_exception', `failed to parse field [${field}] of type [${type}]`);
      }
    }
    return source as Record<string, unknown>;
  }

  function fieldType(index: StoredIndex, field: string, allowed: string[]): void {
    const type = index.properties[field];
    if (!type || !allowed.includes(type)) throw new OpenSearchError(400, 'query_shard_exception', `field [${field}] is not a ${allowed.join('/')} field of the mapping`);
  }

  /** The score of a document for the query, or undefined when it does not match. */
  function score(index: StoredIndex, query: Query, doc: Record<string, unknown>): number | undefined {
    const values = (field: string) => [doc[field]].flat().filter((v) => v !== null && v !== undefined).map(String);
    if ('match_all' in query) return 1;
    if ('multi_match' in query) {
      const wanted = tokens(query.multi_match.query);
      let total = 0;
      for (const spec of query.multi_match.fields) {
        const [field, boost] = spec.split('^');
        fieldType(index, field, ['text', 'keyword']);
        const have = index.properties[field] === 'text' ? values(field).flatMap(tokens) : values(field).map((v) => v.toLowerCase());
        total += wanted.filter((t) => have.includes(t)).length * Number(boost ?? 1);
      }
      return total > 0 ? total : undefined;
    }
    if ('term' in query) {
      const [[field, raw]] = Object.entries(query.term);
      fieldType(index, field, ['keyword', 'date', 'integer', 'long', 'boolean', 'float']);
      const value = String(typeof raw === 'object' ? raw.value : raw);
      return values(field).includes(value) ? 0 : undefined;
    }
    if ('range' in query) {
      const [[field, r]] = Object.entries(query.range);
      fieldType(index, field, ['date']);
      const at = values(field).map(Date.parse);
      const ok = at.some((t) => (r.gte === undefined || t >= Date.parse(r.gte)) && (r.lte === undefined || t <= Date.parse(r.lte))
        && (r.gt === undefined || t > Date.parse(r.gt)) && (r.lt === undefined || t < Date.parse(r.lt)));
      return ok ? 0 : undefined;
    }
    let total = 0;
    for (const q of query.bool.must ?? []) {
      const s = score(index, q, doc);
      if (s === undefined) return undefined;
      total += s;
    }
    for (const q of query.bool.filter ?? []) if (score(index, q, doc) === undefined) return undefined;
    return total;
  }

  function search(name: string, raw: unknown) {
    const parsed = SearchBody.safeParse(raw ?? {});
    if (!parsed.success) throw new OpenSearchError(400, 'parsing_exception', `request body not accepted by the fake: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const body = parsed.data;
    const index = indexOf(name);
    const query = body.query ?? { match_all: {} };
    const matches = [...index.docs.entries()]
      .map(([id, d]) => ({ id, source: d.source, score: score(index, query, d.source) }))
      .filter((m): m is { id: string; source: Record<string, unknown>; score: number } => m.score !== undefined);
    const sorts = body.sort ?? ['_score'];
    matches.sort((a, b) => {
      for (const s of sorts) {
        const [field, order] = typeof s === 'string' ? [s, s === '_score' ? 'desc' : 'asc'] : Object.entries(s)[0];
        const av = field === '_score' ? a.score : String(a.source[field] ?? '');
        const bv = field === '_score' ? b.score : String(b.source[field] ?? '');
        if (av !== bv) return (av < bv ? -1 : 1) * (order === 'desc' ? -1 : 1);
      }
      return a.id < b.id ? -1 : 1;
    });
    const aggregations: Record<string, unknown> = {};
    for (const [aggName, agg] of Object.entries(body.aggs ?? {})) {
      fieldType(index, agg.terms.field, ['keyword']);
      const counts = new Map<string, number>();
      for (const m of matches) for (const v of [m.source[agg.terms.field]].flat()) if (typeof v === 'string') counts.set(v, (counts.get(v) ?? 0) + 1);
      const buckets = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, agg.terms.size ?? 10)
        .map(([key, doc_count]) => ({ key, doc_count }));
      aggregations[aggName] = { doc_count_error_upper_bound: 0, sum_other_doc_count: counts.size - buckets.length, buckets };
    }
    const words = query && 'bool' in query ? (query.bool.must ?? []).flatMap((q) => ('multi_match' in q ? tokens(q.multi_match.query) : [])) : [];
    const page = matches.slice(body.from ?? 0, (body.from ?? 0) + (body.size ?? 10));
    return {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: {
        total: { value: matches.length, relation: 'eq' },
        max_score: page[0]?.score ?? null,
        hits: page.map((m) => {
          const source = Array.isArray(body._source) ? Object.fromEntries(body._source.map((f) => [f, m.source[f]])) : m.source;
          const highlight: Record<string, string[]> = {};
          for (const field of Object.keys(body.highlight?.fields ?? {})) {
            const text = String(m.source[field] ?? '');
            if (words.some((w) => tokens(text).includes(w))) {
              highlight[field] = [text.replace(/[\p{L}\p{N}_-]+/gu, (t) => (words.includes(t.toLowerCase()) ? `<em>${t}</em>` : t)).slice(0, 200)];
            }
          }
          return { _index: name, _id: m.id, _score: m.score, _source: source, ...(Object.keys(highlight).length ? { highlight } : {}) };
        }),
      },
      ...(body.aggs ? { aggregations } : {}),
    };
  }

  function handle(method: string, segments: string[], query: Record<string, string>, body: unknown): { status: number; body?: unknown } {
    const [name, op, id] = segments;
    if (!name || name.startsWith('_') || !/^[a-z0-9][a-z0-9_.-]*$/.test(name)) throw new OpenSearchError(400, 'invalid_index_name_exception', `unsupported path /${segments.join('/')}`);
    if (segments.length === 1 && method === 'HEAD') return { status: indexes.has(name) ? 200 : 404 };
    if (segments.length === 1 && method === 'PUT') {
      const parsed = CreateIndexBody.safeParse(body);
      if (!parsed.success) throw new OpenSearchError(400, 'mapper_parsing_exception', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (indexes.has(name)) throw new OpenSearchError(400, 'resource_already_exists_exception', `index [${name}] already exists`);
      const properties = Object.fromEntries(Object.entries(parsed.data.mappings.properties).map(([f, p]) => [f, p.type]));
      indexes.set(name, { properties, docs: new Map() });
      return { status: 200, body: { acknowledged: true, shards_acknowledged: true, index: name } };
    }
    if (op === '_search' && segments.length === 2 && (method === 'GET' || method === 'POST')) return { status: 200, body: search(name, body) };
    if (op === '_doc' && id && segments.length === 3) {
      const index = indexOf(name);
      const existing = index.docs.get(id);
      if (method === 'PUT' || method === 'POST') {
        const source = checkDocument(index, body);
        let version = (existing?.version ?? 0) + 1;
        if (query.version_type !== undefined || query.version !== undefined) {
          if (query.version_type !== 'external' || !/^\d+$/.test(query.version ?? '')) throw new OpenSearchError(400, 'action_request_validation_exception', 'the fake supports version with version_type=external only');
          version = Number(query.version);
          if (existing && existing.version >= version) {
            throw new OpenSearchError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, current version [${existing.version}] is higher or equal to the one provided [${version}]`);
          }
        }
        index.docs.set(id, { version, source });
        return { status: existing ? 200 : 201, body: { _index: name, _id: id, _version: version, result: existing ? 'updated' : 'created' } };
      }
      if (method === 'DELETE') {
        if (!existing) return { status: 404, body: { _index: name, _id: id, result: 'not_found' } };
        index.docs.delete(id);
        return { status: 200, body: { _index: name, _id: id, _version: existing.version + 1, result: 'deleted' } };
      }
    }
    throw new OpenSearchError(400, 'illegal_argument_exception', `the fake has no handler for ${method} /${segments.join('/')}`);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(body === undefined || req.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    try {
      const raw = (await readBody(req, 10 * 1024 * 1024)) ?? Buffer.alloc(0);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const query = Object.fromEntries(url.searchParams);
      const text = raw.toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        throw new OpenSearchError(400, 'parsing_exception', 'the body is not JSON');
      }
      requests.push({ method: req.method ?? '', path: url.pathname, query, body });
      const auth = req.headers.authorization ?? '';
      if (!SIGV4.test(auth) || !/^\d{8}T\d{6}Z$/.test(String(req.headers['x-amz-date'] ?? ''))) {
        throw new OpenSearchError(403, 'security_exception', 'the request is not SigV4-signed for service es');
      }
      if (req.headers['x-amz-content-sha256'] !== createHash('sha256').update(raw).digest('hex')) {
        throw new OpenSearchError(403, 'security_exception', 'x-amz-content-sha256 does not match the body');
      }
      const result = handle(req.method ?? 'GET', url.pathname.split('/').filter(Boolean).map(decodeURIComponent), query, body);
      send(result.status, result.body);
    } catch (err) {
      if (err instanceof OpenSearchError) {
        const error = { root_cause: [{ type: err.type, reason: err.message }], type: err.type, reason: err.message };
        send(err.status, { error, status: err.status });
      } else {
        send(500, { error: { type: 'exception', reason: String(err) }, status: 500 });
      }
    }
  }

  const server: Server = createServer((req, res) => void onRequest(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    document: (index, id) => indexes.get(index)?.docs.get(id),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
