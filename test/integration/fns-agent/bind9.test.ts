/**
 * An agent whose RFC 2136 writer talks to a real BIND9 (`named` from Debian, started by
 * test/support/bind9.ts): it registers its namespace and its flows there, `dig` reads them back,
 * and in a zone BIND signs inline the new records are covered by RRSIGs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bind9Server } from '../../support/bind9.ts';
import { startBind9 } from '../../support/bind9.ts';
import { dig } from '../dns-server/helpers.ts';
import type { DnsAgent } from './helpers.ts';
import {
  body,
  digNames,
  eventually,
  expectedFlowRecords,
  expectedNamespaceRecords,
  flowNames,
  projectResolver,
  startDnsAgent,
  text,
  withSession,
} from './helpers.ts';

const T = { timeout: 120_000 };

async function withBind9(fn: (bind: Bind9Server) => Promise<void>, signedZone?: string): Promise<void> {
  const bind = await startBind9(signedZone ? { signedZone } : {});
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

async function agentAt(bind: Bind9Server, zone: string): Promise<DnsAgent> {
  return startDnsAgent({
    server: bind,
    key: bind.writerKey,
    zone,
    fqdn: `fnaa.${zone}`,
    namespaces: [`flows.${zone}`],
  });
}

const advertised = (agent: DnsAgent) => ({ fqdn: agent.fqdn, port: agent.advertisedPort, tls: true });

describe('an agent writing to BIND9', () => {
  it(
    'registers its namespace and a flow with RFC 2136 + TSIG; dig reads them; DELETE removes them',
    T,
    async () => {
      await withBind9(async (bind) => {
        const agent = await agentAt(bind, bind.zone);
        try {
          const namespace = `flows.${bind.zone}`;
          const flow = `time.${namespace}`;
          assert.deepEqual(
            await digNames(bind, [`_flow._tcp.${namespace}`]),
            expectedNamespaceRecords(namespace, advertised(agent)),
          );
          await withSession(agent, async (c) => {
            const r = await c.send(`CREATE FLOW ${flow}`);
            assert.equal(r.code, 250, text(r));
          });
          assert.deepEqual(
            await digNames(bind, flowNames(flow)),
            expectedFlowRecords(flow, advertised(agent)),
          );
          const found = await projectResolver(bind).resolveFlow(`flow://${flow}`);
          assert.equal(found.kind, 'flow');
          assert.equal(found.agent.port, agent.tlsPort);
          assert.deepEqual(found.agent.addresses, ['127.0.0.1']);
          await withSession(agent, async (c) => {
            const d = body(await c.command(`DESCRIBE FLOW ${flow}`));
            assert.equal(d['dns'], 'registered', JSON.stringify(d));
            assert.equal(d['dns-agent'], `${agent.fqdn}:${agent.tlsPort}`);
            const r = await c.send(`DELETE FLOW ${flow}`);
            assert.equal(r.code, 250, text(r));
          });
          assert.deepEqual(await digNames(bind, flowNames(flow)), []);
        } finally {
          await agent.dispose();
        }
      });
    },
  );

  it('in a zone BIND signs inline, RRSIGs cover the records CREATE FLOW added (dig +dnssec)', T, async () => {
    await withBind9(async (bind) => {
      const zone = bind.signedZone ?? '';
      const agent = await agentAt(bind, zone);
      try {
        const flow = `time.flows.${zone}`;
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${flow}`);
          assert.equal(r.code, 250, text(r));
        });
        // The records the agent wrote, beside the NSEC and RRSIG records BIND adds.
        const written = (await digNames(bind, flowNames(flow))).filter((l) => !/ (RRSIG|NSEC3?) /.test(l));
        assert.deepEqual(written, expectedFlowRecords(flow, advertised(agent)));
        const covered = async (name: string, type: string): Promise<string[]> =>
          (await dig(bind, name, type, ['+dnssec']))
            .filter((r) => r.type === 'RRSIG')
            .map((r) => r.rdata.split(/\s+/)[0] ?? '');
        const wanted: [string, string][] = [
          [flow, 'PTR'],
          [`_flow._tcp.${flow}`, 'SRV'],
          [`_flow._tcp.${flow}`, 'TXT'],
          [`_queue._flow._tcp.${flow}`, 'SRV'],
          [`_queue._flow._tcp.${flow}`, 'TXT'],
          [`_flow._tcp.flows.${zone}`, 'SRV'],
          [`fnaa.${zone}`, 'A'],
        ];
        // Inline signing runs just after the update; give it a few seconds.
        for (const [name, type] of wanted) {
          const types = await eventually(
            () => covered(name, type),
            (t) => t.includes(type),
            15_000,
          );
          assert.deepEqual(types, [type], `RRSIG over ${name} ${type}`);
          // Signed by the zone itself.
          const sig = (await dig(bind, name, type, ['+dnssec'])).find((r) => r.type === 'RRSIG');
          assert.match(sig?.rdata ?? '', new RegExp(` ${zone.replace('.', '\\.')}\\. `));
        }
      } finally {
        await agent.dispose();
      }
    }, 'signed.test');
  });
});
