/** Property tests of the protocol layer: the framer and the key=value encoding. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FramedItem } from '../../../src/protocol/line-framer.ts';
import { LineFramer } from '../../../src/protocol/line-framer.ts';
import { decodeValue, encodeValue, formatPair, parseBody, parsePairs } from '../../../src/protocol/kv.ts';
import { parseCommandLine } from '../../../src/protocol/command-line.ts';
import { formatReply, parseReplyLine, reply } from '../../../src/protocol/reply.ts';

/** Bytes rich in the octets the framer cares about: LF, CR, NUL, and UTF-8 lead and tail octets. */
const interestingByte = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0x0a, 0x0d, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xff, 0xed, 0xa0),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const bytes = fc.array(interestingByte, { maxLength: 400 }).map((b) => Buffer.from(b));
const limit = fc.integer({ min: 1, max: 40 });

/** Cuts `input` at the given points (taken modulo its length). */
function chunked(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (input.length === 0 ? 0 : c % (input.length + 1))))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(input.subarray(start, p));
    start = p;
  }
  out.push(input.subarray(start));
  return out;
}

function frameAll(chunks: readonly Buffer[], max: number): FramedItem[] {
  const framer = new LineFramer(() => max);
  return chunks.flatMap((c) => framer.push(c));
}

describe('LineFramer properties', () => {
  it('never throws on arbitrary byte chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), limit, (chunks, max) => {
        const framer = new LineFramer(() => max);
        for (const chunk of chunks) framer.push(Buffer.from(chunk));
        assert.ok(framer.buffered <= max + 1);
      }),
      { numRuns: 500 },
    );
  });

  it('yields the same items however the same bytes are chunked', () => {
    fc.assert(
      fc.property(bytes, limit, fc.array(fc.nat(), { maxLength: 12 }), (input, max, cuts) => {
        assert.deepEqual(frameAll(chunked(input, cuts), max), frameAll([input], max));
      }),
      { numRuns: 1000 },
    );
  });

  it('yields one item per LF, each line within the limit and free of CR, LF and NUL', () => {
    fc.assert(
      fc.property(bytes, limit, (input, max) => {
        const items = frameAll([input], max);
        const lfs = input.filter((b) => b === 0x0a).length;
        // An overlong line is reported once when it passes the limit, whether or not its LF came.
        const faults = items.filter((i) => i.kind === 'fault' && i.fault === 'too-long').length;
        assert.ok(items.length <= lfs + 1 && items.length >= lfs - faults);
        for (const item of items) {
          if (item.kind !== 'line') continue;
          assert.ok(Buffer.byteLength(item.text, 'utf8') <= max);
          assert.doesNotMatch(item.text, /[\r\n\0]/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives back well-formed lines exactly, with CRLF or LF endings', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, fc.boolean()), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (lines, cuts) => {
          const input = Buffer.from(lines.map(([l, crlf]) => l + (crlf ? '\r\n' : '\n')).join(''), 'utf8');
          const items = frameAll(chunked(input, cuts), 200);
          assert.deepEqual(
            items,
            lines.map(([l]) => ({ kind: 'line', text: l })),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('key=value properties', () => {
  it('round-trips arbitrary strings through encodeValue and decodeValue', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (value) => {
        assert.equal(decodeValue(encodeValue(value), 'k'), value);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes to printable ASCII without spaces, encoding exactly %, space, controls and non-ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (value) => {
        const encoded = encodeValue(value);
        assert.match(encoded, /^[\x21-\x7e]*$/);
        const expected = [...Buffer.from(value, 'utf8')]
          .map((b) =>
            b === 0x25 || b <= 0x20 || b >= 0x7f
              ? `%${b.toString(16).toUpperCase().padStart(2, '0')}`
              : String.fromCharCode(b),
          )
          .join('');
        assert.equal(encoded, expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips pairs through a command line and a reply body', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, fc.string({ unit: 'binary', maxLength: 20 })), {
          selector: ([k]) => k,
          maxLength: 5,
        }),
        (pairs) => {
          const words = pairs.map(([k, v]) => formatPair(k, v));
          const parsed = parseCommandLine(`UPDATE FLOW x.example.com ${words.join(' ')}`);
          assert.ok(parsed);
          const got = parsePairs(
            parsed.args.slice(1),
            pairs.map(([k]) => k),
          );
          assert.deepEqual([...got], pairs);
          assert.deepEqual(parseBody(words), Object.fromEntries(pairs));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but an invalid-argument error when decoding', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          decodeValue(text, 'k');
        } catch (error) {
          assert.ok(error instanceof Error && 'kind' in error && error.kind === 'invalid-argument');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('reply properties', () => {
  it('reads back what formatReply writes', () => {
    const text = fc.string({ maxLength: 30 }).filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.array(text, { minLength: 1, maxLength: 5 }),
        (code, lines) => {
          const out = formatReply(reply(code, ...lines)).split('\r\n');
          assert.equal(out.pop(), '');
          assert.deepEqual(
            out.map((l) => parseReplyLine(l)),
            lines.map((t, i) => ({ code, last: i === lines.length - 1, text: t })),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
