/**
 * What an agent does when DNS does not do what it asks: a DNS server that is down, a zone that
 * refuses the agent's key, another agent that takes the same name first, and records too long
 * for DNS. In every case CREATE / DELETE change all or nothing: no registry row, no queue and no
 * records behind a failed CREATE FLOW; a whole flow behind a failed DELETE FLOW.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import type { FnapClient } from '../../../src/client/fnap-client.ts';
import { EsonError } from '../../../src/core/errors.ts';
import { flowRecords, MAX_TXT_STRING_OCTETS } from '../../../src/core/fns-records.ts';
import { MAX_NAME_OCTETS } from '../../../src/core/names.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';
import { dig } from '../dns-server/helpers.ts';
import type { DnsAgent, TestDnsServer } from './helpers.ts';
import {
  NAMESPACE,
  T,
  ZONE,
  body,
  digNames,
  expectedFlowRecords,
  expectedNamespaceRecords,
  flowNames,
  startDnsAgent,
  startTestDns,
  text,
  withSession,
} from './helpers.ts';

const FLOW = 'time.flows.orange.test';

/** Small waits: a dead DNS server costs (retries + 1) x timeoutMs per update. */
const FAST = { timeoutMs: 300, retries: 1 } as const;

async function withDns(fn: (dns: TestDnsServer) => Promise<void>): Promise<void> {
  const dns = await startTestDns();
  try {
    await fn(dns);
  } finally {
    await dns.cleanup();
  }
}

async function withAgent(dns: TestDnsServer, fn: (agent: DnsAgent) => Promise<void>): Promise<void> {
  const agent = await startDnsAgent({ server: dns, key: dns.orangeKey, ...FAST });
  try {
    await fn(agent);
  } finally {
    await agent.dispose();
  }
}

const advertised = (agent: DnsAgent) => ({ fqdn: agent.fqdn, port: agent.advertisedPort, tls: true });

/** The flow names LIST FLOWS shows (the last line is the count). */
async function listed(c: FnapClient): Promise<string[]> {
  const r = await c.command(`LIST FLOWS ${NAMESPACE}`);
  return r.lines.slice(0, -1).map((line) => line.split(' ')[0] ?? '');
}

/** Whether the agent's embedded broker holds a queue of that name. */
async function hasQueue(agent: DnsAgent, queue: string): Promise<boolean> {
  const broker = agent.agent.deps.brokers.get('local');
  assert.ok(broker);
  return broker.describeQueue(queue).then(
    () => true,
    (error: unknown) => {
      assert.ok(error instanceof EsonError && error.kind === 'not-found', String(error));
      return false;
    },
  );
}

/** The events READ FLOW returns from the start (the last line is the summary). */
async function events(c: FnapClient, flow: string): Promise<string[]> {
  const r = await c.command(`READ FLOW ${flow} FROM 0`);
  return r.lines.slice(0, -1);
}

const event = (id: number): string =>
  JSON.stringify({ specversion: '1.0', id: String(id), source: 'urn:test', type: 'test.event', data: id });

describe('CREATE / DELETE with DNS down: 451, and nothing half done', () => {
  it('CREATE FLOW answers 451 and leaves no registry row, no queue and no records', T, async () => {
    await withDns(async (dns) => {
      await withAgent(dns, async (agent) => {
        await dns.stop();
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${FLOW}`);
          assert.equal(r.code, 451, text(r));
          assert.match(text(r), /DNS registration of flow time\.flows\.orange\.test failed/);
          assert.match(text(r), /nothing was changed/);
          assert.deepEqual(await listed(c), [], 'no registry row');
          assert.equal(await hasQueue(agent, FLOW), false, 'no queue');
          const described = await c.send(`DESCRIBE FLOW ${FLOW}`);
          assert.equal(described.code, 550, text(described));
        });
        await dns.start();
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), [], 'no records');
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${FLOW}`);
          assert.equal(r.code, 250, text(r));
          assert.deepEqual(await events(c, FLOW), [], 'a new, empty flow');
          assert.deepEqual(await listed(c), [FLOW]);
        });
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), expectedFlowRecords(FLOW, advertised(agent)));
      });
    });
  });

  it('DELETE FLOW answers 451 and the flow stays whole: row, events and records', T, async () => {
    await withDns(async (dns) => {
      await withAgent(dns, async (agent) => {
        await withSession(agent, async (c) => {
          assert.equal((await c.send(`CREATE FLOW ${FLOW}`)).code, 250);
          assert.equal((await c.writeEvents(FLOW, [event(1), event(2)])).code, 250);
        });
        await dns.stop();
        await withSession(agent, async (c) => {
          const r = await c.send(`DELETE FLOW ${FLOW}`);
          assert.equal(r.code, 451, text(r));
          assert.match(text(r), /DNS removal of flow time\.flows\.orange\.test failed/);
          assert.deepEqual(await listed(c), [FLOW]);
          assert.equal((await events(c, FLOW)).length, 2, 'the events are still there');
          assert.equal(await hasQueue(agent, FLOW), true);
        });
        await dns.start();
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), expectedFlowRecords(FLOW, advertised(agent)));
        await withSession(agent, async (c) => {
          assert.equal(body(await c.command(`DESCRIBE FLOW ${FLOW}`))['dns'], 'registered');
          const r = await c.send(`DELETE FLOW ${FLOW}`);
          assert.equal(r.code, 250, text(r));
        });
        assert.deepEqual(await digNames(dns, flowNames(FLOW)), []);
        assert.equal(await hasQueue(agent, FLOW), false);
      });
    });
  });

  it('CREATE and DELETE NAMESPACE answer 451 and change nothing', T, async () => {
    await withDns(async (dns) => {
      await withAgent(dns, async (agent) => {
        const team = `team.${NAMESPACE}`;
        const other = `other.${NAMESPACE}`;
        await withSession(agent, async (c) =>
          assert.equal((await c.send(`CREATE NAMESPACE ${other}`)).code, 250),
        );
        await dns.stop();
        await withSession(agent, async (c) => {
          const created = await c.send(`CREATE NAMESPACE ${team}`);
          assert.equal(created.code, 451, text(created));
          assert.equal((await c.send(`DESCRIBE NAMESPACE ${team}`)).code, 550, 'no registry row');
          const deleted = await c.send(`DELETE NAMESPACE ${other}`);
          assert.equal(deleted.code, 451, text(deleted));
          assert.equal((await c.send(`DESCRIBE NAMESPACE ${other}`)).code, 250, 'still there');
        });
        await dns.start();
        assert.deepEqual(await digNames(dns, [`_flow._tcp.${team}`]), []);
        assert.deepEqual(
          await digNames(dns, [`_flow._tcp.${other}`]),
          expectedNamespaceRecords(other, advertised(agent)),
        );
      });
    });
  });
});

describe('a zone that refuses the key', () => {
  it('an agent configured with the key of another zone does not start, naming REFUSED', T, async () => {
    await withDns(async (dns) => {
      await assert.rejects(startDnsAgent({ server: dns, key: dns.blueKey, ...FAST }), (error: unknown) => {
        assert.ok(error instanceof EsonError, String(error));
        assert.match(error.message, /REFUSED/);
        assert.match(error.message, /blue-key/);
        return true;
      });
      assert.deepEqual(await digNames(dns, [`_flow._tcp.${NAMESPACE}`]), []);
    });
  });

  it(
    'CREATE FLOW answers 451 naming REFUSED once the zone stops accepting the key; nothing is left',
    T,
    async () => {
      // At first orange.test accepts blue's key too, so the agent starts; then it no longer does.
      const dns = await startTestDns(({ orange, blue }) => [
        { name: ZONE, keys: [orange, blue] },
        { name: 'blue.test', keys: [blue] },
      ]);
      try {
        const agent = await startDnsAgent({ server: dns, key: dns.blueKey, ...FAST });
        try {
          await dns.start();
          await withSession(agent, async (c) => {
            const r = await c.send(`CREATE FLOW ${FLOW}`);
            assert.equal(r.code, 451, text(r));
            assert.match(text(r), /REFUSED/);
            assert.match(text(r), /blue-key/);
            assert.deepEqual(await listed(c), []);
            assert.equal(await hasQueue(agent, FLOW), false);
            const ns = await c.send(`CREATE NAMESPACE team.${NAMESPACE}`);
            assert.equal(ns.code, 451, text(ns));
            assert.match(text(ns), /REFUSED/);
          });
          assert.deepEqual(await digNames(dns, flowNames(FLOW)), []);
        } finally {
          await agent.dispose();
        }
      } finally {
        await dns.cleanup();
      }
    },
  );
});

describe('two agents racing for one name', () => {
  it('exactly one 250 and one 550 per name, and DNS points at the winner', { timeout: 120_000 }, async () => {
    await withDns(async (dns) => {
      const a = await startDnsAgent({ server: dns, key: dns.orangeKey, fqdn: 'fnaa-a.orange.test' });
      try {
        const b = await startDnsAgent({ server: dns, key: dns.orangeKey, fqdn: 'fnaa-b.orange.test' });
        try {
          const [ca, cb] = await Promise.all([a.session(), b.session()]);
          try {
            for (let round = 0; round < 6; round++) {
              const flow = `race${round}.${NAMESPACE}`;
              const [ra, rb] = await Promise.all([
                ca.send(`CREATE FLOW ${flow}`),
                cb.send(`CREATE FLOW ${flow}`),
              ]);
              assert.deepEqual(
                [ra.code, rb.code].sort(),
                [250, 550],
                `round ${round}: ${text(ra)} | ${text(rb)}`,
              );
              const [winner, loser, lost, lostClient] =
                ra.code === 250 ? [a, b, rb, cb] : ([b, a, ra, ca] as const);
              assert.match(text(lost), /already registered in DNS/);
              assert.deepEqual(
                (await dig(dns, `_flow._tcp.${flow}`, 'SRV')).map((r) => r.rdata),
                [`10 10 ${winner.advertisedPort} ${winner.fqdn}.`],
              );
              assert.deepEqual(
                await digNames(dns, flowNames(flow)),
                expectedFlowRecords(flow, advertised(winner)),
              );
              // The loser keeps nothing: no row, no queue.
              assert.equal((await listed(lostClient)).includes(flow), false);
              assert.equal(await hasQueue(loser, flow), false);
              const winnerClient = winner === a ? ca : cb;
              assert.equal(body(await winnerClient.command(`DESCRIBE FLOW ${flow}`))['dns'], 'registered');
            }
          } finally {
            await Promise.all([ca.quit().catch(() => undefined), cb.quit().catch(() => undefined)]);
          }
        } finally {
          await b.dispose();
        }
      } finally {
        await a.dispose();
      }
    });
  });
});

describe('records too long for DNS', () => {
  // Why a flow name cannot make a TXT string over 255 octets: the longest string a flow's records
  // carry that grows with its name is `queue=<flow>` (the queue equals the flow name), and the
  // flow's records live at `_queue._flow._tcp.<flow>`, itself a domain name of at most 253 octets.
  // So a flow that can be published at all has a name of at most 253 - 18 = 235 octets, and
  // `queue=<flow>` holds at most 241. A longer queue name can only come from elsewhere (a broker
  // with its own naming), and the writer refuses it before anything is sent.
  const longestFlow = MAX_NAME_OCTETS - '_queue._flow._tcp.'.length;

  it('the arithmetic holds: the longest publishable flow name gives a TXT string under 255 octets', () => {
    assert.equal(longestFlow, 235);
    const flow = nameOf(longestFlow);
    const records = flowRecords(registration(flow, flow));
    const strings = records.flatMap((rr) => (rr.type === 'TXT' ? rr.strings : []));
    assert.ok(strings.includes(`queue=${flow}`));
    for (const s of strings) assert.ok(Buffer.byteLength(s) <= MAX_TXT_STRING_OCTETS, `${s.length} octets`);
  });

  it('flowRecords refuses a queue name that makes a TXT string over 255 octets', () => {
    const queue = 'q'.repeat(MAX_TXT_STRING_OCTETS - 'queue='.length + 1);
    assert.throws(
      () => flowRecords(registration(FLOW, queue)),
      (error: unknown) => {
        assert.ok(error instanceof EsonError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(error.message, /256 octets, over 255/);
        return true;
      },
    );
    // One octet less is fine.
    assert.doesNotThrow(() => flowRecords(registration(FLOW, queue.slice(1))));
  });

  it('the RFC 2136 writer refuses it before sending anything', T, async () => {
    const listener = await countingListener();
    try {
      const writer = new Rfc2136Writer({
        server: { host: '127.0.0.1', port: listener.port },
        zone: ZONE,
        key: { name: 'orange-key', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1).toString('base64') },
        timeoutMs: 500,
        retries: 0,
      });
      await assert.rejects(writer.registerFlow(registration(FLOW, 'q'.repeat(250))), (error: unknown) => {
        assert.ok(error instanceof EsonError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(error.message, /over 255/);
        return true;
      });
      await writer.close();
      // Nothing was sent, over either transport.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(listener.received(), { datagrams: 0, connections: 0 });
    } finally {
      await listener.close();
    }
  });

  it('CREATE FLOW of a name too long to publish answers 553 and leaves nothing', T, async () => {
    await withDns(async (dns) => {
      await withAgent(dns, async (agent) => {
        const flow = nameOf(longestFlow + 5);
        const ok = nameOf(longestFlow);
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE FLOW ${flow}`);
          assert.equal(r.code, 553, text(r));
          assert.match(text(r), /235/);
          assert.deepEqual(await listed(c), []);
          assert.equal(await hasQueue(agent, flow), false);
          // The longest name that fits is published.
          const fits = await c.send(`CREATE FLOW ${ok}`);
          assert.equal(fits.code, 250, text(fits));
        });
        assert.deepEqual(await digNames(dns, flowNames(ok)), expectedFlowRecords(ok, advertised(agent)));
      });
    });
  });

  it('CREATE NAMESPACE of a name too long to publish answers 553 and leaves nothing', T, async () => {
    await withDns(async (dns) => {
      await withAgent(dns, async (agent) => {
        // `_flow._tcp.<namespace>` must fit in 253 octets: a namespace holds at most 242.
        const tooLong = nameOf(MAX_NAME_OCTETS - '_flow._tcp.'.length + 1);
        await withSession(agent, async (c) => {
          const r = await c.send(`CREATE NAMESPACE ${tooLong}`);
          assert.equal(r.code, 553, text(r));
          assert.match(text(r), /too long to publish in DNS/);
          assert.equal((await c.send(`DESCRIBE NAMESPACE ${tooLong}`)).code, 550);
        });
      });
    });
  });
});

/** A flow name of exactly `octets` octets in NAMESPACE. */
function nameOf(octets: number): string {
  const suffix = `.${NAMESPACE}`;
  let left = octets - suffix.length;
  const labels: string[] = [];
  while (left > 0) {
    // A label and its dot; never leave a remainder of one octet (a dot with an empty label).
    let size = Math.min(63, left);
    if (left - size === 1) size -= 1;
    labels.push('a'.repeat(size));
    left -= size + 1;
  }
  const name = labels.join('.') + suffix;
  assert.equal(Buffer.byteLength(name), octets, name);
  return name;
}

function registration(flow: string, queue: string): FlowRegistration {
  return {
    flow,
    agent: { host: 'fnaa.orange.test', port: 61001, tls: true },
    broker: { type: 'local', host: 'fnaa.orange.test', port: 61001, queue, tls: true },
    ttl: 60,
  };
}

/** A UDP socket and a TCP listener on one port that count what reaches them. */
async function countingListener(): Promise<{
  port: number;
  received(): { datagrams: number; connections: number };
  close(): Promise<void>;
}> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    let datagrams = 0;
    let connections = 0;
    udp.on('message', () => datagrams++);
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt < 10) continue;
      throw new Error('no port free for both UDP and TCP');
    }
    return {
      port,
      received: () => ({ datagrams, connections }),
      async close() {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      },
    };
  }
}
