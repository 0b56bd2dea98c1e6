/**
 * DnsResolver against a scripted DNS server on a UDP socket (and TCP on the same port): what it
 * sends, how it caches (positive by the smallest TTL, negative by the SOA per RFC 2308, with an
 * injected clock), how each outcome maps to a DnsResolveError, retries and failover, truncation,
 * and the DNSSEC AD requirement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { DnsResolveReason } from '../../../src/dns/resolver/errors.ts';
import { DnsResolveError } from '../../../src/dns/resolver/errors.ts';
import type { DnsResolverOptions } from '../../../src/dns/resolver/stub-resolver.ts';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRClass, RRType, Rcode } from '../../../src/dns/wire/constants.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import type { Behaviour, FakeDnsServer, FakeRequest } from './helpers.ts';
import { manualClock, reply, rr, serveZone, startFakeDns, startSilentUdp } from './helpers.ts';

const SERVICE = '_flow._tcp.orders.flows.orange.test';

const ZONE: WireRecord[] = [
  rr.srv(SERVICE, 10, 10, 61000, 'agent.orange.test', 120),
  rr.srv(SERVICE, 20, 10, 61001, 'backup.orange.test', 90),
  rr.txt(SERVICE, ['tls'], 300),
  rr.a('agent.orange.test', '192.0.2.10', 60),
];

let server: FakeDnsServer | undefined;
let behaviour: (request: FakeRequest, index: number) => Behaviour = serveZone(ZONE);

before(async () => {
  server = await startFakeDns((request, index) => behaviour(request, index));
});
after(async () => {
  await server?.stop();
});

/** A resolver on the fake server; each test gets a fresh one and a fresh request log. */
function resolver(options: Partial<DnsResolverOptions> = {}): DnsResolver {
  const s = server as FakeDnsServer;
  s.received.length = 0;
  return new DnsResolver({
    nameservers: [{ host: s.host, port: s.port }],
    timeoutMs: 1000,
    retries: 1,
    ...options,
  });
}

const asked = (): number => (server as FakeDnsServer).received.length;

function failsWith(reason: DnsResolveReason, kind: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof DnsResolveError, `expected DnsResolveError, got ${String(error)}`);
    assert.ok(error instanceof EsonError);
    assert.equal(error.reason, reason, error.message);
    assert.equal(error.kind, kind);
    assert.match(error.message, pattern);
    return true;
  };
}

/** The wire form of a name, uncompressed (for CNAME RDATA, which the codec keeps as octets). */
function wireName(name: string): Uint8Array {
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label));
  out.push(0);
  return Uint8Array.from(out);
}

describe('DnsResolver: queries and answers', () => {
  it('asks with RD, AD and EDNS(0) at 1232 octets, without DO, and returns the RRset with its smallest TTL', async () => {
    behaviour = serveZone(ZONE);
    const answer = await resolver().query(SERVICE, RRType.SRV);
    assert.deepEqual(
      answer.records.map((r) => (r.data?.kind === 'SRV' ? r.data.target : '')),
      ['agent.orange.test', 'backup.orange.test'],
    );
    assert.equal(answer.ttl, 90);
    assert.equal(answer.name, SERVICE);
    assert.equal(answer.authenticated, false);
    assert.equal(answer.fromCache, false);
    const [request] = (server as FakeDnsServer).received;
    assert.equal(request?.transport, 'udp');
    assert.equal(request?.message.flags.rd, true);
    assert.equal(request?.message.flags.ad, true);
    assert.equal(request?.edns?.udpPayloadSize, 1232);
    assert.equal(request?.edns?.dnssecOk, false);
  });

  it('accepts the name in any case and with the trailing dot, and an answer whose question changed case', async () => {
    behaviour = (request) => ({
      reply: {
        answers: [rr.a('AGENT.orange.test', '192.0.2.10')],
        question: { name: request.name.toUpperCase(), type: request.type },
      },
    });
    const r = resolver();
    const answer = await r.query('Agent.Orange.TEST.', RRType.A);
    assert.equal(answer.name, 'agent.orange.test');
    assert.equal((await r.query('agent.orange.test', RRType.A)).fromCache, true);
  });

  it('returns the records asked for after the CNAME chain a resolver followed, the TTL covering the chain', async () => {
    behaviour = () => ({
      reply: {
        answers: [
          {
            name: 'www.orange.test',
            type: 5,
            class: RRClass.IN,
            ttl: 30,
            data: { kind: 'UNKNOWN', bytes: wireName('agent.orange.test') },
          },
          rr.a('agent.orange.test', '192.0.2.10', 60),
        ],
      },
    });
    const answer = await resolver().query('www.orange.test', RRType.A);
    assert.deepEqual(
      answer.records.map((r) => r.type),
      [RRType.A],
    );
    assert.equal(answer.ttl, 30);
  });

  it('refuses a name that cannot go on the wire', async () => {
    await assert.rejects(resolver().query(`${'a'.repeat(64)}.orange.test`, RRType.A), (error: unknown) => {
      assert.ok(error instanceof EsonError);
      assert.equal(error.kind, 'invalid-name');
      assert.match(error.message, /label of 64 octets/);
      return true;
    });
    assert.equal(asked(), 0);
  });

  it('refuses bad options', () => {
    assert.throws(
      () => new DnsResolver({ nameservers: [{ host: 'dns.example', port: 53 }] }),
      /invalid DNS resolver options: nameservers.0.host: must be an IP address/,
    );
    assert.throws(() => new DnsResolver({ nameservers: [] }), /nameservers/);
  });
});

describe('DnsResolver: cache', () => {
  it('serves an answer from the cache for its TTL, counting down, then asks again', async () => {
    behaviour = serveZone(ZONE);
    const clock = manualClock();
    const r = resolver({ now: clock.now });
    await r.query(SERVICE, RRType.SRV);
    clock.advance(30_000);
    const cached = await r.query(SERVICE, RRType.SRV);
    assert.equal(cached.fromCache, true);
    assert.equal(cached.ttl, 60);
    assert.equal(asked(), 1);
    clock.advance(59_999);
    assert.equal((await r.query(SERVICE, RRType.SRV)).fromCache, true);
    clock.advance(1);
    const fresh = await r.query(SERVICE, RRType.SRV);
    assert.equal(fresh.fromCache, false);
    assert.equal(fresh.ttl, 90);
    assert.equal(asked(), 2);
  });

  it('caches NXDOMAIN for min(SOA TTL, SOA MINIMUM), for every type at the name (RFC 2308 §5)', async () => {
    behaviour = serveZone(ZONE, { soa: rr.soa('orange.test', 300, 60) });
    const clock = manualClock();
    const r = resolver({ now: clock.now });
    const nx = failsWith(
      'nxdomain',
      'not-found',
      /^nope\.orange\.test does not exist in DNS \(NXDOMAIN, answer of 127\.0\.0\.1:\d+\)$/,
    );
    await assert.rejects(r.query('nope.orange.test', RRType.PTR), nx);
    clock.advance(59_000);
    await assert.rejects(r.query('nope.orange.test', RRType.SRV), (error: unknown) => {
      assert.ok(error instanceof DnsResolveError);
      assert.equal(error.reason, 'nxdomain');
      assert.equal(error.ttl, 1);
      assert.match(error.message, /cached answer of/);
      return true;
    });
    assert.equal(asked(), 1);
    clock.advance(1000);
    await assert.rejects(
      r.query('nope.orange.test', RRType.SRV),
      failsWith('nxdomain', 'not-found', /answer of/),
    );
    assert.equal(asked(), 2);
  });

  it('caches NODATA for that type only, for the SOA TTL when it is below the MINIMUM', async () => {
    behaviour = serveZone(ZONE, { soa: rr.soa('orange.test', 30, 60) });
    const clock = manualClock();
    const r = resolver({ now: clock.now });
    await assert.rejects(
      r.query('agent.orange.test', RRType.AAAA),
      failsWith('nodata', 'not-found', /^agent\.orange\.test has no AAAA record \(NODATA, /),
    );
    assert.equal((await r.query('agent.orange.test', RRType.A)).fromCache, false, 'other types are asked');
    clock.advance(29_000);
    await assert.rejects(
      r.query('agent.orange.test', RRType.AAAA),
      (e: unknown) => e instanceof DnsResolveError && e.ttl === 1,
    );
    assert.equal(asked(), 2);
    clock.advance(1000);
    await assert.rejects(
      r.query('agent.orange.test', RRType.AAAA),
      failsWith('nodata', 'not-found', /answer of/),
    );
    assert.equal(asked(), 3);
  });

  it('does not cache a negative answer without an SOA, nor TTL 0, nor a TTL with the top bit set', async () => {
    behaviour = (request) =>
      request.type === RRType.A
        ? {
            reply: {
              answers: [rr.a(request.name, '192.0.2.1', request.name.startsWith('zero') ? 0 : 0x80000000)],
            },
          }
        : { reply: { rcode: Rcode.NXDOMAIN } };
    const r = resolver();
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        r.query('nope.orange.test', RRType.TXT),
        (e: unknown) => e instanceof DnsResolveError && e.ttl === undefined,
      );
      assert.equal((await r.query('zero.orange.test', RRType.A)).ttl, 0);
      assert.equal((await r.query('big.orange.test', RRType.A)).ttl, 0);
    }
    assert.equal(asked(), 6);
    assert.equal(r.cacheSize, 0);
  });

  it('caps cached TTLs', async () => {
    behaviour = () => ({ reply: { answers: [rr.a('agent.orange.test', '192.0.2.1', 1_000_000)] } });
    assert.equal((await resolver({ maxCacheTtl: 3600 }).query('agent.orange.test', RRType.A)).ttl, 3600);
  });

  it('asks every time with cache: false, and can be cleared', async () => {
    behaviour = serveZone(ZONE);
    const r = resolver({ cache: false });
    await r.query(SERVICE, RRType.TXT);
    assert.equal((await r.query(SERVICE, RRType.TXT)).fromCache, false);
    assert.equal(asked(), 2);
    const cached = resolver();
    await cached.query(SERVICE, RRType.TXT);
    cached.clearCache();
    await cached.query(SERVICE, RRType.TXT);
    assert.equal(asked(), 2);
  });

  it('shares one exchange between concurrent queries for the same name and type', async () => {
    behaviour = serveZone(ZONE);
    const r = resolver({ cache: false });
    const answers = await Promise.all([
      r.query(SERVICE, RRType.SRV),
      r.query(SERVICE, RRType.SRV),
      r.query(SERVICE, RRType.TXT),
    ]);
    assert.equal(answers.length, 3);
    assert.equal(asked(), 2);
  });

  it('evicts the oldest answers beyond its size', async () => {
    behaviour = (request) => ({ reply: { answers: [rr.a(request.name, '192.0.2.1')] } });
    const r = resolver({ cache: 2 });
    for (const name of ['a.orange.test', 'b.orange.test', 'c.orange.test']) await r.query(name, RRType.A);
    assert.equal(r.cacheSize, 2);
    assert.equal((await r.query('a.orange.test', RRType.A)).fromCache, false);
    assert.equal((await r.query('c.orange.test', RRType.A)).fromCache, true);
  });
});

describe('DnsResolver: failures', () => {
  it('reports SERVFAIL as servfail (unavailable), asking each server once', async () => {
    behaviour = () => ({ reply: { rcode: Rcode.SERVFAIL } });
    const r = resolver({ retries: 3 });
    await assert.rejects(
      r.query(SERVICE, RRType.SRV),
      failsWith(
        'servfail',
        'unavailable',
        /^the DNS server failed to resolve SRV _flow\._tcp\.orders\.flows\.orange\.test: 127\.0\.0\.1:\d+: the server failed to answer \(SERVFAIL\)$/,
      ),
    );
    assert.equal(asked(), 1);
    await assert.rejects(r.query(SERVICE, RRType.SRV), (e: unknown) => e instanceof EsonError && e.retriable);
    assert.equal(asked(), 2, 'SERVFAIL is not cached');
  });

  it('reports REFUSED as refused (forbidden)', async () => {
    behaviour = () => ({ reply: { rcode: Rcode.REFUSED } });
    await assert.rejects(
      resolver().query(SERVICE, RRType.SRV),
      failsWith('refused', 'forbidden', /refused to resolve SRV .*\(REFUSED\)/),
    );
  });

  it('reports another RCODE as servfail, naming it', async () => {
    behaviour = () => ({ reply: { rcode: Rcode.NOTIMP } });
    await assert.rejects(
      resolver().query(SERVICE, RRType.SRV),
      failsWith('servfail', 'unavailable', /answered NOTIMP, which is no answer to the question/),
    );
  });

  it('reports a referral as servfail: the server does not recurse', async () => {
    behaviour = () => ({
      reply: {
        authorities: [
          {
            name: 'flows.orange.test',
            type: RRType.NS,
            class: RRClass.IN,
            ttl: 60,
            data: { kind: 'NS', target: 'ns.flows.orange.test' },
          },
        ],
      },
    });
    await assert.rejects(
      resolver().query(SERVICE, RRType.SRV),
      failsWith('servfail', 'unavailable', /a referral to flows\.orange\.test .* use a recursive resolver/),
    );
  });

  it('reports silence as timeout (unavailable) after 1 + retries tries', async () => {
    const silent = await startSilentUdp();
    try {
      const r = new DnsResolver({ nameservers: [silent], timeoutMs: 50, retries: 2 });
      await assert.rejects(
        r.query(SERVICE, RRType.SRV),
        failsWith(
          'timeout',
          'unavailable',
          /^no DNS answer for SRV _flow\._tcp\.orders\.flows\.orange\.test: 127\.0\.0\.1:\d+: no answer within 50 ms \(3 tries\)$/,
        ),
      );
      assert.equal(silent.received(), 3);
    } finally {
      await silent.stop();
    }
  });

  it('tries again after a lost datagram', async () => {
    behaviour = (request, index) => (index === 0 ? { drop: true } : serveZone(ZONE)(request));
    const answer = await resolver({ timeoutMs: 100, retries: 1 }).query(SERVICE, RRType.TXT);
    assert.equal(answer.records.length, 1);
    assert.equal(asked(), 2);
  });

  it('moves to the next server after SERVFAIL or silence, and says what each did', async () => {
    const silent = await startSilentUdp();
    const s = server as FakeDnsServer;
    try {
      behaviour = serveZone(ZONE);
      const ok = new DnsResolver({ nameservers: [silent, s], timeoutMs: 50, retries: 0 });
      assert.equal((await ok.query(SERVICE, RRType.TXT)).records.length, 1);
      behaviour = () => ({ reply: { rcode: Rcode.SERVFAIL } });
      const failing = new DnsResolver({ nameservers: [silent, s], timeoutMs: 50, retries: 1 });
      s.received.length = 0;
      await assert.rejects(failing.query(SERVICE, RRType.SRV), (error: unknown) => {
        // The server that answered says more than the one that did not.
        assert.ok(error instanceof DnsResolveError);
        assert.equal(error.reason, 'servfail');
        assert.equal(error.server, `127.0.0.1:${s.port}`);
        assert.match(
          error.message,
          new RegExp(
            `127\\.0\\.0\\.1:${silent.port}: no answer within 50 ms \\(2 tries\\); 127\\.0\\.0\\.1:${s.port}: the server failed`,
          ),
        );
        return true;
      });
      assert.equal(s.received.length, 1, 'the failing server is asked once');
      assert.equal(silent.received(), 3);
    } finally {
      await silent.stop();
    }
  });

  it('ignores answers with another ID or to another question, and waits for the right one', async () => {
    behaviour = (request) => ({
      raw: [
        reply(request, {
          id: (request.message.id + 1) % 0x10000,
          answers: [rr.a('agent.orange.test', '203.0.113.66')],
        }),
        reply(request, {
          question: { name: 'other.orange.test', type: RRType.A },
          answers: [rr.a('other.orange.test', '203.0.113.66')],
        }),
        new Uint8Array([1, 2, 3]),
        reply(request, { answers: [rr.a('agent.orange.test', '192.0.2.10')] }),
      ],
    });
    const answer = await resolver().query('agent.orange.test', RRType.A);
    assert.deepEqual(
      answer.records.map((r) => (r.data?.kind === 'A' ? r.data.address : '')),
      ['192.0.2.10'],
    );
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    const many = Array.from({ length: 40 }, (_, i) => rr.txt(SERVICE, [`k${i}=${'x'.repeat(40)}`]));
    behaviour = (request) =>
      request.transport === 'udp' ? { reply: { tc: true } } : { reply: { answers: many } };
    const answer = await resolver().query(SERVICE, RRType.TXT);
    assert.equal(answer.records.length, 40);
    assert.equal((server as FakeDnsServer).count('udp'), 1);
    assert.equal((server as FakeDnsServer).count('tcp'), 1);
  });

  it('asks once more without EDNS when the server answers FORMERR to it', async () => {
    behaviour = (request) =>
      request.edns
        ? { reply: { rcode: Rcode.FORMERR, edns: false } }
        : { reply: { answers: [rr.a('agent.orange.test', '192.0.2.10')] } };
    const answer = await resolver().query('agent.orange.test', RRType.A);
    assert.equal(answer.records.length, 1);
    assert.deepEqual(
      (server as FakeDnsServer).received.map((r) => r.edns !== undefined),
      [true, false],
    );
  });
});

describe('DnsResolver: requireDnssec', () => {
  it('sets DO and accepts answers with the AD bit, reporting them authenticated', async () => {
    behaviour = serveZone(ZONE, { ad: true });
    const r = resolver({ requireDnssec: true });
    const answer = await r.query(SERVICE, RRType.SRV);
    assert.equal(answer.authenticated, true);
    assert.equal((server as FakeDnsServer).received[0]?.edns?.dnssecOk, true);
    await assert.rejects(
      r.query('nope.orange.test', RRType.A),
      (e: unknown) => e instanceof DnsResolveError && e.reason === 'nxdomain' && e.authenticated,
    );
  });

  it('refuses answers without the AD bit, positive or negative, as insecure, and caches none', async () => {
    behaviour = serveZone(ZONE, { ad: false });
    const r = resolver({ requireDnssec: true });
    const insecure = failsWith(
      'insecure',
      'rejected',
      /is not DNSSEC-validated and requireDnssec is set \(.*no AD bit\); ESON trusts the AD bit of the validating resolver/,
    );
    await assert.rejects(r.query(SERVICE, RRType.SRV), insecure);
    await assert.rejects(r.query('nope.orange.test', RRType.A), insecure);
    await assert.rejects(r.query(SERVICE, RRType.SRV), insecure);
    assert.equal(asked(), 3);
    assert.equal(r.cacheSize, 0);
  });

  it('says so when the server ignored DO', async () => {
    behaviour = (request) => ({ reply: { answers: [rr.a(request.name, '192.0.2.1')], edns: false } });
    await assert.rejects(
      resolver({ requireDnssec: true }).query('agent.orange.test', RRType.A),
      /no AD bit, and the server ignored the DO bit/,
    );
  });

  it('without requireDnssec, reports the AD bit it got', async () => {
    behaviour = serveZone(ZONE, { ad: true });
    assert.equal((await resolver().query(SERVICE, RRType.SRV)).authenticated, true);
  });
});
