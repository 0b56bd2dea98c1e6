/**
 * The project's own RFC 2136 writer against the embedded server on real sockets, and the
 * project's own stub (queryDns) reading back: the Flow Name Service layout, the refusals the
 * NameServiceWriter port promises ('exists', 'forbidden'), racing registrations, and records that
 * outlive a restart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryDns } from '../../../src/dns/query-client.ts';
import { RRType, Rcode, typeName } from '../../../src/dns/wire/constants.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import { utf8Strings } from '../../../src/dns/wire/rdata/txt.ts';
import type { DnsServerAddress } from '../../../src/dns/server/server.ts';
import { oversizedRegistration, registration } from '../dns/helpers.ts';
import { isEson } from '../../support/rfc2136.ts';
import { startDns, withDns, writerFor } from './helpers.ts';

const FLOW = 'orders.flows.orange.test';

function show(rr: WireRecord): string {
  const d = rr.data;
  let rdata: string;
  switch (d?.kind) {
    case 'PTR':
    case 'NS':
      rdata = d.target;
      break;
    case 'SRV':
      rdata = `${d.priority} ${d.weight} ${d.port} ${d.target}`;
      break;
    case 'TXT':
      rdata = utf8Strings(d)
        .map((s) => JSON.stringify(s))
        .join(' ');
      break;
    case 'A':
    case 'AAAA':
      rdata = d.address;
      break;
    case 'SOA':
      rdata = `${d.serial}`;
      break;
    case 'OPT':
    case 'RRSIG':
    case 'TSIG':
    case 'UNKNOWN':
    case undefined:
      rdata = String(d?.kind);
  }
  return `${rr.name} ${rr.ttl} ${typeName(rr.type)} ${rdata}`;
}

async function read(
  dns: DnsServerAddress,
  name: string,
  type: number,
): Promise<{ rcode: number; records: string[] }> {
  const m = await queryDns(dns, name, type);
  assert.ok(m.flags.aa, `an authoritative answer for ${name}`);
  return { rcode: m.flags.rcode, records: m.answers.map(show).sort() };
}

/** Everything the layout can hold for a flow, as the server answers it. */
async function flowRecords(dns: DnsServerAddress, flow: string): Promise<string[]> {
  const lines: string[] = [];
  for (const [name, type] of [
    [flow, RRType.PTR],
    [`_flow._tcp.${flow}`, RRType.SRV],
    [`_flow._tcp.${flow}`, RRType.TXT],
    [`_queue._flow._tcp.${flow}`, RRType.SRV],
    [`_queue._flow._tcp.${flow}`, RRType.TXT],
  ] as const) {
    lines.push(...(await read(dns, name, type)).records);
  }
  return lines;
}

const serial = async (dns: DnsServerAddress, zone: string): Promise<number> => {
  const soa = (await queryDns(dns, zone, RRType.SOA)).answers[0]?.data;
  assert.equal(soa?.kind, 'SOA');
  return soa.serial;
};

const LAYOUT = [
  `${FLOW} 60 PTR _flow._tcp.${FLOW}`,
  `_flow._tcp.${FLOW} 60 SRV 10 10 61000 agent.orange.test`,
  `_flow._tcp.${FLOW} 60 TXT "tls"`,
  `_queue._flow._tcp.${FLOW} 60 SRV 10 10 9092 kafka.orange.test`,
  `_queue._flow._tcp.${FLOW} 60 TXT "broker-type=kafka" "queue=orders"`,
];

describe('Rfc2136Writer against the embedded DNS server', () => {
  it('registerFlow writes the fns-records.md layout; queryDns reads it back', async () => {
    await withDns(async (dns) => {
      const before = await serial(dns, 'orange.test');
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      assert.deepEqual(await flowRecords(dns, FLOW), LAYOUT);
      assert.equal(await serial(dns, 'orange.test'), before + 1);
    });
  });

  it('updateFlow replaces the records (TLS off removes the TXT "tls"); unregisterFlow removes them all', async () => {
    await withDns(async (dns) => {
      const writer = writerFor(dns, dns.orange);
      await writer.registerFlow(registration(FLOW));
      const moved = registration(FLOW, { agent: { host: 'agent2.orange.test', port: 62000, tls: false } });
      await writer.updateFlow(moved);
      assert.deepEqual(await flowRecords(dns, FLOW), [
        `${FLOW} 60 PTR _flow._tcp.${FLOW}`,
        `_flow._tcp.${FLOW} 60 SRV 10 10 62000 agent2.orange.test`,
        `_queue._flow._tcp.${FLOW} 60 SRV 10 10 9092 kafka.orange.test`,
        `_queue._flow._tcp.${FLOW} 60 TXT "broker-type=kafka" "queue=orders"`,
      ]);
      await writer.unregisterFlow(moved);
      assert.deepEqual(await flowRecords(dns, FLOW), []);
      assert.equal((await read(dns, FLOW, RRType.PTR)).rcode, Rcode.NXDOMAIN);
      // unregistering again is not an error; updating what is not there is 'not-found'
      await writer.unregisterFlow(moved);
      await assert.rejects(writer.updateFlow(moved), isEson('not-found', /NXRRSET/));
      assert.equal(await serial(dns, 'orange.test'), 4);
    });
  });

  it('registerNamespace / unregisterNamespace', async () => {
    await withDns(async (dns) => {
      const writer = writerFor(dns, dns.orange);
      const ns = {
        namespace: 'flows.orange.test',
        agent: { host: 'agent.orange.test', port: 61000, tls: true },
        ttl: 120,
      };
      await writer.registerNamespace(ns);
      assert.deepEqual((await read(dns, '_flow._tcp.flows.orange.test', RRType.SRV)).records, [
        '_flow._tcp.flows.orange.test 120 SRV 10 10 61000 agent.orange.test',
      ]);
      await writer.registerNamespace({ ...ns, agent: { ...ns.agent, port: 61002 } });
      assert.deepEqual((await read(dns, '_flow._tcp.flows.orange.test', RRType.SRV)).records, [
        '_flow._tcp.flows.orange.test 120 SRV 10 10 61002 agent.orange.test',
      ]);
      await writer.unregisterNamespace(ns);
      assert.equal((await read(dns, '_flow._tcp.flows.orange.test', RRType.SRV)).rcode, Rcode.NXDOMAIN);
    });
  });

  it("registerFlow of a flow already there: 'exists' (YXRRSET), records untouched", async () => {
    await withDns(async (dns) => {
      const writer = writerFor(dns, dns.orange);
      await writer.registerFlow(registration(FLOW));
      await assert.rejects(
        writer.registerFlow(
          registration(FLOW, { agent: { host: 'other.orange.test', port: 1, tls: false } }),
        ),
        isEson('exists', /already in DNS: the server answered YXRRSET/),
      );
      assert.deepEqual(await flowRecords(dns, FLOW), LAYOUT);
    });
  });

  it("a key used on another participant's zone: 'forbidden' (REFUSED), nothing written", async () => {
    await withDns(async (dns) => {
      const intruder = writerFor(dns, { zone: 'blue.test', key: dns.orange.key });
      const flow = 'orders.flows.blue.test';
      await assert.rejects(
        intruder.registerFlow(registration(flow)),
        isEson('forbidden', /refused the TSIG key orange-key: REFUSED/),
      );
      assert.equal((await read(dns, flow, RRType.PTR)).rcode, Rcode.NXDOMAIN);
      assert.equal(await serial(dns, 'blue.test'), 1);
      // blue's own key may
      await writerFor(dns, dns.blue).registerFlow(registration(flow));
      assert.equal((await read(dns, flow, RRType.PTR)).records.length, 1);
    });
  });

  it("a wrong secret: 'forbidden' (BADSIG); an unknown key: 'forbidden' (BADKEY)", async () => {
    await withDns(async (dns) => {
      const wrong = writerFor(dns, {
        zone: 'orange.test',
        key: { ...dns.orange.key, secret: Buffer.alloc(32, 3).toString('base64') },
      });
      await assert.rejects(wrong.registerFlow(registration(FLOW)), isEson('forbidden', /BADSIG/));
      const unknown = writerFor(dns, { zone: 'orange.test', key: { ...dns.orange.key, name: 'nobody-key' } });
      await assert.rejects(unknown.registerFlow(registration(FLOW)), isEson('forbidden', /BADKEY/));
      assert.equal((await read(dns, FLOW, RRType.PTR)).rcode, Rcode.NXDOMAIN);
    });
  });

  it("a clock 20 minutes off: 'forbidden' (BADTIME), the server's time reported", async () => {
    await withDns(async (dns) => {
      const skewed = writerFor(dns, dns.orange, { clock: () => Date.now() - 20 * 60_000 });
      await assert.rejects(
        skewed.registerFlow(registration(FLOW)),
        isEson('forbidden', /BADTIME.*our clock is -1[12]\d\d s off the server's/),
      );
    });
  });

  it('writers racing registerFlow for one flow: exactly one wins each time, its records stay', async () => {
    await withDns(async (dns) => {
      for (let round = 0; round < 5; round++) {
        const flow = `race${round}.flows.orange.test`;
        const racers = Array.from({ length: 4 }, (_, i) => ({
          writer: writerFor(dns, dns.orange),
          reg: registration(flow, { agent: { host: 'agent.orange.test', port: 61000 + i, tls: false } }),
        }));
        const results = await Promise.allSettled(racers.map((r) => r.writer.registerFlow(r.reg)));
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
        for (const r of results) {
          if (r.status === 'rejected') isEson('exists', /already in DNS/)(r.reason);
        }
        assert.deepEqual((await read(dns, `_flow._tcp.${flow}`, RRType.SRV)).records, [
          `_flow._tcp.${flow} 60 SRV 10 10 ${61000 + (winners[0] ?? -1)} agent.orange.test`,
        ]);
      }
    });
  });

  it('an update over 512 octets goes over TCP and is applied', async () => {
    await withDns(async (dns) => {
      const big = oversizedRegistration(FLOW);
      await writerFor(dns, dns.orange).registerFlow(big);
      const txt = await queryDns(dns, `_queue._flow._tcp.${FLOW}`, RRType.TXT);
      assert.equal(txt.answers.length, 1);
      assert.equal(utf8Strings(txt.answers[0]?.data as never).length, 4);
    });
  });

  it('restart with the same state file keeps every record and the serial', async () => {
    const dns = await startDns();
    try {
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      await writerFor(dns, dns.blue).registerFlow(
        registration('pay.flows.blue.test', { agent: { host: 'agent.blue.test', port: 61100, tls: true } }),
      );
      const before = {
        orange: await flowRecords(dns, FLOW),
        blue: await flowRecords(dns, 'pay.flows.blue.test'),
      };
      const serials = [await serial(dns, 'orange.test'), await serial(dns, 'blue.test')];
      const again = await dns.restart();
      assert.equal(again.port, dns.port);
      assert.deepEqual(await flowRecords(again, FLOW), before.orange);
      assert.deepEqual(await flowRecords(again, 'pay.flows.blue.test'), before.blue);
      assert.deepEqual([await serial(again, 'orange.test'), await serial(again, 'blue.test')], serials);
      // The restarted server still refuses a second registration and accepts the owner's changes.
      const writer = writerFor(again, again.orange);
      await assert.rejects(writer.registerFlow(registration(FLOW)), isEson('exists', /YXRRSET/));
      await writer.unregisterFlow(registration(FLOW));
      const third = await again.restart();
      assert.deepEqual(await flowRecords(third, FLOW), []);
      assert.deepEqual(await flowRecords(third, 'pay.flows.blue.test'), before.blue);
    } finally {
      await dns.cleanup();
    }
  });
});
