/**
 * RFC 2136 on the server side as tables, no network: §3.2 prerequisites, §3.4.1 prescan, §3.4.2
 * application and the §3.6 serial, each row one zone, one section and its outcome.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRType, Rcode, rcodeName } from '../../../src/dns/wire/constants.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import { isAtOrBelow } from '../../../src/dns/server/names.ts';
import {
  applyUpdates,
  checkPrerequisites,
  evaluateUpdate,
  nextSerial,
  prescanUpdates,
  serialGreater,
} from '../../../src/dns/server/update-rules.ts';
import type { ZoneSnapshot } from '../../../src/dns/server/zone.ts';
import { zoneFromRecords } from '../../../src/dns/server/zone.ts';
import { anyRR, body, noneRR, rr, zoneOf } from './helpers.ts';

/** orange.test with a nested zone sub.orange.test held by the same server, and blue.test. */
const zoneOfName = (name: string): string | undefined =>
  ['sub.orange.test', 'orange.test', 'blue.test'].find((zone) => isAtOrBelow(name, zone));

const BASE = [
  'a.orange.test 60 A 10.0.0.1',
  'a.orange.test 60 A 10.0.0.2',
  'a.orange.test 60 TXT "x"',
  // c.orange.test is an empty non-terminal
  'b.c.orange.test 60 PTR Target.Orange.Test',
  '_flow._tcp.f.orange.test 60 SRV 10 10 61000 agent.orange.test',
];

const rcode = (verdict: { ok: true } | { ok: false; rcode: number }): string =>
  verdict.ok ? 'NOERROR' : rcodeName(verdict.rcode);

const CH = 3;

describe('RFC 2136 §3.2: prerequisites', () => {
  const zone = zoneOf(BASE);
  const rows: [string, WireRecord[], string][] = [
    ['no prerequisite', [], 'NOERROR'],
    // ANY ANY: name is in use
    ['name in use: a name with records', [anyRR('a.orange.test 0 ANY')], 'NOERROR'],
    ['name in use: the apex', [anyRR('orange.test 0 ANY')], 'NOERROR'],
    ['name in use: a name without records', [anyRR('nope.orange.test 0 ANY')], 'NXDOMAIN'],
    ['name in use: an empty non-terminal is not in use', [anyRR('c.orange.test 0 ANY')], 'NXDOMAIN'],
    ['name in use: owner names without regard to case', [anyRR('A.Orange.TEST 0 ANY')], 'NOERROR'],
    // ANY rrset: RRset exists (value independent)
    ['RRset exists', [anyRR('a.orange.test 0 A')], 'NOERROR'],
    ['RRset exists: another type at the name', [anyRR('a.orange.test 0 AAAA')], 'NXRRSET'],
    ['RRset exists: no such name', [anyRR('nope.orange.test 0 A')], 'NXRRSET'],
    ['CLASS ANY with RDATA', [anyRR('a.orange.test 0 A 10.0.0.1')], 'FORMERR'],
    // NONE ANY: name is not in use
    ['name not in use: a free name', [noneRR('nope.orange.test 0 ANY')], 'NOERROR'],
    ['name not in use: an empty non-terminal', [noneRR('c.orange.test 0 ANY')], 'NOERROR'],
    ['name not in use: a name with records', [noneRR('a.orange.test 0 ANY')], 'YXDOMAIN'],
    // NONE rrset: RRset does not exist
    ['RRset does not exist: absent type', [noneRR('a.orange.test 0 AAAA')], 'NOERROR'],
    ['RRset does not exist: present type', [noneRR('a.orange.test 0 TXT')], 'YXRRSET'],
    ['CLASS NONE with RDATA', [noneRR('a.orange.test 0 A 10.0.0.1')], 'FORMERR'],
    // zone rrset rr: RRset exists (value dependent), compared as a set once every RR is read
    [
      'value dependent: the whole RRset',
      [rr('a.orange.test 0 A 10.0.0.1'), rr('a.orange.test 0 A 10.0.0.2')],
      'NOERROR',
    ],
    [
      'value dependent: any order',
      [rr('a.orange.test 0 A 10.0.0.2'), rr('a.orange.test 0 A 10.0.0.1')],
      'NOERROR',
    ],
    [
      'value dependent: a repeated RR counts once',
      [rr('a.orange.test 0 A 10.0.0.1'), rr('a.orange.test 0 A 10.0.0.2'), rr('a.orange.test 0 A 10.0.0.1')],
      'NOERROR',
    ],
    ['value dependent: part of the RRset', [rr('a.orange.test 0 A 10.0.0.1')], 'NXRRSET'],
    [
      'value dependent: more than the RRset',
      [rr('a.orange.test 0 A 10.0.0.1'), rr('a.orange.test 0 A 10.0.0.2'), rr('a.orange.test 0 A 10.0.0.3')],
      'NXRRSET',
    ],
    ['value dependent: an absent RRset', [rr('nope.orange.test 0 A 10.0.0.1')], 'NXRRSET'],
    [
      'value dependent: names in RDATA without regard to case',
      [rr('B.C.orange.test 0 PTR target.orange.TEST')],
      'NOERROR',
    ],
    ['value dependent: TXT octets are case-sensitive', [rr('a.orange.test 0 TXT "X"')], 'NXRRSET'],
    ['value dependent: empty RDATA never matches', [rr('a.orange.test 0 A -')], 'NXRRSET'],
    ['value dependent: a type this server does not hold', [rr('a.orange.test 0 TYPE99 00')], 'NXRRSET'],
    // every prerequisite
    ['TTL other than 0', [anyRR('a.orange.test 60 ANY')], 'FORMERR'],
    ['a name in another zone', [anyRR('x.blue.test 0 ANY')], 'NOTZONE'],
    ['a name in a zone nested below ZNAME', [noneRR('x.sub.orange.test 0 ANY')], 'NOTZONE'],
    ['a name in no zone at all', [noneRR('example.com 0 ANY')], 'NOTZONE'],
    ['CLASS other than IN, ANY, NONE', [rr('a.orange.test 0 A 10.0.0.1', CH)], 'FORMERR'],
    // order: the first failing RR decides; TTL before zone before RDATA; value-dependent sets last
    [
      'first failure wins (YXDOMAIN first)',
      [noneRR('a.orange.test 0 ANY'), anyRR('nope.orange.test 0 ANY')],
      'YXDOMAIN',
    ],
    [
      'first failure wins (NXDOMAIN first)',
      [anyRR('nope.orange.test 0 ANY'), noneRR('a.orange.test 0 ANY')],
      'NXDOMAIN',
    ],
    ['TTL is checked before the zone', [anyRR('x.blue.test 60 ANY')], 'FORMERR'],
    ['the zone is checked before the RDATA', [anyRR('x.blue.test 0 A 10.0.0.1')], 'NOTZONE'],
    [
      'value-dependent sets are compared after every other RR',
      [rr('a.orange.test 0 A 10.0.0.9'), noneRR('a.orange.test 0 ANY')],
      'YXDOMAIN',
    ],
    [
      'the registerFlow prerequisites of a free flow',
      [noneRR('g.orange.test 0 PTR'), noneRR('_flow._tcp.g.orange.test 0 ANY')],
      'NOERROR',
    ],
    [
      'the registerFlow prerequisites of a taken flow name',
      [noneRR('f.orange.test 0 PTR'), noneRR('_flow._tcp.f.orange.test 0 ANY')],
      'YXDOMAIN',
    ],
  ];
  for (const [title, prerequisites, expected] of rows) {
    it(`${title}: ${expected}`, () => {
      assert.equal(rcode(checkPrerequisites(zone, prerequisites, zoneOfName)), expected);
    });
  }
});

describe('RFC 2136 §3.4.1: prescan of the update section, then policy', () => {
  const rows: [string, WireRecord[], string][] = [
    ['an addition', [rr('a.orange.test 60 A 10.0.0.9')], 'NOERROR'],
    [
      'every deletion form',
      [anyRR('a.orange.test 0 ANY'), anyRR('a.orange.test 0 A'), noneRR('a.orange.test 0 A 10.0.0.1')],
      'NOERROR',
    ],
    ['NS at the apex', [rr('orange.test 300 NS ns2.orange.test')], 'NOERROR'],
    ['a name in another zone', [rr('x.blue.test 60 A 10.0.0.9')], 'NOTZONE'],
    ['a name in a nested zone', [rr('x.sub.orange.test 60 A 10.0.0.9')], 'NOTZONE'],
    ['adding TYPE ANY', [rr('a.orange.test 60 ANY -')], 'FORMERR'],
    ['adding AXFR', [rr('a.orange.test 60 TYPE252 -')], 'FORMERR'],
    ['adding MAILB', [rr('a.orange.test 60 TYPE253 -')], 'FORMERR'],
    ['adding MAILA', [rr('a.orange.test 60 TYPE254 -')], 'FORMERR'],
    ['CLASS ANY with a TTL', [anyRR('a.orange.test 60 A')], 'FORMERR'],
    ['CLASS ANY with RDATA', [anyRR('a.orange.test 0 A 10.0.0.1')], 'FORMERR'],
    ['CLASS ANY of AXFR', [anyRR('a.orange.test 0 TYPE252')], 'FORMERR'],
    ['CLASS NONE with a TTL', [noneRR('a.orange.test 60 A 10.0.0.1')], 'FORMERR'],
    ['CLASS NONE of TYPE ANY', [noneRR('a.orange.test 0 ANY')], 'FORMERR'],
    ['CLASS CH', [rr('a.orange.test 60 A 10.0.0.9', CH)], 'FORMERR'],
    ['adding empty RDATA', [rr('a.orange.test 60 A -')], 'FORMERR'],
    ['adding a type this server does not hold (CNAME)', [rr('a.orange.test 60 TYPE5 00')], 'REFUSED'],
    ['adding a type this server does not hold (MX)', [rr('a.orange.test 60 TYPE15 000a00')], 'REFUSED'],
    ['NS below the apex (no delegations)', [rr('sub2.orange.test 60 NS ns.example.com')], 'REFUSED'],
    [
      'the first failing RR decides (FORMERR first)',
      [rr('a.orange.test 60 A 10.0.0.9', CH), rr('x.blue.test 60 A 10.0.0.9')],
      'FORMERR',
    ],
    [
      'the first failing RR decides (NOTZONE first)',
      [rr('x.blue.test 60 A 10.0.0.9'), rr('a.orange.test 60 A 10.0.0.9', CH)],
      'NOTZONE',
    ],
    [
      'the RFC prescan comes before the policy',
      [rr('a.orange.test 60 TYPE5 00'), anyRR('a.orange.test 60 A')],
      'FORMERR',
    ],
  ];
  for (const [title, updates, expected] of rows) {
    it(`${title}: ${expected}`, () => {
      assert.equal(rcode(prescanUpdates('orange.test', updates, zoneOfName)), expected);
    });
  }
});

interface ApplyRow {
  readonly title: string;
  readonly zone?: readonly string[];
  readonly updates: readonly WireRecord[];
  /** the zone below its apex SOA/NS afterwards; undefined: unchanged */
  readonly body?: readonly string[];
  /** SOA serial afterwards (the zone starts at 10) */
  readonly serial: number;
  readonly ns?: readonly string[];
}

const serialOf = (zone: ZoneSnapshot): number => zone.soa().data.serial;

describe('RFC 2136 §3.4.2 and §3.6: applying the update section', () => {
  const rows: ApplyRow[] = [
    {
      title: 'an addition at a new name',
      updates: [rr('n.orange.test 60 A 10.0.0.9')],
      body: [...BASE, 'n.orange.test 60 A 10.0.0.9'],
      serial: 11,
    },
    {
      title: 'adding a record already there (same TTL) changes nothing',
      updates: [rr('a.orange.test 60 A 10.0.0.1')],
      serial: 10,
    },
    {
      title: 'adding a record already there with another TTL sets the RRset TTL',
      updates: [rr('a.orange.test 120 A 10.0.0.1')],
      body: [
        ...BASE.filter((l) => !l.includes(' A ')),
        'a.orange.test 120 A 10.0.0.1',
        'a.orange.test 120 A 10.0.0.2',
      ],
      serial: 11,
    },
    {
      title: 'an addition to an RRset: one TTL for the RRset (RFC 2181 §5.2)',
      updates: [rr('a.orange.test 30 TXT "y"')],
      body: [
        ...BASE.filter((l) => !l.includes('TXT')),
        'a.orange.test 30 TXT "x"',
        'a.orange.test 30 TXT "y"',
      ],
      serial: 11,
    },
    {
      title: 'owner names are stored in lower case',
      updates: [rr('N.Orange.TEST 60 A 10.0.0.9')],
      body: [...BASE, 'n.orange.test 60 A 10.0.0.9'],
      serial: 11,
    },
    {
      title: 'deleting an RRset',
      updates: [anyRR('a.orange.test 0 A')],
      body: BASE.filter((l) => !l.includes(' A ')),
      serial: 11,
    },
    {
      title: 'deleting all RRsets of a name',
      updates: [anyRR('a.orange.test 0 ANY')],
      body: BASE.filter((l) => !l.startsWith('a.')),
      serial: 11,
    },
    {
      title: 'deleting all RRsets of the apex keeps its SOA and NS',
      zone: [...BASE, 'orange.test 60 TXT "apex"'],
      updates: [anyRR('orange.test 0 ANY')],
      body: BASE,
      serial: 11,
    },
    { title: 'deleting the apex SOA RRset is ignored', updates: [anyRR('orange.test 0 SOA')], serial: 10 },
    { title: 'deleting the apex NS RRset is ignored', updates: [anyRR('orange.test 0 NS')], serial: 10 },
    {
      title: 'deleting one RR',
      updates: [noneRR('a.orange.test 0 A 10.0.0.1')],
      body: BASE.filter((l) => !l.includes('10.0.0.1')),
      serial: 11,
    },
    {
      title: 'deleting the last RR of a name removes the name (the ENT above goes too)',
      updates: [noneRR('b.c.orange.test 0 PTR TARGET.orange.test')],
      body: BASE.filter((l) => !l.startsWith('b.c.')),
      serial: 11,
    },
    {
      title: 'deleting an RR that is not there changes nothing',
      updates: [noneRR('a.orange.test 0 A 10.0.0.7')],
      serial: 10,
    },
    {
      title: 'deleting an RRset that is not there changes nothing',
      updates: [anyRR('nope.orange.test 0 ANY')],
      serial: 10,
    },
    {
      title: 'deleting the SOA RR is ignored',
      updates: [noneRR('orange.test 0 SOA ns1.orange.test hostmaster.orange.test 10 3600 600 86400 60')],
      serial: 10,
    },
    {
      title: 'deleting the last apex NS is ignored',
      updates: [noneRR('orange.test 0 NS ns1.orange.test')],
      serial: 10,
      ns: ['ns1.orange.test'],
    },
    {
      title: 'deleting one of two apex NS',
      updates: [rr('orange.test 300 NS ns2.orange.test'), noneRR('orange.test 0 NS ns1.orange.test')],
      body: BASE,
      serial: 11,
      ns: ['ns2.orange.test'],
    },
    {
      title: 'an SOA with a lower serial is ignored',
      updates: [rr('orange.test 300 SOA ns1.orange.test hostmaster.orange.test 9 1 1 1 1')],
      serial: 10,
    },
    {
      title: 'an SOA with a higher serial replaces it, serial kept',
      updates: [rr('orange.test 300 SOA ns1.orange.test hostmaster.orange.test 20 3600 600 86400 30')],
      body: BASE,
      serial: 20,
    },
    {
      title: 'an SOA with the same serial replaces it, then the serial moves on',
      updates: [rr('orange.test 300 SOA ns1.orange.test hostmaster.orange.test 10 3600 600 86400 30')],
      body: BASE,
      serial: 11,
    },
    {
      title: 'an SOA below the apex is ignored',
      updates: [rr('a.orange.test 300 SOA ns1.orange.test h.orange.test 99 1 1 1 1')],
      serial: 10,
    },
    {
      title: 'in order: delete then add',
      updates: [anyRR('a.orange.test 0 A'), rr('a.orange.test 60 A 10.0.0.5')],
      body: [...BASE.filter((l) => !l.includes(' A ')), 'a.orange.test 60 A 10.0.0.5'],
      serial: 11,
    },
    {
      title: 'in order: add then delete',
      updates: [rr('a.orange.test 60 A 10.0.0.5'), anyRR('a.orange.test 0 A')],
      body: BASE.filter((l) => !l.includes(' A ')),
      serial: 11,
    },
    {
      title: 'an add and its deletion leave the zone as it was, yet count as a change',
      updates: [rr('n.orange.test 60 A 10.0.0.5'), anyRR('n.orange.test 0 A')],
      body: BASE,
      serial: 11,
    },
    {
      title: 'an SOA serial 2^32 - 1 is lower than 10 in serial arithmetic: ignored',
      updates: [
        rr('orange.test 300 SOA ns1.orange.test hostmaster.orange.test 4294967295 3600 600 86400 60'),
      ],
      serial: 10,
    },
  ];
  for (const row of rows) {
    it(row.title, () => {
      const zone = zoneOf(row.zone ?? BASE);
      const result = applyUpdates(zone, row.updates, 10_000);
      assert.ok(result.ok);
      const after = result.changed ? result.zone : zone;
      assert.equal(result.changed, row.body !== undefined, 'changed');
      assert.deepEqual(body(after), [...(row.body ?? row.zone ?? BASE)].map(normalizeLine).sort());
      assert.equal(serialOf(after), row.serial);
      if (row.ns) {
        assert.deepEqual(
          after.rrset('orange.test', RRType.NS)?.rdata.map((d) => (d.kind === 'NS' ? d.target : '')),
          row.ns,
        );
      }
      // The snapshot it started from is never changed.
      assert.deepEqual(body(zone), [...(row.zone ?? BASE)].map(normalizeLine).sort());
    });
  }

  it('the serial moves on from 2^32 - 1 to 0', () => {
    const zone = zoneFromRecords('orange.test', [
      rr('orange.test 300 SOA ns1.orange.test hostmaster.orange.test 4294967295 3600 600 86400 60'),
      rr('orange.test 300 NS ns1.orange.test'),
    ]);
    const next = applyUpdates(zone, [rr('n.orange.test 60 A 10.0.0.5')], 10);
    assert.ok(next.ok && next.changed);
    assert.equal(serialOf(next.zone), 0);
  });

  it('over the record limit: REFUSED and the zone unchanged', () => {
    const zone = zoneOf([]);
    // SOA + NS + 3 = 5 records
    const ok = applyUpdates(
      zone,
      ['x', 'y', 'z'].map((l) => rr(`${l}.orange.test 60 A 10.0.0.1`)),
      5,
    );
    assert.ok(ok.ok && ok.changed);
    const over = applyUpdates(ok.zone, [rr('w.orange.test 60 A 10.0.0.1')], 5);
    assert.deepEqual(over, {
      ok: false,
      rcode: Rcode.REFUSED,
      reason: 'the zone would hold 6 records, over the limit of 5',
    });
    // A deletion that brings it under the limit passes even in the same update.
    const swap = applyUpdates(ok.zone, [anyRR('x.orange.test 0 ANY'), rr('w.orange.test 60 A 10.0.0.1')], 5);
    assert.ok(swap.ok && swap.changed);
  });
});

describe('RFC 2136 §3: the whole update, all or nothing', () => {
  const zone = zoneOf(BASE);
  it('a failing prerequisite applies nothing', () => {
    const result = evaluateUpdate(
      zone,
      [noneRR('a.orange.test 0 ANY')],
      [rr('n.orange.test 60 A 10.0.0.9')],
      zoneOfName,
      100,
    );
    assert.deepEqual(result, { ok: false, rcode: Rcode.YXDOMAIN, reason: 'a.orange.test is in use' });
  });

  it('a bad RR late in the update section applies none of the earlier ones', () => {
    const result = evaluateUpdate(
      zone,
      [],
      [rr('n.orange.test 60 A 10.0.0.9'), anyRR('a.orange.test 0 ANY'), rr('x.blue.test 60 A 10.0.0.9')],
      zoneOfName,
      100,
    );
    assert.equal(result.ok ? 'NOERROR' : rcodeName(result.rcode), 'NOTZONE');
    assert.deepEqual(body(zone), BASE.map(normalizeLine).sort());
  });

  it('prerequisites are read before the update section (NXRRSET beats a bad update)', () => {
    const result = evaluateUpdate(
      zone,
      [anyRR('nope.orange.test 0 A')],
      [rr('x.blue.test 60 A 10.0.0.9')],
      zoneOfName,
      100,
    );
    assert.equal(result.ok ? 'NOERROR' : rcodeName(result.rcode), 'NXRRSET');
  });

  it('registerFlow, then the same registration again: YXRRSET', () => {
    const register = {
      prerequisites: [noneRR('g.orange.test 0 PTR'), noneRR('_flow._tcp.g.orange.test 0 ANY')],
      updates: [
        rr('g.orange.test 60 PTR _flow._tcp.g.orange.test'),
        rr('_flow._tcp.g.orange.test 60 SRV 10 10 61000 agent.orange.test'),
      ],
    };
    const first = evaluateUpdate(zone, register.prerequisites, register.updates, zoneOfName, 100);
    assert.ok(first.ok && first.changed);
    const second = evaluateUpdate(first.zone, register.prerequisites, register.updates, zoneOfName, 100);
    assert.equal(second.ok ? 'NOERROR' : rcodeName(second.rcode), 'YXRRSET');
  });
});

describe('RFC 1982 serial arithmetic', () => {
  const rows: [number, number, boolean][] = [
    [1, 0, true],
    [0, 1, false],
    [5, 5, false],
    [0, 0xffff_ffff, true],
    [0xffff_ffff, 0, false],
    [0x7fff_ffff, 0, true],
    // exactly 2^31 apart: undefined by RFC 1982, neither is greater
    [0x8000_0000, 0, false],
    [0, 0x8000_0000, false],
  ];
  for (const [a, b, greater] of rows) {
    it(`${a} > ${b} is ${greater}`, () => assert.equal(serialGreater(a, b), greater));
  }
  it('next serial wraps', () => {
    assert.equal(nextSerial(0xffff_ffff), 0);
    assert.equal(nextSerial(41), 42);
  });
});

/** The dump of a BASE-style line: owner and RDATA names as the zone keeps them. */
function normalizeLine(line: string): string {
  const r = rr(line);
  return `${r.name.toLowerCase()} ${line.split(/\s+/).slice(1).join(' ')}`.replace(/\s+$/, '');
}
