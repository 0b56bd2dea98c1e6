/**
 * An agent that publishes in DNS, against the embedded DNS server on real sockets: CREATE / DELETE
 * FLOW and NAMESPACE write and remove exactly the records of shared/product/fns-records.md, as
 * `dig` (a tool nobody here wrote) and the project's own resolver read them; the served namespace
 * is registered at start; DESCRIBE FLOW reports what DNS says, including records someone removed
 * by hand with `nsupdate`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dig, nsupdate } from '../dns-server/helpers.ts';
import type { DnsAgent, TestDnsServer } from './helpers.ts';
import {
  AGENT_FQDN,
  NAMESPACE,
  T,
  ZONE,
  body,
  digNames,
  expectedFlowRecords,
  expectedNamespaceRecords,
  flowNames,
  projectResolver,
  startDnsAgent,
  startTestDns,
  text,
  withSession,
} from './helpers.ts';

const FLOW = 'time.flows.orange.test';

async function withAgent(
  fn: (dns: TestDnsServer, agent: DnsAgent) => Promise<void>,
  options: { tls?: boolean } = {},
): Promise<void> {
  const dns = await startTestDns();
  try {
    const agent = await startDnsAgent({ server: dns, key: dns.orangeKey, ...options });
    try {
      await fn(dns, agent);
    } finally {
      await agent.dispose();
    }
  } finally {
    await dns.cleanup();
  }
}

const advertised = (agent: DnsAgent, tls = true) => ({ fqdn: agent.fqdn, port: agent.advertisedPort, tls });

describe('an agent with the embedded DNS server: the records of fns-records.md', () => {
  it('registers its served namespace and its own address at start', T, async () => {
    await withAgent(async (dns, agent) => {
      assert.ok(agent.tlsPort, 'the agent has an implicit-TLS port');
      assert.notEqual(agent.tlsPort, agent.port);
      assert.deepEqual(
        await digNames(dns, [`_flow._tcp.${NAMESPACE}`]),
        expectedNamespaceRecords(NAMESPACE, advertised(agent)),
      );
      assert.deepEqual(
        (await dig(dns, AGENT_FQDN, 'A')).map((r) => r.rdata),
        ['127.0.0.1'],
      );
      const ns = await projectResolver(dns).resolveNamespace(NAMESPACE);
      assert.equal(ns.agent.host, AGENT_FQDN);
      assert.equal(ns.agent.port, agent.tlsPort);
      assert.equal(ns.agent.tls, true);
      assert.deepEqual(ns.agent.addresses, ['127.0.0.1']);
    });
  });

  it(
    'CREATE FLOW writes exactly PTR, SRV, TXT "tls", queue SRV and TXT, with the implicit-TLS port',
    T,
    async () => {
      await withAgent(async (dns, agent) => {
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), [], 'nothing before');
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${FLOW}`);
          assert.equal(r.code, 250, text(r));
        });
        // dig: everything at the three names, no more, no less.
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), expectedFlowRecords(FLOW, advertised(agent)));
        // Typed queries answer the same (the records are ordinary RRsets, not only an ANY answer).
        assert.deepEqual(
          (await dig(dns, FLOW, 'PTR')).map((r) => r.rdata),
          [`_flow._tcp.${FLOW}.`],
        );
        assert.deepEqual(
          (await dig(dns, `_flow._tcp.${FLOW}`, 'SRV')).map((r) => r.rdata),
          [`10 10 ${agent.tlsPort} ${AGENT_FQDN}.`],
        );
        // The project's resolver follows them to the agent and its broker.
        const found = await projectResolver(dns).resolveFlow(`flow://${FLOW}`);
        assert.equal(found.kind, 'flow');
        assert.equal(found.flow, FLOW);
        assert.deepEqual(
          {
            host: found.agent.host,
            port: found.agent.port,
            tls: found.agent.tls,
            addresses: found.agent.addresses,
          },
          { host: AGENT_FQDN, port: agent.tlsPort, tls: true, addresses: ['127.0.0.1'] },
        );
        assert.ok(found.broker);
        assert.deepEqual(
          {
            type: found.broker.type,
            host: found.broker.host,
            port: found.broker.port,
            queue: found.broker.queue,
            tls: found.broker.tls,
          },
          { type: 'local', host: AGENT_FQDN, port: agent.tlsPort, queue: FLOW, tls: true },
        );
        assert.equal(found.ttl, 60);
      });
    },
  );

  it('an agent without a certificate advertises its plain port and no "tls"', T, async () => {
    await withAgent(
      async (dns, agent) => {
        assert.equal(agent.tlsPort, undefined);
        assert.deepEqual(
          await digNames(dns, [`_flow._tcp.${NAMESPACE}`]),
          expectedNamespaceRecords(NAMESPACE, advertised(agent, false)),
        );
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${FLOW}`);
          assert.equal(r.code, 250, text(r));
        });
        assert.deepEqual(
          await digNames(dns, flowNames(FLOW)),
          expectedFlowRecords(FLOW, advertised(agent, false)),
        );
        const found = await projectResolver(dns).resolveFlow(FLOW);
        assert.equal(found.agent.port, agent.port);
        assert.equal(found.agent.tls, false);
      },
      { tls: false },
    );
  });

  it(
    'DESCRIBE FLOW reports dns=registered and the agent DNS names; dns=missing once nsupdate removed them',
    T,
    async () => {
      await withAgent(async (dns, agent) => {
        await withSession(agent, async (c) => {
          assert.equal((await c.send(`CREATE FLOW ${FLOW}`)).code, 250);
          const d = body(await c.command(`DESCRIBE FLOW ${FLOW}`));
          assert.equal(d['dns'], 'registered', JSON.stringify(d));
          assert.equal(d['dns-agent'], `${AGENT_FQDN}:${agent.tlsPort}`);
          assert.equal(d['dns-broker'], `local ${AGENT_FQDN}:${agent.tlsPort} queue=${FLOW}`);
          assert.equal(d['dns-detail'], undefined);

          // Someone removes the records by hand, with the zone's key.
          const removed = await nsupdate(
            dns,
            dns.orangeKey,
            ZONE,
            flowNames(FLOW).map((name) => `update delete ${name}`),
          );
          assert.equal(removed.code, 0, removed.output);
          assert.deepEqual(await digNames(dns, flowNames(FLOW)), []);

          const after = body(await c.command(`DESCRIBE FLOW ${FLOW}`));
          assert.equal(after['dns'], 'missing', JSON.stringify(after));
          assert.equal(after['dns-agent'], undefined);
          assert.match(after['dns-detail'] ?? '', /not in DNS/);
          // The flow itself is untouched, and deleting it is not blocked by the missing records.
          assert.equal(after['flow'], FLOW);
          const deleted = await c.send(`DELETE FLOW ${FLOW}`);
          assert.equal(deleted.code, 250, text(deleted));
        });
        // The namespace's records were never touched.
        assert.deepEqual(
          await digNames(dns, [`_flow._tcp.${NAMESPACE}`]),
          expectedNamespaceRecords(NAMESPACE, advertised(agent)),
        );
      });
    },
  );

  it('DESCRIBE FLOW says dns=other when the records point at another agent', T, async () => {
    await withAgent(async (dns, agent) => {
      await withSession(agent, async (c) => {
        assert.equal((await c.send(`CREATE FLOW ${FLOW}`)).code, 250);
        const moved = await nsupdate(dns, dns.orangeKey, ZONE, [
          `update delete _flow._tcp.${FLOW} SRV`,
          `update add _flow._tcp.${FLOW} 60 SRV 10 10 4444 ${AGENT_FQDN}.`,
        ]);
        assert.equal(moved.code, 0, moved.output);
        const d = body(await c.command(`DESCRIBE FLOW ${FLOW}`));
        assert.equal(d['dns'], 'other', JSON.stringify(d));
        assert.equal(d['dns-agent'], `${AGENT_FQDN}:4444`);
      });
    });
  });

  it('DELETE FLOW removes exactly its records: other flows and the namespace keep theirs', T, async () => {
    await withAgent(async (dns, agent) => {
      const other = 'other.flows.orange.test';
      const names = [...flowNames(FLOW), ...flowNames(other), `_flow._tcp.${NAMESPACE}`, AGENT_FQDN];
      const before = await digNames(dns, names);
      await withSession(agent, async (c) => {
        assert.equal((await c.send(`CREATE FLOW ${other}`)).code, 250);
        const withOther = await digNames(dns, names);
        assert.equal((await c.send(`CREATE FLOW ${FLOW}`)).code, 250);
        assert.deepEqual(
          await digNames(dns, names),
          [...withOther, ...expectedFlowRecords(FLOW, advertised(agent))].sort(),
          'CREATE FLOW added its records and nothing else',
        );
        const r = await c.send(`DELETE FLOW ${FLOW}`);
        assert.equal(r.code, 250, text(r));
        assert.deepEqual(
          await digNames(dns, names),
          withOther,
          'DELETE FLOW removed its records and nothing else',
        );
        assert.equal((await c.send(`DELETE FLOW ${other}`)).code, 250);
      });
      assert.deepEqual(await digNames(dns, names), before);
      // NXDOMAIN at the flow's names: the resolver finds only the namespace's agent.
      const found = await projectResolver(dns).resolveFlow(FLOW);
      assert.equal(found.kind, 'namespace');
      assert.equal(found.kind === 'namespace' ? found.namespace : '', NAMESPACE);
    });
  });

  it(
    'CREATE NAMESPACE writes _flow._tcp.<ns> SRV and TXT; DELETE NAMESPACE removes exactly those',
    T,
    async () => {
      await withAgent(async (dns, agent) => {
        const team = `team.${NAMESPACE}`;
        const build = `build.${team}`;
        const names = [`_flow._tcp.${team}`, ...flowNames(build), `_flow._tcp.${NAMESPACE}`];
        const before = await digNames(dns, names);
        await withSession(agent, async (c) => {
          const created = await c.send(`CREATE NAMESPACE ${team}`);
          assert.equal(created.code, 250, text(created));
          assert.deepEqual(
            await digNames(dns, [`_flow._tcp.${team}`]),
            expectedNamespaceRecords(team, advertised(agent)),
          );
          const ns = await projectResolver(dns).resolveNamespace(team);
          assert.equal(ns.agent.port, agent.tlsPort);
          assert.equal(ns.agent.tls, true);

          // A flow in the new namespace, then both gone again.
          assert.equal((await c.send(`CREATE FLOW ${build}`)).code, 250);
          assert.deepEqual(
            await digNames(dns, flowNames(build)),
            expectedFlowRecords(build, advertised(agent)),
          );
          // A namespace that still holds a flow keeps its records.
          const busy = await c.send(`DELETE NAMESPACE ${team}`);
          assert.equal(busy.code, 550, text(busy));
          assert.deepEqual(
            await digNames(dns, [`_flow._tcp.${team}`]),
            expectedNamespaceRecords(team, advertised(agent)),
          );
          assert.equal((await c.send(`DELETE FLOW ${build}`)).code, 250);
          const deleted = await c.send(`DELETE NAMESPACE ${team}`);
          assert.equal(deleted.code, 250, text(deleted));
        });
        assert.deepEqual(await digNames(dns, names), before);
      });
    },
  );

  it('registers the served namespace again when it starts on the same data directory', T, async () => {
    const dns = await startTestDns();
    try {
      const first = await startDnsAgent({ server: dns, key: dns.orangeKey });
      const dir = first.dir;
      try {
        await first.stop();
        // Someone removed the namespace's records while the agent was down.
        const removed = await nsupdate(dns, dns.orangeKey, ZONE, [`update delete _flow._tcp.${NAMESPACE}`]);
        assert.equal(removed.code, 0, removed.output);
        assert.deepEqual(await digNames(dns, [`_flow._tcp.${NAMESPACE}`]), []);
        const second = await startDnsAgent({ server: dns, key: dns.orangeKey, dir });
        try {
          assert.deepEqual(
            await digNames(dns, [`_flow._tcp.${NAMESPACE}`]),
            expectedNamespaceRecords(NAMESPACE, advertised(second)),
          );
        } finally {
          await second.stop();
        }
      } finally {
        // Removes the directory the second agent shared.
        await first.dispose();
      }
    } finally {
      await dns.cleanup();
    }
  });
});
