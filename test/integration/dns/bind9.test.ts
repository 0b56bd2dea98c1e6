/**
 * The RFC 2136 writer against a real BIND9 (test/support/bind9.ts): what it writes is what
 * shared/product/fns-records.md says, as `dig` shows it; what `nsupdate` writes our codec reads;
 * BIND's refusals become the EsonErrors the port promises.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryDns } from '../../../src/dns/query-client.ts';
import type { Rfc2136WriterOptions } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import type { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { RRType, typeName } from '../../../src/dns/wire/constants.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import { utf8Strings } from '../../../src/dns/wire/rdata/txt.ts';
import type { Bind9Options, Bind9Server } from '../../support/bind9.ts';
import { startBind9 } from '../../support/bind9.ts';
import { dig, flowSnapshot, nsupdateOk, txtStringsOf } from '../../support/dns-tools.ts';
import { isEson, rfc2136Writer } from '../../support/rfc2136.ts';
import { LONG_QUEUE, LONG_QUEUE_URL, oversizedRegistration, registration } from './helpers.ts';

const FLOW = 'orders.flows.orange.test';

async function withBind9(
  fn: (bind: Bind9Server) => Promise<void>,
  options: Bind9Options = {},
): Promise<void> {
  const bind = await startBind9(options);
  try {
    await fn(bind);
  } catch (error) {
    // named's own account of what it did helps more than the assertion alone.
    if (error instanceof Error) error.message += `\n--- named output ---\n${bind.output().slice(-4000)}`;
    throw error;
  } finally {
    await bind.stop();
  }
}

function writerFor(bind: Bind9Server, options: Partial<Rfc2136WriterOptions> = {}): Rfc2136Writer {
  return rfc2136Writer(bind.host, bind.port, bind.zone, bind.writerKey, options);
}

describe('RFC 2136 writer against BIND9', () => {
  it('registerFlow writes exactly the fns-records.md layout, as dig shows it', async () => {
    await withBind9(async (bind) => {
      await writerFor(bind).registerFlow(registration(FLOW));
      assert.deepEqual(await dig(bind.host, bind.port, FLOW, 'PTR'), [
        { name: `${FLOW}.`, ttl: 60, type: 'PTR', rdata: `_flow._tcp.${FLOW}.` },
      ]);
      assert.deepEqual(await dig(bind.host, bind.port, `_flow._tcp.${FLOW}`, 'SRV'), [
        { name: `_flow._tcp.${FLOW}.`, ttl: 60, type: 'SRV', rdata: '10 10 61000 agent.orange.test.' },
      ]);
      const agentTxt = await dig(bind.host, bind.port, `_flow._tcp.${FLOW}`, 'TXT');
      assert.deepEqual(
        agentTxt.map((r) => txtStringsOf(r.rdata)),
        [['tls']],
      );
      assert.deepEqual(await dig(bind.host, bind.port, `_queue._flow._tcp.${FLOW}`, 'SRV'), [
        { name: `_queue._flow._tcp.${FLOW}.`, ttl: 60, type: 'SRV', rdata: '10 10 9092 kafka.orange.test.' },
      ]);
      const queueTxt = await dig(bind.host, bind.port, `_queue._flow._tcp.${FLOW}`, 'TXT');
      assert.equal(queueTxt.length, 1, 'one TXT record holding several strings');
      assert.deepEqual(txtStringsOf(queueTxt[0]?.rdata ?? ''), ['broker-type=kafka', 'queue=orders']);
      // Nothing else at those names.
      assert.deepEqual(
        await flowSnapshot(bind.host, bind.port, FLOW),
        [
          `${FLOW}. 60 PTR _flow._tcp.${FLOW}.`,
          `_flow._tcp.${FLOW}. 60 SRV 10 10 61000 agent.orange.test.`,
          `_flow._tcp.${FLOW}. 60 TXT "tls"`,
          `_queue._flow._tcp.${FLOW}. 60 SRV 10 10 9092 kafka.orange.test.`,
          `_queue._flow._tcp.${FLOW}. 60 TXT "broker-type=kafka" "queue=orders"`,
        ].sort(),
      );
    });
  });

  it('records written by nsupdate are read back by our codec, over UDP and TCP', async () => {
    await withBind9(async (bind) => {
      await nsupdateOk(bind.host, bind.port, bind.writerKey, bind.zone, [
        `update add ${FLOW} 120 PTR _flow._tcp.${FLOW}.`,
        `update add _flow._tcp.${FLOW} 120 SRV 5 7 61001 agent.orange.test.`,
        `update add _queue._flow._tcp.${FLOW} 120 TXT "broker-type=kafka" "queue=orders" "tls" "caf\\195\\169 \\"quoted\\""`,
        `update add host.orange.test 120 A 192.0.2.10`,
        `update add host.orange.test 120 AAAA 2001:db8::10`,
      ]);
      const server = { host: bind.host, port: bind.port };
      const answersOf = async (name: string, type: number, tcp = false): Promise<WireRecord[]> =>
        (await queryDns(server, name, type, { tcp })).answers.filter((rr) => rr.type === type);
      for (const tcp of [false, true]) {
        assert.deepEqual(await answersOf(FLOW, RRType.PTR, tcp), [
          {
            name: FLOW,
            type: RRType.PTR,
            class: 1,
            ttl: 120,
            data: { kind: 'PTR', target: `_flow._tcp.${FLOW}` },
          },
        ]);
        assert.deepEqual(await answersOf(`_flow._tcp.${FLOW}`, RRType.SRV, tcp), [
          {
            name: `_flow._tcp.${FLOW}`,
            type: RRType.SRV,
            class: 1,
            ttl: 120,
            data: { kind: 'SRV', priority: 5, weight: 7, port: 61001, target: 'agent.orange.test' },
          },
        ]);
        const [txt] = await answersOf(`_queue._flow._tcp.${FLOW}`, RRType.TXT, tcp);
        assert.ok(txt?.data?.kind === 'TXT');
        assert.deepEqual(utf8Strings(txt.data), [
          'broker-type=kafka',
          'queue=orders',
          'tls',
          'caf\u00e9 "quoted"',
        ]);
        assert.deepEqual(
          (await answersOf('host.orange.test', RRType.A, tcp)).map((r) => r.data),
          [{ kind: 'A', address: '192.0.2.10' }],
        );
        assert.deepEqual(
          (await answersOf('host.orange.test', RRType.AAAA, tcp)).map((r) => r.data),
          [{ kind: 'AAAA', address: '2001:db8::10' }],
        );
      }
      const soa = await queryDns(server, bind.zone, RRType.SOA);
      assert.equal(soa.answers[0]?.data?.kind, 'SOA');
      const ns = await queryDns(server, bind.zone, RRType.NS);
      assert.deepEqual(
        ns.answers.map((r) => r.data),
        [{ kind: 'NS', target: `ns1.${bind.zone}` }],
      );
    });
  });

  it('a second registerFlow of the same flow: exists, and DNS unchanged', async () => {
    await withBind9(async (bind) => {
      const writer = writerFor(bind);
      await writer.registerFlow(registration(FLOW));
      const before = await flowSnapshot(bind.host, bind.port, FLOW);
      const rival = registration(FLOW, { agent: { host: 'rival.orange.test', port: 62000, tls: false } });
      await assert.rejects(
        writer.registerFlow(rival),
        isEson('exists', /^flow orders\.flows\.orange\.test is already in DNS: the server answered YXRRSET/),
      );
      assert.deepEqual(await flowSnapshot(bind.host, bind.port, FLOW), before);
    });
  });

  it('the _flow._tcp name already in use (records without the PTR): exists, YXDOMAIN', async () => {
    await withBind9(async (bind) => {
      await nsupdateOk(bind.host, bind.port, bind.writerKey, bind.zone, [
        `update add _flow._tcp.${FLOW} 60 SRV 1 1 1 squatter.orange.test.`,
      ]);
      await assert.rejects(writerFor(bind).registerFlow(registration(FLOW)), isEson('exists', /YXDOMAIN/));
      assert.deepEqual(await dig(bind.host, bind.port, FLOW, 'PTR'), []);
    });
  });

  it('two agents racing for one flow: exactly one wins, the other gets exists', async () => {
    await withBind9(async (bind) => {
      const a = registration(FLOW, { agent: { host: 'a.orange.test', port: 61000, tls: false } });
      const b = registration(FLOW, { agent: { host: 'b.orange.test', port: 61000, tls: false } });
      const results = await Promise.allSettled([
        writerFor(bind).registerFlow(a),
        writerFor(bind).registerFlow(b),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const [lost] = results.filter((r) => r.status === 'rejected');
      assert.ok(lost && isEson('exists', /already in DNS/)(lost.reason));
      const srv = await dig(bind.host, bind.port, `_flow._tcp.${FLOW}`, 'SRV');
      assert.equal(srv.length, 1, 'one agent only');
    });
  });

  it('updateFlow replaces the records; of an unregistered flow it is not-found', async () => {
    await withBind9(async (bind) => {
      const writer = writerFor(bind);
      await assert.rejects(writer.updateFlow(registration(FLOW)), isEson('not-found', /NXRRSET/));
      assert.deepEqual(await flowSnapshot(bind.host, bind.port, FLOW), []);
      await writer.registerFlow(registration(FLOW));
      await writer.updateFlow(
        registration(FLOW, {
          agent: { host: 'agent2.orange.test', port: 61005, tls: false },
          broker: { type: 'kafka', host: 'kafka2.orange.test', port: 9093, queue: 'orders-v2', tls: true },
          ttl: 30,
        }),
      );
      assert.deepEqual(
        await flowSnapshot(bind.host, bind.port, FLOW),
        [
          `${FLOW}. 30 PTR _flow._tcp.${FLOW}.`,
          `_flow._tcp.${FLOW}. 30 SRV 10 10 61005 agent2.orange.test.`,
          `_queue._flow._tcp.${FLOW}. 30 SRV 10 10 9093 kafka2.orange.test.`,
          `_queue._flow._tcp.${FLOW}. 30 TXT "broker-type=kafka" "queue=orders-v2" "tls"`,
        ].sort(),
      );
    });
  });

  it('unregisterFlow removes exactly the flow records, and again is not an error', async () => {
    await withBind9(async (bind) => {
      const writer = writerFor(bind);
      await writer.registerFlow(registration(FLOW));
      const sibling = 'billing.flows.orange.test';
      await writer.registerFlow(registration(sibling));
      await nsupdateOk(bind.host, bind.port, bind.writerKey, bind.zone, [
        `update add ${FLOW} 60 A 192.0.2.44`,
        `update add _flow._tcp.${FLOW} 60 HINFO "x" "y"`,
      ]);
      const siblingBefore = await flowSnapshot(bind.host, bind.port, sibling);
      await writer.unregisterFlow(registration(FLOW));
      assert.deepEqual(
        await flowSnapshot(bind.host, bind.port, FLOW),
        [`${FLOW}. 60 A 192.0.2.44`, `_flow._tcp.${FLOW}. 60 HINFO "x" "y"`].sort(),
      );
      assert.deepEqual(await flowSnapshot(bind.host, bind.port, sibling), siblingBefore);
      await writer.unregisterFlow(registration(FLOW));
      // Registering again works once the flow is gone.
      await nsupdateOk(bind.host, bind.port, bind.writerKey, bind.zone, [
        `update delete _flow._tcp.${FLOW} HINFO`,
      ]);
      await writer.registerFlow(registration(FLOW));
    });
  });

  it('registerNamespace creates or replaces _flow._tcp.<namespace>; unregisterNamespace removes it', async () => {
    await withBind9(async (bind) => {
      const writer = writerFor(bind);
      const ns = {
        namespace: 'flows.orange.test',
        agent: { host: 'agent.orange.test', port: 61000, tls: true },
        ttl: 60,
      };
      await writer.registerNamespace(ns);
      await writer.registerNamespace({ ...ns, agent: { ...ns.agent, port: 61002, tls: false } });
      const records = await dig(bind.host, bind.port, '_flow._tcp.flows.orange.test', 'ANY');
      assert.deepEqual(
        records.map((r) => `${r.type} ${r.rdata}`),
        ['SRV 10 10 61002 agent.orange.test.'],
      );
      await writer.unregisterNamespace(ns);
      assert.deepEqual(await dig(bind.host, bind.port, '_flow._tcp.flows.orange.test', 'ANY'), []);
    });
  });

  it('a message over 512 octets (sent over TCP) is applied', async () => {
    await withBind9(async (bind) => {
      await writerFor(bind).registerFlow(oversizedRegistration(FLOW));
      const [txt] = await dig(bind.host, bind.port, `_queue._flow._tcp.${FLOW}`, 'TXT');
      assert.deepEqual(txtStringsOf(txt?.rdata ?? ''), [
        'broker-type=sqs',
        `queue=${LONG_QUEUE}`,
        `queue-url=${LONG_QUEUE_URL}`,
        'tls',
      ]);
    });
  });
});

describe('BIND9 refusals become clear errors', () => {
  it('a wrong secret: forbidden, BADSIG', async () => {
    await withBind9(async (bind) => {
      const key = { ...bind.writerKey, secret: bind.otherKey.secret };
      await assert.rejects(
        writerFor(bind, { key }).registerFlow(registration(FLOW)),
        isEson('forbidden', /^the DNS server refused the TSIG key writer-key: BADSIG/),
      );
      assert.deepEqual(await flowSnapshot(bind.host, bind.port, FLOW), []);
    });
  });

  it('a key the server does not know: forbidden, BADKEY', async () => {
    await withBind9(async (bind) => {
      const key = { ...bind.writerKey, name: 'nobody-key' };
      await assert.rejects(
        writerFor(bind, { key }).registerFlow(registration(FLOW)),
        isEson(
          'forbidden',
          /^the DNS server refused the TSIG key nobody-key: BADKEY \(the server does not know the key/,
        ),
      );
    });
  });

  it('a key not allowed to update the zone: forbidden, REFUSED', async () => {
    await withBind9(async (bind) => {
      await assert.rejects(
        writerFor(bind, { key: bind.otherKey }).registerFlow(registration(FLOW)),
        isEson('forbidden', /^the DNS server refused the TSIG key other-key: REFUSED/),
      );
      assert.deepEqual(await flowSnapshot(bind.host, bind.port, FLOW), []);
    });
  });

  it('a clock skewed past the fudge: forbidden, BADTIME', async () => {
    await withBind9(async (bind) => {
      await assert.rejects(
        // 650 s, not 600: whole-second rounding on either side cannot move it out of -6xx.
        writerFor(bind, { clock: () => Date.now() - 650_000 }).registerFlow(registration(FLOW)),
        isEson(
          'forbidden',
          /^the DNS server refused the TSIG key writer-key: BADTIME .*our clock is -6\d\d s off the server's/,
        ),
      );
      // Within the fudge it works.
      await writerFor(bind, { clock: () => Date.now() - 200_000 }).registerFlow(registration(FLOW));
    });
  });
});

describe('BIND9 with an inline-signed zone (dnssec-policy default)', () => {
  it('after registerFlow, dig +dnssec shows RRSIGs over the new PTR, SRV and TXT', async () => {
    await withBind9(
      async (bind) => {
        const signed = bind.signedZone ?? '';
        const flow = `orders.flows.${signed}`;
        const writer = writerFor(bind, { zone: signed });
        await writer.registerFlow({
          ...registration(flow),
          agent: { host: `agent.${signed}`, port: 61000, tls: true },
        });
        const covered = async (name: string, type: string): Promise<string[]> => {
          const records = await dig(bind.host, bind.port, name, type, { extra: ['+dnssec'] });
          return records.filter((r) => r.type === 'RRSIG').map((r) => r.rdata.split(/\s+/)[0] ?? '');
        };
        // Inline signing runs just after the update; give it a few seconds.
        const deadline = Date.now() + 10_000;
        const wanted: [string, string][] = [
          [flow, 'PTR'],
          [`_flow._tcp.${flow}`, 'SRV'],
          [`_flow._tcp.${flow}`, 'TXT'],
          [`_queue._flow._tcp.${flow}`, 'SRV'],
          [`_queue._flow._tcp.${flow}`, 'TXT'],
        ];
        for (const [name, type] of wanted) {
          let types = await covered(name, type);
          while (!types.includes(type) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 200));
            types = await covered(name, type);
          }
          assert.deepEqual(types, [type], `RRSIG over ${name} ${type}`);
        }
        // Our codec recognises the RRSIGs too.
        const answer = await queryDns(
          { host: bind.host, port: bind.port },
          `_flow._tcp.${flow}`,
          RRType.SRV,
          { dnssecOk: true },
        );
        const sig = answer.answers.find((r) => r.type === RRType.RRSIG);
        assert.ok(sig?.data?.kind === 'RRSIG');
        assert.equal(typeName(sig.data.typeCovered), 'SRV');
        assert.equal(sig.data.signerName, signed);
      },
      { signedZone: 'signed.test' },
    );
  });
});
