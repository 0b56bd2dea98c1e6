/**
 * Authoritative answers as a table: one zone state, one question, the whole answer (RCODE, AA,
 * the three sections), no network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRClass, RRType, rcodeName } from '../../../src/dns/wire/constants.ts';
import type { Transport } from '../../../src/dns/server/answer-query.ts';
import { answerQuery } from '../../../src/dns/server/answer-query.ts';
import { dump, storeWith } from './helpers.ts';

const store = storeWith({
  orange: [
    'f.orange.test 60 PTR _flow._tcp.f.orange.test',
    '_flow._tcp.f.orange.test 60 SRV 10 10 61000 agent.orange.test',
    '_flow._tcp.f.orange.test 60 TXT "tls"',
    '_queue._flow._tcp.f.orange.test 60 SRV 10 10 9092 agent.blue.test',
    'agent.orange.test 60 A 127.0.0.1',
    'agent.orange.test 60 AAAA ::1',
    '*.wild.orange.test 60 TXT "wild"',
    'x.wild.orange.test 60 A 10.0.0.1',
    'orange.test 300 TXT "apex"',
  ],
  blue: ['agent.blue.test 60 A 127.0.0.2'],
});

const SOA = 'orange.test 60 SOA ns1.orange.test hostmaster.orange.test 10 3600 600 86400 60';

interface Row {
  readonly title: string;
  readonly name: string;
  readonly type: number;
  readonly class?: number;
  readonly transport?: Transport;
  readonly rcode: string;
  readonly aa: boolean;
  readonly answers?: readonly string[];
  readonly authorities?: readonly string[];
  readonly additionals?: readonly string[];
}

const rows: Row[] = [
  {
    title: 'a PTR',
    name: 'f.orange.test',
    type: RRType.PTR,
    rcode: 'NOERROR',
    aa: true,
    answers: ['f.orange.test 60 PTR _flow._tcp.f.orange.test'],
  },
  {
    title: 'an SRV, with the A and AAAA of its target',
    name: '_flow._tcp.f.orange.test',
    type: RRType.SRV,
    rcode: 'NOERROR',
    aa: true,
    answers: ['_flow._tcp.f.orange.test 60 SRV 10 10 61000 agent.orange.test'],
    additionals: ['agent.orange.test 60 A 127.0.0.1', 'agent.orange.test 60 AAAA ::1'],
  },
  {
    title: 'an SRV whose target is in another zone held here',
    name: '_queue._flow._tcp.f.orange.test',
    type: RRType.SRV,
    rcode: 'NOERROR',
    aa: true,
    answers: ['_queue._flow._tcp.f.orange.test 60 SRV 10 10 9092 agent.blue.test'],
    additionals: ['agent.blue.test 60 A 127.0.0.2'],
  },
  {
    title: 'owner names without regard to case',
    name: 'F.Orange.TEST',
    type: RRType.PTR,
    rcode: 'NOERROR',
    aa: true,
    answers: ['f.orange.test 60 PTR _flow._tcp.f.orange.test'],
  },
  {
    title: 'the SOA',
    name: 'orange.test',
    type: RRType.SOA,
    rcode: 'NOERROR',
    aa: true,
    answers: ['orange.test 300 SOA ns1.orange.test hostmaster.orange.test 10 3600 600 86400 60'],
  },
  {
    title: 'the NS',
    name: 'orange.test',
    type: RRType.NS,
    rcode: 'NOERROR',
    aa: true,
    answers: ['orange.test 300 NS ns1.orange.test'],
  },
  {
    title: 'NODATA: the name has other types; SOA with TTL min(TTL, MINIMUM)',
    name: 'f.orange.test',
    type: RRType.A,
    rcode: 'NOERROR',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'NODATA: an empty non-terminal',
    name: '_tcp.f.orange.test',
    type: RRType.A,
    rcode: 'NOERROR',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'NXDOMAIN',
    name: 'nope.orange.test',
    type: RRType.A,
    rcode: 'NXDOMAIN',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'NXDOMAIN below an existing name',
    name: 'deep.f.orange.test',
    type: RRType.PTR,
    rcode: 'NXDOMAIN',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'a wildcard answers for a name that does not exist',
    name: 'y.wild.orange.test',
    type: RRType.TXT,
    rcode: 'NOERROR',
    aa: true,
    answers: ['y.wild.orange.test 60 TXT "wild"'],
  },
  {
    title: 'a wildcard without the type: NODATA',
    name: 'y.wild.orange.test',
    type: RRType.A,
    rcode: 'NOERROR',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'a wildcard does not cover a name that exists',
    name: 'x.wild.orange.test',
    type: RRType.TXT,
    rcode: 'NOERROR',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'a wildcard does not cover names below an existing one',
    name: 'z.x.wild.orange.test',
    type: RRType.TXT,
    rcode: 'NXDOMAIN',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'ANY over UDP: one RRset (RFC 8482)',
    name: '_flow._tcp.f.orange.test',
    type: RRType.ANY,
    rcode: 'NOERROR',
    aa: true,
    answers: ['_flow._tcp.f.orange.test 60 TXT "tls"'],
  },
  {
    title: 'ANY over TCP: every RRset',
    name: '_flow._tcp.f.orange.test',
    type: RRType.ANY,
    transport: 'tcp',
    rcode: 'NOERROR',
    aa: true,
    answers: [
      '_flow._tcp.f.orange.test 60 SRV 10 10 61000 agent.orange.test',
      '_flow._tcp.f.orange.test 60 TXT "tls"',
    ],
    additionals: ['agent.orange.test 60 A 127.0.0.1', 'agent.orange.test 60 AAAA ::1'],
  },
  {
    title: 'ANY at a name that does not exist: NXDOMAIN',
    name: 'nope.orange.test',
    type: RRType.ANY,
    rcode: 'NXDOMAIN',
    aa: true,
    authorities: [SOA],
  },
  {
    title: 'a name in no zone held here: REFUSED',
    name: 'example.com',
    type: RRType.A,
    rcode: 'REFUSED',
    aa: false,
  },
  { title: 'the root: REFUSED', name: '', type: RRType.NS, rcode: 'REFUSED', aa: false },
  {
    title: 'a name beside a zone: REFUSED',
    name: 'xorange.test',
    type: RRType.A,
    rcode: 'REFUSED',
    aa: false,
  },
  {
    title: 'CLASS CH: REFUSED',
    name: 'orange.test',
    type: RRType.SOA,
    class: 3,
    rcode: 'REFUSED',
    aa: false,
  },
  { title: 'AXFR: REFUSED', name: 'orange.test', type: 252, transport: 'tcp', rcode: 'REFUSED', aa: false },
  { title: 'IXFR: REFUSED', name: 'orange.test', type: 251, rcode: 'REFUSED', aa: false },
  { title: 'MAILA: NOTIMP', name: 'orange.test', type: 254, rcode: 'NOTIMP', aa: false },
  { title: 'QTYPE OPT: FORMERR', name: 'orange.test', type: RRType.OPT, rcode: 'FORMERR', aa: false },
  { title: 'QTYPE TSIG: FORMERR', name: 'orange.test', type: RRType.TSIG, rcode: 'FORMERR', aa: false },
  { title: 'QTYPE 0: FORMERR', name: 'orange.test', type: 0, rcode: 'FORMERR', aa: false },
  {
    title: 'a type the zone cannot hold: NODATA',
    name: 'f.orange.test',
    type: 99,
    rcode: 'NOERROR',
    aa: true,
    authorities: [SOA],
  },
];

describe('answerQuery', () => {
  for (const row of rows) {
    it(row.title, () => {
      const question = { name: row.name, type: row.type, class: row.class ?? RRClass.IN };
      const reply = answerQuery(question, store.zoneFor, row.transport ?? 'udp');
      assert.equal(rcodeName(reply.rcode), row.rcode);
      assert.equal(reply.aa, row.aa);
      assert.deepEqual(reply.questions, [question]);
      assert.deepEqual(dump(reply.answers), [...(row.answers ?? [])].sort());
      assert.deepEqual(dump(reply.authorities), [...(row.authorities ?? [])].sort());
      assert.deepEqual(dump(reply.additionals), [...(row.additionals ?? [])].sort());
    });
  }
});
