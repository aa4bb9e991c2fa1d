/**
 * `Content-Disposition: attachment` for downloads (presigned GETs pass it as
 * `ResponseContentDisposition`), so browsers save the file under its name instead of rendering it.
 * File names are user input: the quoted ASCII fallback has quotes, backslashes and non-ASCII
 * replaced, and the exact name goes in `filename*` (RFC 6266 / RFC 8187 percent-encoding).
 */
import { toWellFormed } from './validation';

export function attachmentDisposition(name: string): string {
  // A lone surrogate (names stored before they had to be well-formed) would make encodeURIComponent throw.
  const fileName = toWellFormed(name);
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  // encodeURIComponent leaves ' ( ) * unencoded, which RFC 8187 attr-chars do not allow.
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
