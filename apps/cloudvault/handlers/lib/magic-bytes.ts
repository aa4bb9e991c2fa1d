/**
 * The real content type of an object from its first bytes ("magic numbers"), checked against the
 * type the client declared. Covers exactly the types of content-types.ts.
 *
 * A small signature table rather than a library: `file-type`, the usual choice, is ESM-only since
 * v17 and the tests run under jest in CommonJS, and no CommonJS package on npm covers these types
 * together with the text checks below. The signatures are the ones the formats' specifications
 * put at offset 0 (JPEG: JFIF/ITU T.81 SOI; PNG: RFC 2083; WebP: RIFF container; GIF87a/89a;
 * PDF: ISO 32000 header; ZIP: APPNOTE local file / end of central directory headers).
 */
import type { AllowedContentType } from './content-types';

export type SignatureType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif' | 'application/pdf' | 'application/zip';

/** Types recognised by their content being text rather than by a signature. */
export type TextContentType = 'text/plain' | 'text/csv' | 'application/json';

const TEXT_TYPES: readonly string[] = ['text/plain', 'text/csv', 'application/json'] satisfies TextContentType[];

export function isTextContentType(type: string): type is TextContentType {
  return TEXT_TYPES.includes(type);
}

/**
 * How many leading bytes the processor reads to check a type: every signature fits in 16 bytes;
 * the rest of the sample lets the text checks see more than the first line.
 */
export const SAMPLE_BYTES = 64 * 1024;

/** JSON objects up to this size are read whole and parsed; larger ones are only checked as text. */
export const JSON_PARSE_MAX_BYTES = 1024 * 1024;

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** `undefined` in a pattern matches any byte (the RIFF chunk size of WebP). */
type Pattern = ReadonlyArray<number | undefined>;

const SIGNATURES: ReadonlyArray<{ readonly type: SignatureType; readonly patterns: readonly Pattern[] }> = [
  // SOI marker followed by the first marker's 0xFF.
  { type: 'image/jpeg', patterns: [[0xff, 0xd8, 0xff]] },
  // The 8-byte PNG signature; the first chunk must be IHDR (bytes 12-15).
  { type: 'image/png', patterns: [[0x89, ...ascii('PNG\r\n\x1a\n'), undefined, undefined, undefined, undefined, ...ascii('IHDR')]] },
  // RIFF <size> WEBP, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk.
  {
    type: 'image/webp',
    patterns: ['VP8 ', 'VP8L', 'VP8X'].map((chunk) => [...ascii('RIFF'), undefined, undefined, undefined, undefined, ...ascii('WEBP'), ...ascii(chunk)]),
  },
  { type: 'image/gif', patterns: [ascii('GIF87a'), ascii('GIF89a')] },
  // "%PDF-" and the major version digit.
  { type: 'application/pdf', patterns: ['1', '2'].map((major) => ascii(`%PDF-${major}.`)) },
  // Local file header, empty archive (end of central directory only), spanned archive marker.
  { type: 'application/zip', patterns: [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06], [0x50, 0x4b, 0x07, 0x08]] },
];

function startsWith(bytes: Uint8Array, pattern: Pattern): boolean {
  if (bytes.length < pattern.length) return false;
  return pattern.every((b, i) => b === undefined || bytes[i] === b);
}

/** The binary type whose signature `bytes` start with; undefined when none does (or too few bytes). */
export function detectSignature(bytes: Uint8Array): SignatureType | undefined {
  return SIGNATURES.find((s) => s.patterns.some((p) => startsWith(bytes, p)))?.type;
}

/**
 * Checks text incrementally (the processor feeds it every chunk of the object while hashing, so
 * a text file with binary content after the sample is caught too): no NUL byte, valid UTF-8
 * (overlong forms and surrogates are invalid). A multi-byte character split across chunks is
 * fine; one cut off by the end of the object is not.
 */
export class TextValidator {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private problem: string | undefined;

  /** Feeds the next bytes; returns the first problem found so far. */
  push(chunk: Uint8Array): string | undefined {
    if (this.problem) return this.problem;
    if (chunk.includes(0)) return (this.problem = 'contains NUL bytes');
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.problem = 'is not valid UTF-8';
    }
    return this.problem;
  }

  /** Ends the input (the whole object has been pushed); returns the first problem, if any. */
  end(): string | undefined {
    if (this.problem) return this.problem;
    try {
      this.decoder.decode();
    } catch {
      this.problem = 'is not valid UTF-8';
    }
    return this.problem;
  }
}

/** Characters a JSON text can start with (after whitespace), RFC 8259. */
const JSON_START = /^[\s]*[{["\-0-9tfn]/;

/**
 * Why the content is not of the `declared` type, or undefined when it is.
 *
 * `sample` is the object's first bytes; `complete` says it is the whole object (then a text check
 * also rejects a character cut off at the end, and JSON is parsed instead of only looked at).
 */
export function contentMismatch(declared: AllowedContentType, sample: Uint8Array, complete: boolean): string | undefined {
  const signature = detectSignature(sample);
  if (!isTextContentType(declared)) {
    if (signature === declared) return undefined;
    if (signature) return `declared ${declared} but the content is ${signature}`;
    if (sample.length === 0) return `declared ${declared} but the object is empty`;
    return `declared ${declared} but the content has no ${declared} signature`;
  }

  // Text: a known binary signature wins even when its first bytes happen to be valid UTF-8.
  if (signature) return `declared ${declared} but the content is ${signature}`;
  const validator = new TextValidator();
  const problem = validator.push(sample) ?? (complete ? validator.end() : undefined);
  if (problem) return `declared ${declared} but the content ${problem}`;

  if (declared === 'application/json') {
    // fatal decoding succeeded above; a BOM is dropped by TextDecoder.
    const text = new TextDecoder('utf-8').decode(sample);
    if (complete) {
      try {
        JSON.parse(text);
      } catch {
        return `declared ${declared} but the content is not valid JSON`;
      }
    } else if (!JSON_START.test(text)) {
      return `declared ${declared} but the content does not start like JSON`;
    }
  }
  return undefined;
}
