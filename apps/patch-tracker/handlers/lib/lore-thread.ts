/**
 * A lore.kernel.org thread (the mbox of `/<list>/<message-id>/t.mbox.gz`) as discussion items:
 * each message parsed with postal-mime, threaded by Message-ID / In-Reply-To / References, and
 * matched to the patches it discusses: the patch mail itself by Message-ID, a reply through its
 * parent chain, and otherwise by the `[PATCH vN M/N]` subject against the series' patch names.
 */
import PostalMime from 'postal-mime';
import { splitMbox } from './mbox';
import { normalizeTitle, parsePatchSubject } from './patch-subject';

/** What the matcher knows of a patch: its id, Patchwork name, Message-ID and series. */
export interface KnownPatch {
  readonly id: string;
  readonly name: string;
  readonly msgid: string;
  readonly seriesId?: string;
}

/** One message of a thread, as stored in the Discussions table. */
export interface DiscussionMessage {
  /** Message-ID without angle brackets. */
  readonly id: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  /** Message-ID of the thread's root (the first References entry, else the parent, else itself). */
  readonly threadId: string;
  readonly inReplyTo?: string;
  readonly subject: string;
  readonly authorName?: string;
  /** Lower-cased address. */
  readonly authorEmail: string;
  /** The patch this message is or discusses, if it could be matched. */
  readonly patchId?: string;
  /** Plain-text body, cut to `MAX_BODY_CHARS`. */
  readonly body: string;
  /** Review trailers found in the body (Reviewed-by, Acked-by, Tested-by, Nacked-by). */
  readonly trailers: string[];
}

export const MAX_BODY_CHARS = 16_000;

/** Message-ids of a header (`<a@b> <c@d>`), brackets removed, in order. */
export function messageIds(header: string | undefined): string[] {
  return [...(header ?? '').matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);
}

const TRAILER = /^(Reviewed-by|Acked-by|Tested-by|Nacked-by|NACKed-by):\s*(.+)$/gim;

/** A message that cannot be stored: no Message-ID, no usable date or author. */
export class MalformedMessageError extends Error {
  constructor(reason: string) {
    super(`malformed message: ${reason}`);
    this.name = 'MalformedMessageError';
  }
}

interface Parsed {
  readonly id: string;
  readonly timestamp: string;
  readonly references: string[];
  readonly inReplyTo?: string;
  readonly subject: string;
  readonly authorName?: string;
  readonly authorEmail: string;
  readonly body: string;
}

async function parseMessage(raw: string): Promise<Parsed> {
  const email = await PostalMime.parse(raw);
  const id = messageIds(email.messageId)[0];
  if (!id) throw new MalformedMessageError('no Message-ID');
  const time = email.date ? Date.parse(email.date) : NaN;
  if (Number.isNaN(time)) throw new MalformedMessageError(`${id}: no valid Date`);
  const from = email.from && 'address' in email.from ? email.from : undefined;
  if (!from?.address) throw new MalformedMessageError(`${id}: no From address`);
  return {
    id,
    timestamp: new Date(time).toISOString(),
    references: messageIds(email.references),
    inReplyTo: messageIds(email.inReplyTo)[0],
    subject: (email.subject ?? '').slice(0, 1000),
    authorName: from.name || undefined,
    authorEmail: from.address.toLowerCase(),
    body: (email.text ?? '').slice(0, MAX_BODY_CHARS),
  };
}

/**
 * The messages of a thread mbox with thread and patch. A malformed message fails the whole thread
 * (MalformedMessageError), so a run never stores half a thread.
 */
export async function parseThread(mbox: string, patches: readonly KnownPatch[]): Promise<DiscussionMessage[]> {
  const parsed: Parsed[] = [];
  for (const raw of splitMbox(mbox)) parsed.push(await parseMessage(raw));
  const byId = new Map(parsed.map((m) => [m.id, m]));
  const patchByMsgid = new Map(patches.map((p) => [p.msgid.replace(/^<|>$/g, ''), p]));
  const patchByTitle = new Map<string, KnownPatch>();
  for (const p of patches) {
    const s = parsePatchSubject(p.name);
    patchByTitle.set(`${s?.version ?? 1}|${normalizeTitle(s ? s.title : p.name)}`, p);
  }

  const parentOf = (m: Parsed): string | undefined => m.inReplyTo ?? m.references[m.references.length - 1];
  const patchOf = (m: Parsed, seen = new Set<string>()): KnownPatch | undefined => {
    const own = patchByMsgid.get(m.id);
    if (own) return own;
    seen.add(m.id);
    const parent = parentOf(m);
    const parentPatch = parent && !seen.has(parent)
      ? (byId.has(parent) ? patchOf(byId.get(parent)!, seen) : patchByMsgid.get(parent))
      : undefined;
    if (parentPatch) return parentPatch;
    const subject = parsePatchSubject(m.subject);
    return subject && subject.position !== 0 ? patchByTitle.get(`${subject.version}|${subject.title}`) : undefined;
  };

  return parsed.map((m) => {
    const patch = patchOf(m);
    return {
      id: m.id,
      timestamp: m.timestamp,
      threadId: m.references[0] ?? m.inReplyTo ?? m.id,
      inReplyTo: m.inReplyTo,
      subject: m.subject,
      authorName: m.authorName,
      authorEmail: m.authorEmail,
      patchId: patch?.id,
      body: m.body,
      trailers: [...m.body.matchAll(TRAILER)].map((t) => `${t[1]}: ${t[2].trim()}`),
    };
  });
}
