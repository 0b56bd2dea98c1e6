import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FramedItem } from '../../../src/protocol/line-framer.ts';
import { LineFramer } from '../../../src/protocol/line-framer.ts';

const line = (text: string): FramedItem => ({ kind: 'line', text });
const fault = (f: 'too-long' | 'nul' | 'bare-cr' | 'invalid-utf8'): FramedItem => ({
  kind: 'fault',
  fault: f,
});

/** Frames `input` pushed in the given pieces with a fixed limit. */
function frame(pieces: readonly (string | Buffer)[], limit = 16): FramedItem[] {
  const framer = new LineFramer(() => limit);
  return pieces.flatMap((p) => framer.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
}

const CASES: {
  name: string;
  input: string | Buffer;
  limit?: number;
  items: FramedItem[];
  buffered?: number;
}[] = [
  { name: 'CRLF line', input: 'NOOP\r\n', items: [line('NOOP')] },
  { name: 'bare LF line', input: 'NOOP\n', items: [line('NOOP')] },
  { name: 'several lines, mixed endings', input: 'A\r\nB\nC\r\n', items: [line('A'), line('B'), line('C')] },
  { name: 'empty lines', input: '\r\n\n', items: [line(''), line('')] },
  { name: 'no line end yet', input: 'NOOP', items: [], buffered: 4 },
  { name: 'a lone CR waits for its LF', input: 'NOOP\r', items: [], buffered: 5 },
  { name: 'bare CR inside', input: 'NO\rOP\r\n', items: [fault('bare-cr')] },
  { name: 'CR CR LF', input: 'NOOP\r\r\n', items: [fault('bare-cr')] },
  { name: 'NUL', input: 'NO\0OP\r\n', items: [fault('nul')] },
  { name: 'invalid UTF-8', input: Buffer.from([0x41, 0xc3, 0x28, 0x0a]), items: [fault('invalid-utf8')] },
  {
    name: 'surrogate in UTF-8',
    input: Buffer.from([0xed, 0xa0, 0x80, 0x0a]),
    items: [fault('invalid-utf8')],
  },
  { name: 'overlong UTF-8 form', input: Buffer.from([0xc0, 0xaf, 0x0a]), items: [fault('invalid-utf8')] },
  { name: 'valid UTF-8', input: 'héllo ✓ 😀\r\n', limit: 64, items: [line('héllo ✓ 😀')] },
  { name: 'exactly the limit, CRLF', input: `${'x'.repeat(16)}\r\n`, items: [line('x'.repeat(16))] },
  { name: 'exactly the limit, LF', input: `${'x'.repeat(16)}\n`, items: [line('x'.repeat(16))] },
  { name: 'one over the limit, LF', input: `${'x'.repeat(17)}\n`, items: [fault('too-long')] },
  { name: 'one over the limit, CRLF', input: `${'x'.repeat(17)}\r\n`, items: [fault('too-long')] },
  { name: 'limit counts octets, not characters', input: `${'é'.repeat(9)}\n`, items: [fault('too-long')] },
  {
    name: 'overlong then a normal line',
    input: `${'x'.repeat(40)}\r\nNOOP\r\n`,
    items: [fault('too-long'), line('NOOP')],
  },
  {
    name: 'overlong with NUL is reported as too long once',
    input: `${'\0'.repeat(40)}\nA\n`,
    items: [fault('too-long'), line('A')],
  },
  { name: 'overlong without its end yet', input: 'x'.repeat(40), items: [fault('too-long')], buffered: 0 },
  {
    name: 'faults do not stop the next lines',
    input: 'A\0\nB\rC\nD\n',
    items: [fault('nul'), fault('bare-cr'), line('D')],
  },
];

describe('LineFramer', () => {
  for (const c of CASES) {
    it(`frames: ${c.name}`, () => {
      const framer = new LineFramer(() => c.limit ?? 16);
      const input = typeof c.input === 'string' ? Buffer.from(c.input, 'utf8') : c.input;
      assert.deepEqual(framer.push(input), c.items);
      if (c.buffered !== undefined) assert.equal(framer.buffered, c.buffered);
    });

    it(`frames the same when split at every byte boundary: ${c.name}`, () => {
      const input = typeof c.input === 'string' ? Buffer.from(c.input, 'utf8') : c.input;
      for (let cut = 0; cut <= input.length; cut++) {
        const items = frame([input.subarray(0, cut), input.subarray(cut)], c.limit ?? 16);
        assert.deepEqual(items, c.items, `cut at ${cut}`);
      }
      // And one byte at a time.
      const bytes = [...input].map((b) => Buffer.from([b]));
      assert.deepEqual(frame(bytes, c.limit ?? 16), c.items, 'byte by byte');
    });
  }

  it('joins a CRLF split between two chunks', () => {
    const framer = new LineFramer(() => 16);
    assert.deepEqual(framer.push(Buffer.from('NOOP\r')), []);
    assert.deepEqual(framer.push(Buffer.from('\nQUIT\r')), [line('NOOP')]);
    assert.deepEqual(framer.push(Buffer.from('\n')), [line('QUIT')]);
    assert.equal(framer.buffered, 0);
  });

  it('keeps a line of exactly the limit whose CR ends one chunk', () => {
    const framer = new LineFramer(() => 16);
    assert.deepEqual(framer.push(Buffer.from(`${'y'.repeat(16)}\r`)), []);
    assert.deepEqual(framer.push(Buffer.from('\n')), [line('y'.repeat(16))]);
  });

  it('reports an overlong line once, as soon as it is known, and drops the rest to the next LF', () => {
    const framer = new LineFramer(() => 16);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(10))), []);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(10))), [fault('too-long')]);
    assert.equal(framer.buffered, 0);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(1000))), []);
    assert.equal(framer.buffered, 0);
    assert.deepEqual(framer.push(Buffer.from('xx\r\nNOOP\r\n')), [line('NOOP')]);
  });

  it('does not keep the caller’s buffer (the socket may reuse it)', () => {
    const framer = new LineFramer(() => 16);
    const chunk = Buffer.from('AB');
    framer.push(chunk);
    chunk.write('ZZ');
    assert.deepEqual(framer.push(Buffer.from('\n')), [line('AB')]);
  });

  it('applies the limit in force when each line is framed', () => {
    let limit = 8;
    const framer = new LineFramer(() => limit);
    assert.deepEqual(framer.push(Buffer.from('0123456789\n')), [fault('too-long')]);
    limit = 12;
    assert.deepEqual(framer.push(Buffer.from('0123456789\n')), [line('0123456789')]);
    // A limit that shrinks while a line is pending applies to that line.
    assert.deepEqual(framer.push(Buffer.from('0123456789')), []);
    limit = 8;
    assert.deepEqual(framer.push(Buffer.from('\n')), [fault('too-long')]);
    limit = 4;
    assert.deepEqual(framer.push(Buffer.from('ABCD\nABCDE\n')), [line('ABCD'), fault('too-long')]);
  });

  it('discard() drops a partial line and an overlong line being skipped', () => {
    const framer = new LineFramer(() => 8);
    framer.push(Buffer.from('PARTIAL'));
    framer.discard();
    assert.equal(framer.buffered, 0);
    assert.deepEqual(framer.push(Buffer.from('NOOP\n')), [line('NOOP')]);
    assert.deepEqual(framer.push(Buffer.from('x'.repeat(20))), [fault('too-long')]);
    framer.discard();
    // Without discard() this line would be swallowed as the rest of the overlong one.
    assert.deepEqual(framer.push(Buffer.from('NOOP\n')), [line('NOOP')]);
  });

  it('ignores an empty chunk', () => {
    const framer = new LineFramer(() => 8);
    assert.deepEqual(framer.push(Buffer.alloc(0)), []);
    framer.push(Buffer.from('AB'));
    assert.deepEqual(framer.push(Buffer.alloc(0)), []);
    assert.equal(framer.buffered, 2);
  });

  it('keeps a UTF-8 byte order mark in the line', () => {
    assert.deepEqual(frame(['\uFEFFNOOP\n']), [line('\uFEFFNOOP')]);
  });
});
