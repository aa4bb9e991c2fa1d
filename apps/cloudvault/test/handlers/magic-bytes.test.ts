import sharp from 'sharp';
import { ALLOWED_CONTENT_TYPES } from '../../handlers/lib/content-types';
import { SignatureType, TextValidator, contentMismatch, detectSignature } from '../../handlers/lib/magic-bytes';

const image = (format: 'png' | 'jpeg' | 'webp' | 'gif'): Promise<Buffer> =>
  sharp({ create: { width: 12, height: 8, channels: 3, background: { r: 200, g: 40, b: 90 } } }).toFormat(format).toBuffer();

/** Real files (images made by libvips) and hand-built headers of the other binary formats. */
let samples: Record<SignatureType, Buffer>;
beforeAll(async () => {
  samples = {
    'image/jpeg': await image('jpeg'),
    'image/png': await image('png'),
    'image/webp': await image('webp'),
    'image/gif': await image('gif'),
    'application/pdf': Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
    // An empty archive: just the end-of-central-directory record.
    'application/zip': Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]),
  };
});

const SIGNATURE_TYPES: SignatureType[] = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf', 'application/zip'];
const MINIMUM_BYTES: Record<SignatureType, number> = {
  'image/jpeg': 3,
  'image/png': 16, // signature + IHDR
  'image/webp': 16, // RIFF, size, WEBP, VP8 chunk
  'image/gif': 6,
  'application/pdf': 7,
  'application/zip': 4,
};
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('detectSignature', () => {
  test.each(SIGNATURE_TYPES)('recognises %s', (type) => {
    expect(detectSignature(samples[type])).toBe(type);
    expect(contentMismatch(type, samples[type], true)).toBeUndefined();
  });

  test.each(SIGNATURE_TYPES)('%s: the signature alone is enough, one byte less is nothing', (type) => {
    const n = MINIMUM_BYTES[type];
    expect(detectSignature(samples[type].subarray(0, n))).toBe(type);
    expect(detectSignature(samples[type].subarray(0, n - 1))).toBeUndefined();
  });

  test('the other ZIP headers and both GIF versions', () => {
    expect(detectSignature(Buffer.from('PK\x03\x04\x14\x00', 'latin1'))).toBe('application/zip');
    expect(detectSignature(Buffer.from('PK\x07\x08', 'latin1'))).toBe('application/zip');
    expect(detectSignature(utf8('GIF87a'))).toBe('image/gif');
    expect(detectSignature(utf8('GIF88a'))).toBeUndefined();
  });

  test('near misses are not recognised', () => {
    expect(detectSignature(Buffer.alloc(0))).toBeUndefined();
    expect(detectSignature(utf8('%PDF-x.y'))).toBeUndefined();
    // A RIFF container that is not WebP (WAV audio).
    expect(detectSignature(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    // A PNG signature whose first chunk is not IHDR.
    const png = Buffer.from(samples['image/png']);
    png.write('IDAT', 12, 'latin1');
    expect(detectSignature(png)).toBeUndefined();
    expect(detectSignature(Buffer.from([0xff, 0xd8, 0x00]))).toBeUndefined();
  });
});

describe('contentMismatch for binary types', () => {
  test.each([
    ['image/png', 'image/jpeg'],
    ['image/jpeg', 'image/png'],
    ['image/webp', 'image/gif'],
    ['application/pdf', 'application/zip'],
    ['application/zip', 'image/webp'],
    ['image/gif', 'application/pdf'],
  ] as const)('declared %s, content %s', (declared, real) => {
    expect(contentMismatch(declared, samples[real], true)).toBe(`declared ${declared} but the content is ${real}`);
  });

  test('text or nothing declared as a binary type', () => {
    expect(contentMismatch('image/png', utf8('just some text'), true)).toBe('declared image/png but the content has no image/png signature');
    expect(contentMismatch('application/pdf', Buffer.alloc(0), true)).toBe('declared application/pdf but the object is empty');
    expect(contentMismatch('image/jpeg', samples['image/jpeg'].subarray(0, 2), true)).toBe('declared image/jpeg but the content has no image/jpeg signature');
  });
});

describe('contentMismatch for text types', () => {
  test.each(['text/plain', 'text/csv'] as const)('%s accepts UTF-8 text (multi-byte, BOM, empty)', (type) => {
    expect(contentMismatch(type, utf8('name,city\nZoë,Kraków\n日本,東京\n'), true)).toBeUndefined();
    expect(contentMismatch(type, utf8('\ufeffwith a byte order mark'), true)).toBeUndefined();
    expect(contentMismatch(type, Buffer.alloc(0), true)).toBeUndefined();
  });

  test.each([
    ['a NUL byte', Buffer.from('abc\x00def', 'latin1'), 'contains NUL bytes'],
    ['an invalid sequence', Buffer.from([0x61, 0xc3, 0x28]), 'is not valid UTF-8'],
    ['an overlong "/"', Buffer.from([0xc0, 0xaf]), 'is not valid UTF-8'],
    ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80]), 'is not valid UTF-8'],
    ['Latin-1 text', Buffer.from('Zoë', 'latin1'), 'is not valid UTF-8'],
  ])('text/plain with %s is a mismatch', (_case, bytes, problem) => {
    expect(contentMismatch('text/plain', bytes, true)).toBe(`declared text/plain but the content ${problem}`);
  });

  test('a binary signature wins over text that happens to be valid UTF-8', () => {
    expect(contentMismatch('text/plain', utf8('%PDF-1.4 all ascii'), true)).toBe('declared text/plain but the content is application/pdf');
    expect(contentMismatch('text/csv', samples['image/png'], true)).toBe('declared text/csv but the content is image/png');
  });

  test('a character cut by the end of the sample is fine, by the end of the object it is not', () => {
    const cut = utf8('price: 5 €').subarray(0, -1); // € is 3 bytes
    expect(contentMismatch('text/plain', cut, false)).toBeUndefined();
    expect(contentMismatch('text/plain', cut, true)).toBe('declared text/plain but the content is not valid UTF-8');
  });

  test('application/json is parsed when the sample is the whole object', () => {
    expect(contentMismatch('application/json', utf8('{"a":[1,2,{"b":null}]}'), true)).toBeUndefined();
    expect(contentMismatch('application/json', utf8('\ufeff[true]'), true)).toBeUndefined();
    expect(contentMismatch('application/json', utf8('{"a":'), true)).toBe('declared application/json but the content is not valid JSON');
    expect(contentMismatch('application/json', utf8('hello'), true)).toBe('declared application/json but the content is not valid JSON');
    expect(contentMismatch('application/json', Buffer.alloc(0), true)).toBe('declared application/json but the content is not valid JSON');
  });

  test('application/json larger than the sample must start like JSON', () => {
    expect(contentMismatch('application/json', utf8('  \n{"a": "trunc'), false)).toBeUndefined();
    expect(contentMismatch('application/json', utf8('[1, 2, 3'), false)).toBeUndefined();
    expect(contentMismatch('application/json', utf8('<html><body>'), false)).toBe('declared application/json but the content does not start like JSON');
    expect(contentMismatch('application/json', Buffer.from('{"a":\x00', 'latin1'), false)).toBe('declared application/json but the content contains NUL bytes');
  });

  test('every accepted type is covered by a check', () => {
    // A buffer that matches no signature and is not text must fail every declared type.
    const noise = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x81]);
    for (const type of ALLOWED_CONTENT_TYPES) expect(contentMismatch(type, noise, true)).toMatch(new RegExp(`^declared ${type.replace('/', '\\/')} but`));
  });
});

describe('TextValidator', () => {
  test('a character split across chunks is valid; the first problem sticks', () => {
    const bytes = utf8('€');
    const v = new TextValidator();
    expect(v.push(bytes.subarray(0, 1))).toBeUndefined();
    expect(v.push(bytes.subarray(1))).toBeUndefined();
    expect(v.end()).toBeUndefined();

    const bad = new TextValidator();
    expect(bad.push(utf8('fine'))).toBeUndefined();
    expect(bad.push(Buffer.from([0x00]))).toBe('contains NUL bytes');
    expect(bad.push(utf8('fine again'))).toBe('contains NUL bytes');
    expect(bad.end()).toBe('contains NUL bytes');
  });

  test('a character left incomplete at the end is invalid', () => {
    const v = new TextValidator();
    expect(v.push(utf8('€').subarray(0, 2))).toBeUndefined();
    expect(v.end()).toBe('is not valid UTF-8');
  });
});
