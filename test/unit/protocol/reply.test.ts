import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closingReply, formatReply, parseReplyLine, reply } from '../../../src/protocol/reply.ts';
import { oneLine, replyForError } from '../../../src/protocol/error-replies.ts';
import { EsonError } from '../../../src/core/errors.ts';
import type { ErrorKind } from '../../../src/core/errors.ts';

describe('formatReply', () => {
  it('formats a one-line reply', () => {
    assert.equal(formatReply(reply(250, 'OK')), '250 OK\r\n');
  });

  it('formats an empty text with the space (an empty 334 challenge)', () => {
    assert.equal(formatReply(reply(334)), '334 \r\n');
    assert.equal(formatReply(reply(334, '')), '334 \r\n');
  });

  it('formats a multi-line reply with hyphens on all but the last line', () => {
    assert.equal(formatReply(reply(250, 'a=1', 'b=2', 'OK')), '250-a=1\r\n250-b=2\r\n250 OK\r\n');
  });

  it('marks closing replies', () => {
    const r = closingReply(421, 'x.example.com shutting down');
    assert.equal(r.close, true);
    assert.equal(formatReply(r), '421 x.example.com shutting down\r\n');
  });
});

describe('parseReplyLine', () => {
  const CASES: [string, { code: number; last: boolean; text: string } | undefined][] = [
    ['250 OK', { code: 250, last: true, text: 'OK' }],
    ['250-flow=x', { code: 250, last: false, text: 'flow=x' }],
    ['334 ', { code: 334, last: true, text: '' }],
    ['250-', { code: 250, last: false, text: '' }],
    // RFC 5321 §4.2.1 and docs/fnap.md §3.3: a last line of the three digits alone.
    ['334', { code: 334, last: true, text: '' }],
    ['250', { code: 250, last: true, text: '' }],
    ['554 line 2: a - b', { code: 554, last: true, text: 'line 2: a - b' }],
    ['199 no', undefined],
    ['600 no', undefined],
    ['25 OK', undefined],
    ['2500 OK', undefined],
    ['250_OK', undefined],
    ['OK', undefined],
    ['', undefined],
  ];
  for (const [line, expected] of CASES) {
    it(`parses ${JSON.stringify(line)}`, () => assert.deepEqual(parseReplyLine(line), expected));
  }

  it('reads back every line formatReply writes', () => {
    const r = reply(250, 'a b', '', 'last');
    const lines = formatReply(r).split('\r\n').slice(0, -1);
    assert.deepEqual(
      lines.map((l) => parseReplyLine(l)),
      [
        { code: 250, last: false, text: 'a b' },
        { code: 250, last: false, text: '' },
        { code: 250, last: true, text: 'last' },
      ],
    );
  });
});

describe('replyForError', () => {
  const CODES: Record<ErrorKind, number> = {
    'not-found': 550,
    forbidden: 550,
    exists: 550,
    'invalid-name': 553,
    'invalid-argument': 501,
    rejected: 554,
    unavailable: 451,
  };
  for (const [kind, code] of Object.entries(CODES) as [ErrorKind, number][]) {
    it(`maps ${kind} to ${code}`, () => {
      assert.deepEqual(replyForError(new EsonError(kind, 'what\r\nhappened')), reply(code, 'what happened'));
    });
  }

  it('leaves anything else to the caller (an internal error)', () => {
    assert.equal(replyForError(new Error('bug')), undefined);
    assert.equal(replyForError('bug'), undefined);
  });

  it('keeps texts on one line', () => {
    assert.equal(oneLine('a\r\nb\nc\rd'), 'a b c d');
  });
});
