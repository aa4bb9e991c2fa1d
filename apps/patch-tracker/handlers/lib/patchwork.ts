/**
 * The Patchwork REST API (v1.3) as the fetcher reads it: `GET /api/1.3/patches/?project=P&page=N`
 * returns a JSON array of patches, and the `Link` header (RFC 8288) names the next page. Each page
 * is validated with zod before anything of the run is written.
 */
import * as z from 'zod';
import { PermanentHttpError, ResilientHttp } from './resilient-http';

/** The fields of a Patchwork patch the tracker keeps (the API sends more; extra fields are ignored). */
export const patchworkPatch = z.object({
  id: z.number().int().positive(),
  web_url: z.string().url().nullish(),
  msgid: z.string().min(3).max(998),
  list_archive_url: z.string().url().nullish(),
  date: z.string().min(10), // "2024-05-01T12:34:56" (UTC, no zone)
  name: z.string().min(1).max(2000),
  state: z.string().regex(/^[a-z0-9-]{1,64}$/),
  archived: z.boolean().optional(),
  hash: z.string().nullish(),
  commit_ref: z.string().nullish(),
  project: z.object({ id: z.number().int(), link_name: z.string().min(1), list_id: z.string().nullish() }),
  submitter: z.object({ id: z.number().int(), name: z.string().nullish(), email: z.string().min(3).max(320) }),
  delegate: z.object({ username: z.string() }).nullish(),
  mbox: z.string().url().nullish(),
  series: z.array(z.object({ id: z.number().int(), name: z.string().nullish(), version: z.number().int().nonnegative().nullish() })).default([]),
});
export type PatchworkPatch = z.infer<typeof patchworkPatch>;

const patchPage = z.array(patchworkPatch);

/** The URL with rel="next" in an RFC 8288 `Link` header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const link of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (!match) continue;
    const rels = match[2].split(';').map((p) => /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(p)?.[1]).find((r) => r !== undefined);
    if (rels?.toLowerCase().split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

/** A page that is not a JSON array of patches: the API changed or a proxy answered. Never retried. */
export class MalformedPageError extends PermanentHttpError {
  constructor(url: string, reason: string) {
    super(`GET ${url}: malformed Patchwork page: ${reason}`);
    this.name = 'MalformedPageError';
  }
}

/** The patches of one page body, validated; throws MalformedPageError naming the first problem. */
export function parsePatchPage(url: string, body: Buffer): PatchworkPatch[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedPageError(url, 'not JSON');
  }
  const parsed = patchPage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPageError(url, `${issue.path.join('.') || '(page)'}: ${issue.message}`);
  }
  return parsed.data;
}

export interface PatchQuery {
  /** Patchwork base URL, e.g. https://patchwork.kernel.org */
  readonly baseUrl: string;
  /** Project link name, e.g. `netdevbpf`. */
  readonly project: string;
  /** Only patches submitted at or after this time (ISO 8601). */
  readonly since?: string;
  /** Patches per page (Patchwork allows up to 250 on kernel.org). */
  readonly perPage: number;
  /** Pages to read at most; the run stops there (the next run continues from its own window). */
  readonly maxPages: number;
}

/** The first page's URL. */
export function firstPageUrl(q: PatchQuery): string {
  const url = new URL('/api/1.3/patches/', q.baseUrl);
  url.searchParams.set('project', q.project);
  url.searchParams.set('order', '-date');
  url.searchParams.set('per_page', String(q.perPage));
  if (q.since) url.searchParams.set('since', q.since);
  url.searchParams.set('page', '1');
  return url.toString();
}

/** Every patch of the query (following `Link: rel="next"` up to maxPages), each page validated. */
export async function fetchPatches(http: ResilientHttp, q: PatchQuery): Promise<{ patches: PatchworkPatch[]; pages: number; truncated: boolean }> {
  const patches: PatchworkPatch[] = [];
  const origin = new URL(q.baseUrl).origin;
  let url: string | undefined = firstPageUrl(q);
  let pages = 0;
  while (url && pages < q.maxPages) {
    const response = await http.get(url, 'application/json');
    patches.push(...parsePatchPage(url, response.body));
    pages++;
    const next = nextLink(response.headers.get('link'));
    // Only follow links to the same archive (a Link header is input too).
    if (next && new URL(next, url).origin !== origin) throw new MalformedPageError(url, `next link leaves ${origin}`);
    url = next ? new URL(next, url).toString() : undefined;
  }
  return { patches, pages, truncated: url !== undefined };
}
