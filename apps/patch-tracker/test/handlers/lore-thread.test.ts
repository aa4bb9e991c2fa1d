import { readFileSync } from 'fs';
import * as path from 'path';
import { MalformedMessageError, parseThread } from '../../handlers/lib/lore-thread';
import { splitMbox } from '../../handlers/lib/mbox';
import { patchItem } from '../../handlers/lib/patch-items';
import { parsePatchSubject } from '../../handlers/lib/patch-subject';
import { patchworkPatch } from '../../handlers/lib/patchwork';
import { patchJson, SERIES_PATCHES } from '../fixtures/patchwork';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8');
const known = SERIES_PATCHES.map((p) => patchItem(patchworkPatch.parse(patchJson(p))));

describe('patch subjects', () => {
  test.each([
    ['[PATCH net-next v2 1/2] net: foo: add bar', { version: 2, position: 1, total: 2, title: 'net: foo: add bar', reply: false }],
    ['Re: [PATCH net-next v2 0/2] net: foo: bar support', { version: 2, position: 0, total: 2, title: 'net: foo: bar support', reply: true }],
    ['[net-next,v2,2/2] net: foo: use bar in baz', { version: 2, position: 2, total: 2, title: 'net: foo: use bar in baz', reply: false }],
    ['[RFC PATCH] mm: try something', { version: 1, position: undefined, total: undefined, title: 'mm: try something', reply: false }],
    ['RE: Re: [PATCH v10 03/12]  x86:  a   b', { version: 10, position: 3, total: 12, title: 'x86: a b', reply: true }],
  ])('%s', (subject, expected) => {
    expect(parsePatchSubject(subject)).toEqual(expected);
  });

  test('a subject without a patch tag is not a patch', () => {
    expect(parsePatchSubject('Re: meeting notes')).toBeUndefined();
    expect(parsePatchSubject('[ANNOUNCE] v6.9 released')).toBeUndefined();
  });
});

describe('mbox', () => {
  test('splits at "From " separators and undoes mboxrd quoting', () => {
    const messages = splitMbox(fixture('thread.mbox'));
    expect(messages).toHaveLength(7);
    expect(messages[3]).toContain('\r\nFrom the documentation, bar must be called');
    expect(messages.every((m) => m.startsWith('From: '))).toBe(true);
  });

  test('text before the first separator is not an mbox', () => {
    expect(() => splitMbox('<html>rate limited</html>\n')).toThrow('not an mbox');
  });
});

describe('lore thread', () => {
  test('threads by References / In-Reply-To and matches messages to patches', async () => {
    const messages = await parseThread(fixture('thread.mbox'), known);
    const summary = messages.map((m) => [m.id, m.threadId, m.patchId]);
    const root = '20240501120000.1234-1-alice@example.org';
    expect(summary).toEqual([
      [root, root, undefined], // cover letter: about the series, not one patch
      ['20240501120000.1234-2-alice@example.org', root, '13650001'], // the patch mail itself (Message-ID)
      ['20240501120000.1234-3-alice@example.org', root, '13650002'],
      ['ZjM1reply1@kernel.org', root, '13650001'], // reply to 1/2 (In-Reply-To)
      ['20240502090000.reply2@example.org', root, '13650001'], // reply to the reply (parent chain)
      ['broken-client-1@example.net', 'broken-client-1@example.net', '13650002'], // no headers: subject [PATCH v2 2/2]
      ['ZjM1cover@kernel.org', root, undefined], // reply to the cover letter
    ]);
  });

  test('decodes dates to UTC, addresses to lower case, encoded words and quoted-printable bodies; collects trailers', async () => {
    const messages = await parseThread(fixture('thread.mbox'), known);
    const carol = messages.find((m) => m.id === 'ZjM1reply1@kernel.org')!;
    expect(carol).toMatchObject({ timestamp: '2024-05-02T06:15:00.000Z', authorEmail: 'carol@kernel.org', authorName: 'Carol Reviewer', inReplyTo: '20240501120000.1234-2-alice@example.org' });
    expect(carol.trailers).toEqual(['Reviewed-by: Carol Reviewer <carol@kernel.org>']);
    const dan = messages.find((m) => m.id === 'broken-client-1@example.net')!;
    expect(dan).toMatchObject({ authorName: 'Dan Müller', authorEmail: 'dan@example.net' });
    expect(dan.trailers).toEqual(['Tested-by: Dan Müller <dan@example.net>']);
  });

  test('a malformed message fails the whole thread', async () => {
    await expect(parseThread(fixture('thread-malformed.mbox'), known)).rejects.toThrow(MalformedMessageError);
  });
});
