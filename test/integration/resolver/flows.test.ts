/**
 * FlowResolver and DnsResolver against a real BIND9 (test/support/bind9.ts): records written by
 * `nsupdate` (a tool nobody here wrote) and by Rfc2136Writer resolve to the flow's agent and
 * broker; a flow unknown to DNS falls back to its namespace's agent; incomplete records give the
 * errors that name them; TTLs and BIND's SOA minimum govern the cache (an injected clock).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { DnsResolveError, FlowResolveError } from '../../../src/dns/resolver/errors.ts';
import { FlowResolver } from '../../../src/dns/resolver/flow-resolver.ts';
import type { DnsResolverOptions } from '../../../src/dns/resolver/stub-resolver.ts';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRType } from '../../../src/dns/wire/constants.ts';
import type { Bind9Server } from '../../support/bind9.ts';
import { startBind9 } from '../../support/bind9.ts';
import { dig, nsupdate, registration } from '../dns/helpers.ts';

let bind: Bind9Server | undefined;

before(async () => {
  bind = await startBind9();
  // The hosts the flows below point at.
  await nsupdate(bind, bind.writerKey, bind.zone, [
    'update add agent.orange.test. 300 A 127.0.0.1',
    'update add agent.orange.test. 300 AAAA ::1',
    'update add agent2.orange.test. 300 A 127.0.0.2',
    'update add kafka.orange.test. 300 A 127.0.0.3',
  ]);
});

after(async () => {
  await bind?.stop();
});

const server = (): Bind9Server => bind as Bind9Server;

function dnsResolver(options: Partial<DnsResolverOptions> = {}): DnsResolver {
  return new DnsResolver({
    nameservers: [{ host: server().host, port: server().port }],
    timeoutMs: 2000,
    retries: 1,
    ...options,
  });
}

function flowResolver(
  options: Partial<DnsResolverOptions> = {},
  random: () => number = () => 0,
): FlowResolver {
  return new FlowResolver({ resolver: dnsResolver(options), random });
}

function writer(): Rfc2136Writer {
  return new Rfc2136Writer({
    server: { host: server().host, port: server().port },
    zone: server().zone,
    key: server().writerKey,
    timeoutMs: 2000,
    retries: 1,
  });
}

/** nsupdate commands that write a flow as fns-records.md lays it out, TXT in the seed's form. */
function flowCommands(flow: string, agentPort: number, brokerTxt = '"broker-type=kafka tls"'): string[] {
  return [
    `update add ${flow}. 60 PTR _flow._tcp.${flow}.`,
    `update add _flow._tcp.${flow}. 60 SRV 10 10 ${agentPort} agent.orange.test.`,
    `update add _flow._tcp.${flow}. 60 TXT "tls"`,
    `update add _queue._flow._tcp.${flow}. 60 SRV 10 10 9092 kafka.orange.test.`,
    `update add _queue._flow._tcp.${flow}. 60 TXT ${brokerTxt}`,
  ];
}

function withNamedOutput(error: unknown): never {
  if (error instanceof Error) error.message += `\n--- named output ---\n${server().output().slice(-3000)}`;
  throw error;
}

describe('FlowResolver against BIND9', () => {
  it("resolves a flow that nsupdate wrote, with the TXT in the seed's single-string form", async () => {
    const flow = 'notifications.calendar.people.orange.test';
    await nsupdate(server(), server().writerKey, server().zone, flowCommands(flow, 65432)).catch(
      withNamedOutput,
    );
    const r = await flowResolver().resolveFlow(`flow://${flow}`);
    assert.equal(r.kind, 'flow');
    assert.deepEqual(r.agent, {
      host: 'agent.orange.test',
      port: 65432,
      tls: true,
      addresses: ['127.0.0.1', '::1'],
      candidates: [{ host: 'agent.orange.test', port: 65432, priority: 10, weight: 10 }],
      service: `_flow._tcp.${flow}`,
    });
    assert.deepEqual(r.broker, {
      type: 'kafka',
      host: 'kafka.orange.test',
      port: 9092,
      queue: flow,
      tls: true,
      candidates: [{ host: 'kafka.orange.test', port: 9092, priority: 10, weight: 10 }],
    });
    assert.equal(r.ttl, 60);
    assert.equal(r.authenticated, false);
  });

  it('resolves a flow that Rfc2136Writer registered, the way dig reads it', async () => {
    const flow = 'orders.flows.orange.test';
    const w = writer();
    try {
      await w.registerFlow(registration(flow));
    } finally {
      await w.close();
    }
    const r = await flowResolver().resolveFlow(flow);
    assert.equal(r.kind, 'flow');
    assert.deepEqual(
      { host: r.agent.host, port: r.agent.port, tls: r.agent.tls },
      { host: 'agent.orange.test', port: 61000, tls: true },
    );
    assert.deepEqual(r.broker, {
      type: 'kafka',
      host: 'kafka.orange.test',
      port: 9092,
      queue: 'orders',
      tls: false,
      candidates: [{ host: 'kafka.orange.test', port: 9092, priority: 10, weight: 10 }],
    });
    // What dig sees at the agent's SRV is what the resolver chose.
    const [srv] = await dig(server(), `_flow._tcp.${flow}`, 'SRV');
    assert.equal(srv?.rdata, `10 10 ${r.agent.port} ${r.agent.host}.`);
  });

  it("falls back to the namespace's agent for a flow DNS does not know, and resolves the namespace", async () => {
    const w = writer();
    try {
      await w.registerNamespace({
        namespace: 'team.orange.test',
        agent: { host: 'agent2.orange.test', port: 61100, tls: true },
        ttl: 120,
      });
    } finally {
      await w.close();
    }
    const r = await flowResolver().resolveFlow('flow://unknown.stream.team.orange.test');
    assert.equal(r.kind, 'namespace');
    if (r.kind !== 'namespace') return;
    assert.equal(r.namespace, 'team.orange.test');
    assert.match(
      r.unknownFlow,
      /^flow unknown\.stream\.team\.orange\.test is not in DNS: the name does not exist \(NXDOMAIN from 127\.0\.0\.1:\d+\)$/,
    );
    assert.deepEqual(
      { host: r.agent.host, port: r.agent.port, tls: r.agent.tls, addresses: r.agent.addresses },
      { host: 'agent2.orange.test', port: 61100, tls: true, addresses: ['127.0.0.2'] },
    );
    // BIND's negative answers last min(SOA TTL 300, MINIMUM 60).
    assert.equal(r.ttl, 60);
    const ns = await flowResolver().resolveNamespace('team.orange.test');
    assert.equal(ns.agent.port, 61100);
    // SRV and TXT 120, A 300, and the NODATA for AAAA 60: the result holds 60 s.
    assert.equal(ns.ttl, 60);
  });

  it('fails for a flow neither DNS nor any namespace knows', async () => {
    await assert.rejects(flowResolver().resolveFlow('ghost.nowhere.orange.test'), (error: unknown) => {
      assert.ok(error instanceof FlowResolveError);
      assert.equal(error.problem, 'unknown-flow');
      assert.equal(error.kind, 'not-found');
      assert.match(
        error.message,
        /no SRV record at _flow\._tcp\.nowhere\.orange\.test, _flow\._tcp\.orange\.test/,
      );
      return true;
    });
  });

  it('orders several agents by priority and weight', async () => {
    const flow = 'multi.flows.orange.test';
    await nsupdate(server(), server().writerKey, server().zone, [
      `update add ${flow}. 60 PTR _flow._tcp.${flow}.`,
      `update add _flow._tcp.${flow}. 60 SRV 20 0 61003 agent.orange.test.`,
      `update add _flow._tcp.${flow}. 60 SRV 10 1 61001 agent.orange.test.`,
      `update add _flow._tcp.${flow}. 60 SRV 10 99 61002 agent2.orange.test.`,
      `update add _queue._flow._tcp.${flow}. 60 SRV 10 10 9092 kafka.orange.test.`,
      `update add _queue._flow._tcp.${flow}. 60 TXT "broker-type=kafka" "queue=multi"`,
    ]);
    // A high draw passes the weight-1 record by: the weight-99 one comes first. Every draw is the
    // same, because the agent's and the queue's SRV sets are ordered in whatever order their
    // answers arrive, and a sequence of draws would depend on that.
    const r = await flowResolver({}, () => 0.9).resolveFlow(flow);
    assert.deepEqual(
      r.agent.candidates.map((c) => c.port),
      [61002, 61001, 61003],
    );
    assert.equal(r.agent.host, 'agent2.orange.test');
    assert.deepEqual(r.agent.addresses, ['127.0.0.2']);
    assert.equal(r.agent.tls, false, 'no agent TXT');
  });

  it('names the record at fault: a PTR without SRV, an SRV target without address, a TXT that does not parse', async () => {
    await nsupdate(server(), server().writerKey, server().zone, [
      'update add lonely.flows.orange.test. 60 PTR _flow._tcp.lonely.flows.orange.test.',
      ...flowCommands('nohost.flows.orange.test', 61000).map((c) =>
        c.replace('agent.orange.test.', 'nohost.orange.test.'),
      ),
      ...flowCommands('badtxt.flows.orange.test', 61000, '"broker-type=kafka" "queue-url=not-a-url"'),
    ]);
    const flows = flowResolver();
    const fault = (problem: string, at: string, pattern: RegExp) => (error: unknown) => {
      assert.ok(error instanceof FlowResolveError, String(error));
      assert.equal(error.problem, problem);
      assert.equal(error.at, at);
      assert.match(error.message, pattern);
      return true;
    };
    await assert.rejects(
      flows.resolveFlow('lonely.flows.orange.test'),
      fault(
        'no-srv',
        '_flow._tcp.lonely.flows.orange.test',
        /has a PTR to _flow\._tcp\.lonely\.flows\.orange\.test, but .* has no SRV record \(.*NXDOMAIN/,
      ),
    );
    await assert.rejects(
      flows.resolveFlow('nohost.flows.orange.test'),
      fault(
        'no-address',
        '_flow._tcp.nohost.flows.orange.test',
        /points at nohost\.orange\.test, which has no A or AAAA record/,
      ),
    );
    await assert.rejects(
      flows.resolveFlow('badtxt.flows.orange.test'),
      fault(
        'bad-txt',
        '_queue._flow._tcp.badtxt.flows.orange.test',
        /"queue-url=not-a-url" .* does not parse: not an http\(s\) URL/,
      ),
    );
  });

  it('serves cached answers for their TTL while BIND changes, then asks again (injected clock)', async () => {
    const flow = 'ticks.flows.orange.test';
    await nsupdate(server(), server().writerKey, server().zone, flowCommands(flow, 61000));
    let now = 1_700_000_000_000;
    const flows = flowResolver({ now: () => now });
    assert.equal((await flows.resolveFlow(flow)).agent.port, 61000);
    await nsupdate(server(), server().writerKey, server().zone, [
      `update delete _flow._tcp.${flow}. SRV`,
      `update add _flow._tcp.${flow}. 60 SRV 10 10 61999 agent.orange.test.`,
    ]);
    now += 59_000;
    const cached = await flows.resolveFlow(flow);
    assert.equal(cached.agent.port, 61000, 'still the cached SRV');
    assert.equal(cached.ttl, 1);
    now += 1000;
    assert.equal((await flows.resolveFlow(flow)).agent.port, 61999);
  });

  it("caches BIND's NXDOMAIN for the SOA minimum, then sees the flow once registered", async () => {
    const flow = 'late.flows.orange.test';
    let now = 1_700_000_000_000;
    const dns = dnsResolver({ now: () => now });
    await assert.rejects(dns.query(flow, RRType.PTR), (error: unknown) => {
      assert.ok(error instanceof DnsResolveError);
      assert.equal(error.reason, 'nxdomain');
      assert.equal(error.ttl, 60);
      return true;
    });
    await nsupdate(server(), server().writerKey, server().zone, flowCommands(flow, 61000));
    now += 59_999;
    await assert.rejects(
      dns.query(flow, RRType.PTR),
      (e: unknown) => e instanceof DnsResolveError && e.reason === 'nxdomain',
    );
    now += 1;
    const answer = await dns.query(flow, RRType.PTR);
    assert.equal(answer.fromCache, false);
    assert.equal(answer.records.length, 1);
  });

  it("reports NODATA with BIND's negative TTL", async () => {
    await assert.rejects(dnsResolver().query('agent2.orange.test', RRType.AAAA), (error: unknown) => {
      assert.ok(error instanceof DnsResolveError);
      assert.equal(error.reason, 'nodata');
      assert.equal(error.kind, 'not-found');
      assert.equal(error.ttl, 60);
      assert.match(
        error.message,
        /^agent2\.orange\.test has no AAAA record \(NODATA, answer of 127\.0\.0\.1:\d+\)$/,
      );
      return true;
    });
  });
});
