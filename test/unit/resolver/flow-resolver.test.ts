/**
 * FlowResolver over records in memory (and once over DnsResolver and a scripted UDP server): the
 * fns-records.md walk, SRV order, the namespace fallback, and an error that names the record at
 * fault for each way the records can be incomplete.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { FlowResolveProblem } from '../../../src/dns/resolver/errors.ts';
import { DnsResolveError, FlowResolveError } from '../../../src/dns/resolver/errors.ts';
import { FlowResolver } from '../../../src/dns/resolver/flow-resolver.ts';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import { flowZone, manualClock, rr, serveZone, startFakeDns, zoneQuerier } from './helpers.ts';

const FLOW = 'orders.flows.orange.test';
const SERVICE = `_flow._tcp.${FLOW}`;
const QUEUE = `_queue._flow._tcp.${FLOW}`;

const resolverOver = (records: readonly WireRecord[], options: Parameters<typeof zoneQuerier>[1] = {}) => {
  const dns = zoneQuerier(records, options);
  return { dns, flows: new FlowResolver({ resolver: dns, random: () => 0 }) };
};

function problem(expected: FlowResolveProblem, at: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof FlowResolveError, `expected FlowResolveError, got ${String(error)}`);
    assert.ok(error instanceof EsonError);
    assert.equal(error.problem, expected, error.message);
    assert.equal(error.at, at);
    assert.match(error.message, pattern);
    return true;
  };
}

const servfail = (qname: string, qtype: string) =>
  new DnsResolveError('servfail', `SERVFAIL for ${qtype} ${qname}`, { qname, qtype });

describe('FlowResolver: a registered flow', () => {
  it('follows PTR, SRV and TXT, the agent address, and the queue SRV and TXT', async () => {
    const { dns, flows } = resolverOver(flowZone(FLOW));
    const r = await flows.resolveFlow(`flow://${FLOW}`);
    assert.deepEqual(r, {
      kind: 'flow',
      flow: FLOW,
      agent: {
        host: 'agent.orange.test',
        port: 61000,
        tls: true,
        addresses: ['192.0.2.10', '2001:db8::10'],
        candidates: [{ host: 'agent.orange.test', port: 61000, priority: 10, weight: 10 }],
        service: SERVICE,
      },
      broker: {
        type: 'kafka',
        host: 'kafka.orange.test',
        port: 9092,
        queue: 'orders',
        tls: false,
        candidates: [{ host: 'kafka.orange.test', port: 9092, priority: 10, weight: 10 }],
      },
      ttl: 60,
      authenticated: false,
    });
    assert.deepEqual(dns.asked.toSorted(), [
      `A agent.orange.test`,
      `AAAA agent.orange.test`,
      `PTR ${FLOW}`,
      `SRV ${SERVICE}`,
      `SRV ${QUEUE}`,
      `TXT ${SERVICE}`,
      `TXT ${QUEUE}`,
    ]);
  });

  it('accepts the FQDN, any case, a trailing dot', async () => {
    const { flows } = resolverOver(flowZone(FLOW));
    assert.equal((await flows.resolveFlow('Orders.Flows.Orange.Test.')).flow, FLOW);
  });

  it("reads the seed's single-string broker TXT, and defaults the queue to the flow's FQDN", async () => {
    const { flows } = resolverOver(flowZone(FLOW, { brokerTxt: ['broker-type=kafka tls'] }));
    const r = await flows.resolveFlow(FLOW);
    assert.equal(r.kind, 'flow');
    assert.deepEqual(r.broker && { type: r.broker.type, queue: r.broker.queue, tls: r.broker.tls }, {
      type: 'kafka',
      queue: FLOW,
      tls: true,
    });
  });

  it('reads an SQS broker', async () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders';
    const zone = flowZone(FLOW, {
      brokerTxt: ['broker-type=sqs', 'queue=orders', `queue-url=${url}`, 'tls'],
    });
    const { flows } = resolverOver(zone);
    const r = await flows.resolveFlow(FLOW);
    assert.equal(r.broker?.queueUrl, url);
    assert.equal(r.broker?.type, 'sqs');
  });

  it('reads an agent without TXT as without TLS, and counts the negative answer in the TTL', async () => {
    const { flows } = resolverOver(flowZone(FLOW, { agentTls: false }), { negativeTtl: 15 });
    const r = await flows.resolveFlow(FLOW);
    assert.equal(r.agent.tls, false);
    assert.equal(r.ttl, 15);
  });

  it('reports the smallest TTL, and authenticated only when every answer was', async () => {
    const zone = flowZone(FLOW).map((record) =>
      record.type === 33 && record.name === QUEUE ? { ...record, ttl: 7 } : record,
    );
    const { flows } = resolverOver(zone, { authenticated: true });
    const r = await flows.resolveFlow(FLOW);
    assert.equal(r.ttl, 7);
    assert.equal(r.authenticated, true);
  });

  it('orders SRV targets by RFC 2782 and uses the first that has an address', async () => {
    const zone = [
      ...flowZone(FLOW).filter((record) => !(record.name === SERVICE && record.type === 33)),
      rr.srv(SERVICE, 20, 0, 61002, 'late.orange.test'),
      rr.srv(SERVICE, 10, 1, 61001, 'light.orange.test'),
      rr.srv(SERVICE, 10, 9, 61000, 'heavy.orange.test'),
      rr.a('heavy.orange.test', '192.0.2.1'),
      rr.a('light.orange.test', '192.0.2.2'),
      rr.a('late.orange.test', '192.0.2.3'),
    ];
    const draws = [0.95, 0, 0, 0, 0];
    let i = 0;
    const flows = new FlowResolver({ resolver: zoneQuerier(zone), random: () => draws[i++] ?? 0 });
    const r = await flows.resolveFlow(FLOW);
    // draw floor(0.95 * 11) = 10 > 1: heavy first; light next; late (priority 20) last.
    assert.deepEqual(
      r.agent.candidates.map((c) => c.host),
      ['heavy.orange.test', 'light.orange.test', 'late.orange.test'],
    );
    assert.equal(r.agent.host, 'heavy.orange.test');
    assert.deepEqual(r.agent.addresses, ['192.0.2.1']);

    // With no address at the first target, the next is used.
    const noHeavy = zone.filter((record) => record.name !== 'heavy.orange.test');
    i = 0;
    const fallback = await new FlowResolver({
      resolver: zoneQuerier(noHeavy),
      random: () => draws[i++] ?? 0,
    }).resolveFlow(FLOW);
    assert.equal(fallback.agent.host, 'light.orange.test');
    assert.equal(fallback.agent.port, 61001);
  });

  it('follows a PTR that points at another service name', async () => {
    const other = '_flow._tcp.elsewhere.orange.test';
    const zone = [
      rr.ptr(FLOW, other),
      rr.srv(other, 10, 10, 62000, 'agent.orange.test'),
      ...flowZone(FLOW).filter((record) => record.name !== FLOW && record.name !== SERVICE),
    ];
    const { dns, flows } = resolverOver(zone);
    const r = await flows.resolveFlow(FLOW);
    assert.equal(r.agent.port, 62000);
    assert.equal(r.agent.service, other);
    assert.ok(dns.asked.includes(`SRV ${other}`));
  });
});

describe('FlowResolver: a flow unknown to DNS', () => {
  const namespaceAgent = (ns: string, port: number, tls: boolean): WireRecord[] => [
    rr.srv(`_flow._tcp.${ns}`, 10, 10, port, `agent.${ns}`),
    ...(tls ? [rr.txt(`_flow._tcp.${ns}`, ['tls'])] : []),
    rr.a(`agent.${ns}`, '192.0.2.50'),
  ];

  it("falls back to the closest namespace's agent and says the flow is unknown", async () => {
    const zone = [
      ...namespaceAgent('flows.orange.test', 61000, true),
      ...namespaceAgent('orange.test', 61009, false),
    ];
    const { flows } = resolverOver(zone, { negativeTtl: 30 });
    const r = await flows.resolveFlow('flow://missing.team.flows.orange.test');
    assert.equal(r.kind, 'namespace');
    assert.equal(r.kind === 'namespace' && r.namespace, 'flows.orange.test');
    assert.equal(r.broker, undefined);
    assert.match(
      r.kind === 'namespace' ? r.unknownFlow : '',
      /^flow missing\.team\.flows\.orange\.test is not in DNS: the name does not exist \(NXDOMAIN from memory\)$/,
    );
    assert.deepEqual(
      { host: r.agent.host, port: r.agent.port, tls: r.agent.tls, addresses: r.agent.addresses },
      { host: 'agent.flows.orange.test', port: 61000, tls: true, addresses: ['192.0.2.50'] },
    );
    assert.equal(r.ttl, 30);
  });

  it('fails with unknown-flow, naming every name tried, when no namespace has an agent', async () => {
    const { flows } = resolverOver([rr.a('agent.orange.test', '192.0.2.1')]);
    await assert.rejects(
      flows.resolveFlow('a.b.orange.test'),
      problem(
        'unknown-flow',
        'a.b.orange.test',
        /not in DNS: the name does not exist .*no namespace above it has an agent \(no SRV record at _flow\._tcp\.b\.orange\.test, _flow\._tcp\.orange\.test\)/,
      ),
    );
  });

  it('does not pass over a namespace that failed to answer', async () => {
    const zone = namespaceAgent('orange.test', 61009, false);
    const { flows } = resolverOver(zone, {
      failures: { 'SRV _flow._tcp.flows.orange.test': servfail('_flow._tcp.flows.orange.test', 'SRV') },
    });
    await assert.rejects(
      flows.resolveFlow(FLOW),
      (e: unknown) => e instanceof DnsResolveError && e.reason === 'servfail',
    );
  });

  it('resolves a namespace to its agent', async () => {
    const { flows } = resolverOver(namespaceAgent('flows.orange.test', 61000, true));
    const r = await flows.resolveNamespace('Flows.Orange.Test');
    assert.equal(r.namespace, 'flows.orange.test');
    assert.equal(r.agent.host, 'agent.flows.orange.test');
    assert.equal(r.agent.tls, true);
    await assert.rejects(
      flows.resolveNamespace('other.orange.test'),
      problem(
        'no-agent',
        '_flow._tcp.other.orange.test',
        /namespace other\.orange\.test has no agent in DNS: no SRV record at _flow\._tcp\.other\.orange\.test/,
      ),
    );
  });
});

describe('FlowResolver: incomplete records', () => {
  it('a PTR without SRV', async () => {
    const { flows } = resolverOver([rr.ptr(FLOW, SERVICE)]);
    await assert.rejects(
      flows.resolveFlow(FLOW),
      problem(
        'no-srv',
        SERVICE,
        /^flow orders\.flows\.orange\.test has a PTR to _flow\._tcp\.orders\.flows\.orange\.test, but _flow\._tcp\.orders\.flows\.orange\.test has no SRV record/,
      ),
    );
  });

  it('an SRV whose target has no address', async () => {
    const zone = flowZone(FLOW).filter((record) => record.name !== 'agent.orange.test');
    const { flows } = resolverOver(zone);
    await assert.rejects(
      flows.resolveFlow(FLOW),
      problem(
        'no-address',
        SERVICE,
        /the SRV record at _flow\._tcp\.orders\.flows\.orange\.test points at agent\.orange\.test, which has no A or AAAA record/,
      ),
    );
  });

  it('an SRV with the "." target', async () => {
    const zone = [
      ...flowZone(FLOW).filter((record) => !(record.name === SERVICE && record.type === 33)),
      rr.srv(SERVICE, 0, 0, 0, ''),
    ];
    await assert.rejects(
      resolverOver(zone).flows.resolveFlow(FLOW),
      problem('service-unavailable', SERVICE, /target "\."/),
    );
  });

  it('a TXT string that does not parse', async () => {
    const { flows } = resolverOver(flowZone(FLOW, { brokerTxt: ['broker-type=kafka', 'tls=sometimes'] }));
    await assert.rejects(
      flows.resolveFlow(FLOW),
      problem(
        'bad-txt',
        QUEUE,
        /"tls=sometimes" at _queue\._flow\._tcp\.orders\.flows\.orange\.test does not parse/,
      ),
    );
  });

  it('a flow without broker records, or without the broker TXT', async () => {
    const noQueue = flowZone(FLOW).filter((record) => record.name !== QUEUE);
    await assert.rejects(
      resolverOver(noQueue).flows.resolveFlow(FLOW),
      problem(
        'no-broker',
        QUEUE,
        /flow orders\.flows\.orange\.test has no broker in DNS: no SRV record at _queue/,
      ),
    );
    const noTxt = flowZone(FLOW).filter((record) => !(record.name === QUEUE && record.type === 16));
    await assert.rejects(
      resolverOver(noTxt).flows.resolveFlow(FLOW),
      problem('bad-txt', QUEUE, /has a broker SRV but no TXT record at _queue.*"broker-type=<type>"/),
    );
  });

  it('a PTR RRset that does not say which service to follow', async () => {
    const zone = [rr.ptr(FLOW, '_flow._tcp.a.orange.test'), rr.ptr(FLOW, '_flow._tcp.b.orange.test')];
    await assert.rejects(
      resolverOver(zone).flows.resolveFlow(FLOW),
      problem('bad-ptr', FLOW, /2 PTR records .* ambiguous/),
    );
  });

  it('passes DNS failures through as DnsResolveErrors', async () => {
    const { flows } = resolverOver(flowZone(FLOW), { failures: { [`PTR ${FLOW}`]: servfail(FLOW, 'PTR') } });
    await assert.rejects(
      flows.resolveFlow(FLOW),
      (e: unknown) => e instanceof DnsResolveError && e.reason === 'servfail',
    );
  });

  it('uses the address family that answered when the other failed, and fails when neither did', async () => {
    const a = servfail('agent.orange.test', 'A');
    const oneFailed = resolverOver(flowZone(FLOW), { failures: { 'A agent.orange.test': a } });
    assert.deepEqual((await oneFailed.flows.resolveFlow(FLOW)).agent.addresses, ['2001:db8::10']);
    const onlyA = flowZone(FLOW).filter((record) => record.type !== 28);
    const bothGone = resolverOver(onlyA, { failures: { 'A agent.orange.test': a } });
    await assert.rejects(bothGone.flows.resolveFlow(FLOW), (e: unknown) => e === a);
  });

  it('refuses a name that is not a flow name', async () => {
    await assert.rejects(
      resolverOver([]).flows.resolveFlow('flow://orders/x'),
      (e: unknown) => e instanceof EsonError && e.kind === 'invalid-name',
    );
  });
});

describe('FlowResolver over DnsResolver and a UDP server', () => {
  it('resolves a flow, then resolves it again from the cache until the smallest TTL passes', async () => {
    const zone = flowZone(FLOW).map((record) =>
      record.name === 'agent.orange.test' ? { ...record, ttl: 20 } : record,
    );
    const server = await startFakeDns(serveZone(zone));
    try {
      const clock = manualClock();
      const dns = new DnsResolver({ nameservers: [server], now: clock.now, timeoutMs: 1000 });
      const flows = new FlowResolver({ resolver: dns });
      const first = await flows.resolveFlow(FLOW);
      assert.equal(first.ttl, 20);
      assert.equal(server.count(), 7);
      clock.advance(5000);
      const second = await flows.resolveFlow(FLOW);
      assert.equal(second.ttl, 15);
      assert.deepEqual(second.agent.addresses, first.agent.addresses);
      assert.equal(server.count(), 7, 'everything came from the cache');
      clock.advance(15_000);
      await flows.resolveFlow(FLOW);
      assert.equal(server.count(), 9, 'only the expired A and AAAA were asked again');
    } finally {
      await server.stop();
    }
  });
});
