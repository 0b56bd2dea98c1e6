import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEsonError } from '../../../src/core/errors.ts';
import { decodeValue, encodeValue, formatPair, parseBody, parsePairs } from '../../../src/protocol/kv.ts';

const invalidArgument = (key: string) => (error: unknown) =>
  isEsonError(error) && error.kind === 'invalid-argument' && error.message.includes(key);

describe('kv encodeValue', () => {
  const CASES: [string, string][] = [
    ['', ''],
    ['plain', 'plain'],
    ['flow.example.com', 'flow.example.com'],
    ['a=b', 'a=b'],
    ['100%', '100%25'],
    ['two words', 'two%20words'],
    ['Outdoor temperature in °C', 'Outdoor%20temperature%20in%20%C2%B0C'],
    ['tab\there', 'tab%09here'],
    ['line\r\nbreak', 'line%0D%0Abreak'],
    ['nul\0', 'nul%00'],
    ['del\u007f', 'del%7F'],
    ['nbsp\u00a0', 'nbsp%C2%A0'],
    ['€', '%E2%82%AC'],
    ['😀', '%F0%9F%98%80'],
    ['a😀b', 'a%F0%9F%98%80b'],
    ['\u2028', '%E2%80%A8'],
    ['~!"#$&\'()*+,-./:;<=>?@[\\]^_`{|}', '~!"#$&\'()*+,-./:;<=>?@[\\]^_`{|}'],
  ];
  for (const [value, encoded] of CASES) {
    it(`encodes ${JSON.stringify(value)}`, () => {
      assert.equal(encodeValue(value), encoded);
      assert.equal(decodeValue(encoded, 'k'), value);
    });
  }

  it('encodes every non-ASCII character, astral ones included', () => {
    for (const ch of ['é', 'ß', '中', '𝄞', '😀', '\u{10ffff}']) {
      assert.match(encodeValue(ch), /^(%[0-9A-F]{2})+$/, ch);
    }
  });
});

describe('kv decodeValue', () => {
  it('decodes hex digits of either case', () => {
    assert.equal(decodeValue('%c2%b0C', 'k'), '°C');
    assert.equal(decodeValue('%C2%B0c', 'k'), '°c');
  });

  it('leaves a value without % alone', () => {
    assert.equal(decodeValue('a+b=c', 'k'), 'a+b=c');
  });

  it('refuses a bad percent-encoding or invalid UTF-8, naming the key', () => {
    for (const bad of ['%', '%4', '%ZZ', 'a%2', '%C3', '%FF', '%ED%A0%80']) {
      assert.throws(() => decodeValue(bad, 'description'), invalidArgument('description'), bad);
    }
  });
});

describe('kv pairs', () => {
  it('formats a pair, encoding only the value', () => {
    assert.equal(formatPair('description', 'a b'), 'description=a%20b');
    assert.equal(formatPair('count', 3), 'count=3');
    assert.equal(formatPair('tls', true), 'tls=true');
    assert.equal(formatPair('parent', ''), 'parent=');
  });

  it('parses pairs: keys lower-cased, values decoded, split at the first "="', () => {
    const pairs = parsePairs(['Visibility=public', 'description=a%20b=c'], ['visibility', 'description']);
    assert.deepEqual(
      [...pairs],
      [
        ['visibility', 'public'],
        ['description', 'a b=c'],
      ],
    );
    assert.deepEqual([...parsePairs(['description='], ['description'])], [['description', '']]);
  });

  it('refuses unknown, repeated and malformed pairs', () => {
    assert.throws(() => parsePairs(['color=red'], ['visibility']), invalidArgument('unknown option "color"'));
    assert.throws(() => parsePairs(['a=1', 'A=2'], ['a']), invalidArgument('given twice'));
    assert.throws(() => parsePairs(['novalue'], ['a']), invalidArgument('key=value'));
    assert.throws(() => parsePairs(['=x'], ['a']), invalidArgument('key=value'));
    assert.throws(() => parsePairs(['a=%G0'], ['a']), invalidArgument('a'));
  });

  it('parses a reply body, skipping lines that are not pairs', () => {
    assert.deepEqual(parseBody(['flow=x.example.com', 'description=a%20b', 'OK', '=bad', 'empty=']), {
      flow: 'x.example.com',
      description: 'a b',
      empty: '',
    });
  });
});
