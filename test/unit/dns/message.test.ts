import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Opcode,
  RRClass,
  RRType,
  Rcode,
  className,
  rcodeName,
  typeName,
} from '../../../src/dns/wire/constants.ts';
import { QUERY_FLAGS } from '../../../src/dns/wire/header.ts';
import type { DnsMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import { queryMessage } from '../../../src/dns/wire/query.ts';
import { ednsRecord, readEdns } from '../../../src/dns/wire/rdata/opt.ts';
import { txtStrings, utf8Strings } from '../../../src/dns/wire/rdata/txt.ts';
import { formatIpv6, parseIpv6 } from '../../../src/dns/wire/rdata/aaaa.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import { readUpdate, updateMessage } from '../../../src/dns/wire/update.ts';
import type { UpdateRequest } from '../../../src/dns/wire/update.ts';
import { assertWireError, fromHex, GOLDEN, hex } from './helpers.ts';

const rr = (
  name: string,
  type: number,
  data: WireRecord['data'],
  ttl = 60,
  klass: number = RRClass.IN,
): WireRecord => ({
  name,
  type,
  class: klass,
  ttl,
  data,
});

const message = (answers: WireRecord[], additionals: WireRecord[] = []): DnsMessage => ({
  id: 0x1234,
  flags: { ...QUERY_FLAGS, qr: true, aa: true },
  questions: [{ name: 'orange.test', type: RRType.ANY, class: RRClass.IN }],
  answers,
  authorities: [],
  additionals,
});

/** One record of each type the codec interprets. */
const EXAMPLES: readonly [string, WireRecord][] = [
  ['A', rr('ns1.orange.test', RRType.A, { kind: 'A', address: '192.0.2.1' })],
  ['AAAA', rr('ns1.orange.test', RRType.AAAA, { kind: 'AAAA', address: '2001:db8::1' })],
  ['NS', rr('orange.test', RRType.NS, { kind: 'NS', target: 'ns1.orange.test' })],
  ['PTR', rr('f.orange.test', RRType.PTR, { kind: 'PTR', target: '_flow._tcp.f.orange.test' })],
  [
    'SRV',
    rr('_flow._tcp.f.orange.test', RRType.SRV, {
      kind: 'SRV',
      priority: 10,
      weight: 5,
      port: 61000,
      target: 'agent.orange.test',
    }),
  ],
  [
    'TXT',
    rr(
      '_queue._flow._tcp.f.orange.test',
      RRType.TXT,
      txtStrings(['broker-type=kafka', 'queue=f', '', 'tls']),
    ),
  ],
  [
    'SOA',
    rr('orange.test', RRType.SOA, {
      kind: 'SOA',
      mname: 'ns1.orange.test',
      rname: 'hostmaster.orange.test',
      serial: 2026010100,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    }),
  ],
  [
    'RRSIG',
    rr('f.orange.test', RRType.RRSIG, {
      kind: 'RRSIG',
      typeCovered: RRType.PTR,
      algorithm: 13,
      labels: 3,
      originalTtl: 60,
      expiration: 4_000_000_000,
      inception: 1_767_225_600,
      keyTag: 22995,
      signerName: 'orange.test',
      signature: new Uint8Array(64).fill(7),
    }),
  ],
  ['unknown type', rr('x.orange.test', 65, { kind: 'UNKNOWN', bytes: Uint8Array.of(1, 2, 3) })],
  ['empty RDATA (RFC 2136 delete RRset)', rr('x.orange.test', RRType.SRV, null, 0, RRClass.ANY)],
];

describe('records: encode then decode gives the same record', () => {
  for (const [title, record] of EXAMPLES) {
    it(title, () => {
      const m = message([record]);
      const decoded = decodeMessage(encodeMessage(m));
      assert.deepEqual(decoded.answers, [record]);
      assert.equal(decoded.tsigOffset, undefined);
    });
  }

  it('OPT with options and the DO bit, in the additional section', () => {
    const opt = ednsRecord({
      udpPayloadSize: 4096,
      dnssecOk: true,
      options: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
    });
    const decoded = decodeMessage(encodeMessage(message([], [opt])));
    assert.deepEqual(decoded.additionals, [opt]);
    assert.deepEqual(readEdns(decoded.additionals), {
      udpPayloadSize: 4096,
      extendedRcode: 0,
      version: 0,
      dnssecOk: true,
      options: [{ code: 10, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }],
    });
  });

  it('OPT with an extended RCODE', () => {
    const edns = readEdns([ednsRecord({ extendedRcode: 1 })]);
    assert.equal(edns?.extendedRcode, 1);
    assert.equal(edns?.dnssecOk, false);
  });

  it('TXT strings convert to and from UTF-8', () => {
    assert.deepEqual(utf8Strings(txtStrings(['queue=caf\u00e9', ''])), ['queue=caf\u00e9', '']);
  });
});

describe('header', () => {
  it('keeps every flag bit and the opcode', () => {
    const flags = {
      qr: true,
      opcode: Opcode.UPDATE,
      aa: true,
      tc: true,
      rd: true,
      ra: true,
      z: true,
      ad: true,
      cd: true,
      rcode: Rcode.NOTZONE,
    };
    const m: DnsMessage = { id: 0xffff, flags, questions: [], answers: [], authorities: [], additionals: [] };
    const bytes = encodeMessage(m);
    assert.equal(hex(bytes), 'ffff affa 0000 0000 0000 0000'.replace(/ /g, ''));
    assert.deepEqual(decodeMessage(bytes).flags, flags);
  });

  it('refuses an opcode or RCODE over 4 bits', () => {
    const base: DnsMessage = {
      id: 1,
      flags: QUERY_FLAGS,
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
    };
    assertWireError(
      () => encodeMessage({ ...base, flags: { ...QUERY_FLAGS, rcode: Rcode.BADSIG } }),
      'invalid-value',
    );
    assertWireError(() => encodeMessage({ ...base, flags: { ...QUERY_FLAGS, opcode: 16 } }), 'invalid-value');
  });
});

describe('golden: the same octets as dnspython', () => {
  it('a query for SRV with EDNS and the DO bit', () => {
    const bytes = encodeMessage(
      queryMessage({
        id: GOLDEN.querySrvDo.id,
        name: '_flow._tcp.orders.flows.orange.test',
        type: RRType.SRV,
        edns: { dnssecOk: true, udpPayloadSize: 1232 },
      }),
    );
    assert.equal(hex(bytes), GOLDEN.querySrvDo.wire);
  });

  it('decodes the unsigned registration UPDATE into its RFC 2136 meaning', () => {
    const update = readUpdate(decodeMessage(fromHex(GOLDEN.register.unsigned)));
    assert.equal(update.zone, 'orange.test');
    assert.deepEqual(update.prerequisites, [
      { kind: 'rrset-does-not-exist', name: 'orders.flows.orange.test', type: RRType.PTR },
      { kind: 'name-not-in-use', name: '_flow._tcp.orders.flows.orange.test' },
    ]);
    assert.deepEqual(
      update.updates.map((u) =>
        u.kind === 'add' ? `${u.kind} ${u.record.name} ${typeName(u.record.type)} ${u.ttl}` : u.kind,
      ),
      [
        'add orders.flows.orange.test PTR 60',
        'add _flow._tcp.orders.flows.orange.test SRV 60',
        'add _flow._tcp.orders.flows.orange.test TXT 60',
        'add _queue._flow._tcp.orders.flows.orange.test SRV 60',
        'add _queue._flow._tcp.orders.flows.orange.test TXT 60',
      ],
    );
  });
});

describe('UPDATE (RFC 2136 §2.4, §2.5)', () => {
  const request: UpdateRequest = {
    id: 7,
    zone: 'orange.test',
    prerequisites: [
      { kind: 'name-in-use', name: 'a.orange.test' },
      { kind: 'name-not-in-use', name: 'b.orange.test' },
      { kind: 'rrset-exists', name: 'c.orange.test', type: RRType.PTR },
      { kind: 'rrset-does-not-exist', name: 'd.orange.test', type: RRType.SRV },
      {
        kind: 'rrset-exists-value',
        record: { name: 'e.orange.test', type: RRType.A, data: { kind: 'A', address: '192.0.2.7' } },
      },
    ],
    updates: [
      { kind: 'delete-name', name: 'a.orange.test' },
      { kind: 'delete-rrset', name: 'c.orange.test', type: RRType.PTR },
      {
        kind: 'delete-rr',
        record: { name: 'e.orange.test', type: RRType.A, data: { kind: 'A', address: '192.0.2.7' } },
      },
      { kind: 'add', record: { name: 'f.orange.test', type: RRType.TXT, data: txtStrings(['x']) }, ttl: 30 },
    ],
    additionals: [],
  };

  it('puts each prerequisite and update in the CLASS/TYPE/RDATA form of the RFC tables', () => {
    const m = updateMessage(request);
    assert.equal(m.flags.opcode, Opcode.UPDATE);
    assert.deepEqual(m.questions, [{ name: 'orange.test', type: RRType.SOA, class: RRClass.IN }]);
    const show = (r: WireRecord) =>
      `${className(r.class)} ${typeName(r.type)} ${r.ttl} ${r.data ? r.data.kind : 'empty'}`;
    assert.deepEqual(m.answers.map(show), [
      'ANY ANY 0 empty',
      'NONE ANY 0 empty',
      'ANY PTR 0 empty',
      'NONE SRV 0 empty',
      'IN A 0 A',
    ]);
    assert.deepEqual(m.authorities.map(show), [
      'ANY ANY 0 empty',
      'ANY PTR 0 empty',
      'NONE A 0 A',
      'IN TXT 30 TXT',
    ]);
  });

  it('reads back what it wrote', () => {
    assert.deepEqual(readUpdate(decodeMessage(encodeMessage(updateMessage(request)))), request);
  });

  it('refuses a message that is not an UPDATE', () => {
    assertWireError(
      () => readUpdate(queryMessage({ id: 1, name: 'orange.test', type: RRType.SOA })),
      'bad-layout',
    );
  });
});

describe('malformed packets raise DnsWireError', () => {
  const valid = encodeMessage(
    message(
      EXAMPLES.map(([, r]) => r),
      [ednsRecord({ dnssecOk: true })],
    ),
  );

  it('every truncation of a valid message', () => {
    for (let length = 0; length < valid.length; length++) {
      assertWireError(() => decodeMessage(valid.subarray(0, length)));
    }
  });

  it('trailing octets', () => {
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    assertWireError(() => decodeMessage(longer), 'trailing-data');
  });

  const cases: readonly [string, string, string][] = [
    ['counts that promise more records than there are', '0001 8000 0000 0005 0000 0000', 'truncated'],
    [
      'an A record of 5 octets',
      '0001 8000 0000 0001 0000 0000 00 0001 0001 00000000 0005 0102030405',
      'bad-rdata',
    ],
    [
      'an AAAA record of 4 octets',
      '0001 8000 0000 0001 0000 0000 00 001c 0001 00000000 0004 01020304',
      'bad-rdata',
    ],
    [
      'RDLENGTH past the end',
      '0001 8000 0000 0001 0000 0000 00 0001 0001 00000000 0010 01020304',
      'truncated',
    ],
    [
      'a PTR whose name ends before RDLENGTH',
      '0001 8000 0000 0001 0000 0000 00 000c 0001 00000000 0003 00 0000',
      'bad-rdata',
    ],
    [
      'a PTR whose name runs past RDLENGTH',
      '0001 8000 0000 0001 0000 0000 00 000c 0001 00000000 0002 0161 00',
      'truncated',
    ],
    [
      'a TXT string past RDLENGTH',
      '0001 8000 0000 0001 0000 0000 00 0010 0001 00000000 0002 0561',
      'truncated',
    ],
    ['an SRV cut short', '0001 8000 0000 0001 0000 0000 00 0021 0001 00000000 0004 000a000a', 'truncated'],
    [
      'an OPT in the answer section',
      '0001 8000 0000 0001 0000 0000 00 0029 1000 00000000 0000',
      'bad-layout',
    ],
    [
      'two OPT records',
      '0001 8000 0000 0000 0000 0002' + ' 00 0029 1000 00000000 0000'.repeat(2),
      'bad-layout',
    ],
    [
      'an OPT not owned by the root',
      '0001 8000 0000 0000 0000 0001 0161 00 0029 1000 00000000 0000',
      'bad-layout',
    ],
    [
      'an EDNS option past its RDATA',
      '0001 8000 0000 0000 0000 0001 00 0029 1000 00000000 0004 000a 0008',
      'truncated',
    ],
    [
      'a TSIG in the authority section',
      '0001 8000 0000 0000 0001 0000 00 00fa 00ff 00000000 0000',
      'bad-layout',
    ],
    [
      'a TSIG followed by another record',
      '0001 8000 0000 0000 0000 0002 00 00fa 00ff 00000000 0000 00 0001 0001 00000000 0000',
      'bad-layout',
    ],
    [
      'a TSIG whose MAC runs past its RDATA',
      '0001 8000 0000 0000 0000 0001 00 00fa 00ff 00000000 000c 00 000000000000 012c 0020 00',
      'truncated',
    ],
    ['a question cut short', '0001 8000 0001 0000 0000 0000 00 0001', 'truncated'],
    ['a header of 11 octets', '0001 8000 0000 0000 0000 00', 'truncated'],
  ];
  for (const [title, packet, code] of cases) {
    it(title, () => assertWireError(() => decodeMessage(fromHex(packet)), code as 'truncated'));
  }
});

describe('encoding refuses what the wire cannot carry', () => {
  const cases: readonly [string, WireRecord][] = [
    ['a TXT string of 256 octets', rr('a', RRType.TXT, txtStrings(['x'.repeat(256)]))],
    ['a TXT record without strings', rr('a', RRType.TXT, { kind: 'TXT', strings: [] })],
    [
      'an SRV port over 65535',
      rr('a', RRType.SRV, { kind: 'SRV', priority: 1, weight: 1, port: 65536, target: 'b' }),
    ],
    ['a negative TTL', rr('a', RRType.A, { kind: 'A', address: '192.0.2.1' }, -1)],
    ['an IPv4 address with a leading zero', rr('a', RRType.A, { kind: 'A', address: '192.0.2.01' })],
    ['an IPv4 address over 255', rr('a', RRType.A, { kind: 'A', address: '256.0.0.1' })],
    ['RDATA of another type', rr('a', RRType.A, { kind: 'PTR', target: 'b' })],
    ['RDATA over 65535 octets', rr('a', 65, { kind: 'UNKNOWN', bytes: new Uint8Array(65536) })],
  ];
  for (const [title, record] of cases) {
    it(title, () => assertWireError(() => encodeMessage(message([record])), 'invalid-value'));
  }
});

describe('IPv6 text form', () => {
  const cases: readonly [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ];
  for (const [input, output] of cases) {
    it(`${input} -> ${output}`, () => assert.equal(formatIpv6(parseIpv6(input)), output));
  }
  for (const bad of [
    '',
    ':',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '1.2.3.4::',
    'g::',
    '1:2:3:4:5:6:7::8:9',
  ]) {
    it(`refuses "${bad}"`, () => assertWireError(() => parseIpv6(bad), 'invalid-value'));
  }
});

describe('mnemonics', () => {
  it('names known codes and falls back to the RFC 3597 form', () => {
    assert.equal(typeName(RRType.SRV), 'SRV');
    assert.equal(typeName(65), 'TYPE65');
    assert.equal(className(RRClass.NONE), 'NONE');
    assert.equal(className(3), 'CLASS3');
    assert.equal(rcodeName(Rcode.BADTIME), 'BADTIME');
    assert.equal(rcodeName(99), 'RCODE99');
  });
});
