import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalWireName,
  formatName,
  normalizeName,
  parseName,
  readName,
  sameName,
  writeName,
} from '../../../src/dns/wire/name.ts';
import { WireReader } from '../../../src/dns/wire/reader.ts';
import { WireWriter } from '../../../src/dns/wire/writer.ts';
import { assertWireError, fromHex, hex } from './helpers.ts';

const wireOf = (name: string, compress = false, writer = new WireWriter()): string => {
  writeName(writer, name, compress);
  return hex(writer.finish());
};

describe('name text form', () => {
  const cases: readonly [string, string, string][] = [
    ['root', '', '00'],
    ['root dot', '.', '00'],
    ['two labels', 'orange.test', '066f72616e6765047465737400'],
    ['trailing dot', 'orange.test.', '066f72616e6765047465737400'],
    ['underscore labels', '_flow._tcp.a', '055f666c6f77045f7463700161' + '00'],
    ['escaped dot stays in the label', 'a\\.b.c', '03612e62016300'],
    ['escaped backslash', 'a\\\\b', '03615c6200'],
    ['decimal escape', 'a\\000b', '0361006200'],
    ['decimal escape of a dot', '\\046', '012e00'],
  ];
  for (const [title, text, wire] of cases) {
    it(`encodes ${title}`, () => assert.equal(wireOf(text), wire));
  }

  it('formats octets outside printable ASCII as \\DDD and dots and backslashes escaped', () => {
    assert.equal(formatName([Uint8Array.of(0x61, 0x2e, 0x5c, 0x00, 0x20, 0xff)]), 'a\\.\\\\\\000\\032\\255');
  });

  it('text -> labels -> text is stable', () => {
    for (const text of ['', 'a', 'A.b', 'a\\.b.c', '\\000\\255', 'x\\\\y']) {
      assert.equal(normalizeName(normalizeName(text)), normalizeName(text));
    }
  });

  const invalid: readonly [string, string][] = [
    ['an empty label', 'a..b'],
    ['a leading dot', '.a'],
    ['a label of 64 octets', `${'a'.repeat(64)}.test`],
    ['a name of 256 octets in wire form', Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.')],
    ['a lone backslash at the end', 'a\\'],
    ['a \\DDD over 255', 'a\\256'],
    ['a short \\DD', 'a\\25'],
    ['a space', 'a b'],
    ['non-ASCII', 'caf\u00e9.test'],
  ];
  for (const [title, text] of invalid) {
    it(`refuses ${title}`, () => assertWireError(() => parseName(text), 'invalid-value'));
  }

  it('accepts the longest name: 255 octets in wire form', () => {
    const name = [...Array.from({ length: 3 }, () => 'a'.repeat(63)), 'a'.repeat(61)].join('.');
    assert.equal(canonicalWireName(name).length, 255);
  });

  it('compares names case-insensitively, ASCII only', () => {
    assert.ok(sameName('Orange.TEST.', 'orange.test'));
    assert.ok(!sameName('a\\195', 'a\\227'));
  });

  it('canonical wire form lower-cases ASCII letters only', () => {
    assert.equal(hex(canonicalWireName('AbC.\\200')), '0361626301c800');
  });
});

describe('name compression', () => {
  it('points a later name at the longest suffix written before', () => {
    const w = new WireWriter();
    writeName(w, 'orange.test', true);
    writeName(w, 'a.orange.test', true);
    writeName(w, 'b.a.orange.test', true);
    writeName(w, 'test', true);
    assert.equal(hex(w.finish()), '066f72616e6765047465737400' + '0161c000' + '0162c00d' + 'c007');
  });

  it('writes the whole name when compression is off, but remembers it for later names', () => {
    const w = new WireWriter();
    writeName(w, 'orange.test', false);
    writeName(w, 'orange.test', false);
    writeName(w, 'x.orange.test', true);
    assert.equal(hex(w.finish()), '066f72616e6765047465737400'.repeat(2) + '0178c000');
  });

  it('matches suffixes exactly, so that decoding gives back the same octets', () => {
    const w = new WireWriter();
    writeName(w, 'Orange.test', true);
    writeName(w, 'orange.test', true);
    assert.equal(hex(w.finish()), '064f72616e6765047465737400' + '066f72616e6765c007');
  });

  it('decodes pointers and leaves the reader after the pointer', () => {
    const packet = fromHex('066f72616e6765047465737400 0161c000 ff');
    const r = new WireReader(packet, 13);
    assert.equal(readName(r), 'a.orange.test');
    assert.equal(r.offset, 17);
  });

  it('follows a chain of pointers, each strictly backwards', () => {
    const packet = fromHex('0474657374 00 066f72616e6765 c000 0161 c006');
    assert.equal(readName(new WireReader(packet, 15)), 'a.orange.test');
  });

  const malformed: readonly [string, string, number, string][] = [
    ['a pointer to itself', 'c000', 0, 'bad-pointer'],
    ['a pointer forwards', 'c002 00', 0, 'bad-pointer'],
    ['a loop through two pointers', '0161 c004 0162 c000', 4, 'bad-pointer'],
    ['a loop back into the same name', '0161 c000', 0, 'bad-pointer'],
    ['a pointer cut in half', '0161 c0', 0, 'truncated'],
    ['a label past the end', '0561', 0, 'truncated'],
    ['no root label', '0161', 0, 'truncated'],
    ['label type 0b01 (extended)', '4100', 0, 'bad-label'],
    ['label type 0b10', '8100', 0, 'bad-label'],
    ['a name over 255 octets', `${'3f' + '61'.repeat(63)}`.repeat(4) + '00', 0, 'name-too-long'],
  ];
  for (const [title, packet, at, code] of malformed) {
    it(`refuses ${title}`, () => {
      const r = new WireReader(fromHex(packet), at);
      assertWireError(() => readName(r), code as 'bad-pointer');
    });
  }

  it('keeps the labels read before a pointer inside the reader bound', () => {
    const packet = fromHex('0161 00 0362 6364 00');
    assertWireError(() => readName(new WireReader(packet, 3, 5)), 'truncated');
  });
});
