/**
 * lore.kernel.org (public-inbox) threads: `GET <lore>/all/<message-id>/t.mbox.gz` answers the
 * whole thread around a message as a gzipped mbox.
 */
import { gunzipSync } from 'zlib';
import { DiscussionMessage, KnownPatch, parseThread } from './lore-thread';
import { PermanentHttpError, ResilientHttp } from './resilient-http';

/** The thread mbox URL of a message. */
export function threadUrl(loreUrl: string, msgid: string): string {
  return new URL(`/all/${encodeURIComponent(msgid)}/t.mbox.gz`, loreUrl).toString();
}

/** A thread answer that is neither gzip nor an mbox. Never retried. */
export class MalformedThreadError extends PermanentHttpError {
  constructor(url: string, reason: string) {
    super(`GET ${url}: malformed thread: ${reason}`);
    this.name = 'MalformedThreadError';
  }
}

/** The thread of `patches` (one series, or one lone patch); undefined when lore does not have it (404). */
export async function fetchThread(http: ResilientHttp, loreUrl: string, patches: readonly KnownPatch[]): Promise<DiscussionMessage[] | undefined> {
  const url = threadUrl(loreUrl, patches[0].msgid);
  let body: Buffer;
  try {
    body = (await http.get(url, 'application/gzip, application/mbox')).body;
  } catch (err) {
    if (err instanceof PermanentHttpError && err.status === 404) return undefined;
    throw err;
  }
  let text: string;
  try {
    // t.mbox.gz is a gzip file (not a Content-Encoding fetch would undo); accept a plain mbox too.
    text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
  } catch (err) {
    throw new MalformedThreadError(url, `bad gzip: ${(err as Error).message}`);
  }
  try {
    return await parseThread(text, patches);
  } catch (err) {
    throw new MalformedThreadError(url, (err as Error).message);
  }
}
