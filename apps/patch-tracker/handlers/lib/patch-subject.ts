/**
 * Patch subjects as the kernel's mailing lists write them: `[PATCH v3 2/5] net: fix foo`,
 * `[PATCH net-next v2 0/7] ...` (a cover letter), `[RFC PATCH 1/2] ...`, `Re: [PATCH ...] ...`,
 * and as Patchwork names patches: `[v3,2/5] net: fix foo`.
 */
export interface PatchSubject {
  /** Series version (1 when the tag has no `vN`). */
  readonly version: number;
  /** Position in the series (0 = cover letter); undefined for a lone patch. */
  readonly position?: number;
  /** Patches in the series; undefined for a lone patch. */
  readonly total?: number;
  /** The subject without reply prefixes and tags, whitespace collapsed, lower case: what patch and reply share. */
  readonly title: string;
  /** Whether it is a reply (`Re:`), not the patch mail itself. */
  readonly reply: boolean;
}

const REPLY_PREFIX = /^\s*((re|aw|fwd?)\s*:\s*)+/i;
const TAG = /^\s*\[([^\]]*)\]\s*/;

/** The patch tag of a subject, or undefined when the subject carries no `[...PATCH...]`-like tag. */
export function parsePatchSubject(subject: string): PatchSubject | undefined {
  let rest = subject.replace(/\s+/g, ' ');
  const reply = REPLY_PREFIX.test(rest);
  rest = rest.replace(REPLY_PREFIX, '');
  let version = 1;
  let position: number | undefined;
  let total: number | undefined;
  let tagged = false;
  for (let tag = TAG.exec(rest); tag; tag = TAG.exec(rest)) {
    const words = tag[1].split(/[\s,]+/).filter(Boolean);
    for (const word of words) {
      const v = /^v(\d{1,3})$/i.exec(word);
      const n = /^(\d{1,4})\/(\d{1,4})$/.exec(word);
      if (v) version = Number(v[1]);
      if (n) [position, total] = [Number(n[1]), Number(n[2])];
      if (/^(patch|rfc)$/i.test(word) || v || n) tagged = true;
    }
    rest = rest.slice(tag[0].length);
  }
  if (!tagged) return undefined;
  return { version, position, total, title: normalizeTitle(rest), reply };
}

/** Title comparison key: collapsed whitespace, lower case. */
export function normalizeTitle(title: string): string {
  return title.replace(/\s+/g, ' ').trim().toLowerCase();
}
