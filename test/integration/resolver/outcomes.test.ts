/**
 * What the resolver reports for each outcome a real DNS setup produces, and DNSSEC:
 *
 * - NXDOMAIN (BIND9 authoritative), SERVFAIL (a BIND9 with a zone it cannot load), REFUSED (a
 *   name outside the authoritative server's zones) and a timeout (a UDP socket that never answers)
 *   are four distinct DnsResolveError reasons, and FlowResolver does not mistake the failures for
 *   a flow that is not there;
 * - with requireDnssec, an authoritative BIND9 (which never sets AD) gives 'insecure', even for
 *   its signed zone; a second BIND9 that validates (validating-bind.ts: a trust anchor for the
 *   signed zone's key, forwarding to the authoritative server) gives AD answers, positive and
 *   negative, which are accepted; its answers for the unsigned zone are refused as insecure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { queryDns } from '../../../src/dns/query-client.ts';
import { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import type { DnsResolveReason } from '../../../src/dns/resolver/errors.ts';
import { DnsResolveError } from '../../../src/dns/resolver/errors.ts';
import { FlowResolver } from '../../../src/dns/resolver/flow-resolver.ts';
import type { DnsResolverOptions } from '../../../src/dns/resolver/stub-resolver.ts';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRType } from '../../../src/dns/wire/constants.ts';
import type { Bind9Server } from '../../support/bind9.ts';
import { startBind9 } from '../../support/bind9.ts';
import { nsupdate, registration } from '../dns/helpers.ts';
import { startSilentUdp } from '../../unit/resolver/helpers.ts';
import type { ValidatingResolver } from './validating-bind.ts';
import { BROKEN_ZONE, startValidatingResolver } from './validating-bind.ts';

const SIGNED = 'signed.test';

let authoritative: Bind9Server | undefined;
let validator: ValidatingResolver | undefined;

before(async () => {
  authoritative = await startBind9({ signedZone: SIGNED });
  await nsupdate(authoritative, authoritative.writerKey, SIGNED, [
    `update add agent.${SIGNED}. 300 A 127.0.0.1`,
  ]);
  await nsupdate(authoritative, authoritative.writerKey, authoritative.zone, [
    'update add agent.orange.test. 300 A 127.0.0.1',
  ]);
  const w = new Rfc2136Writer({
    server: { host: authoritative.host, port: authoritative.port },
    zone: SIGNED,
    key: authoritative.writerKey,
    timeoutMs: 2000,
    retries: 1,
  });
  try {
    await w.registerFlow(
      registration(`orders.flows.${SIGNED}`, {
        agent: { host: `agent.${SIGNED}`, port: 61000, tls: true },
        broker: { type: 'kafka', host: `kafka.${SIGNED}`, port: 9093, queue: 'orders', tls: true },
      }),
    );
    await w.registerNamespace({
      namespace: `flows.${SIGNED}`,
      agent: { host: `agent.${SIGNED}`, port: 61000, tls: true },
      ttl: 60,
    });
  } finally {
    await w.close();
  }
  await waitUntilSigned(authoritative, [
    [`orders.flows.${SIGNED}`, RRType.PTR],
    [`_queue._flow._tcp.orders.flows.${SIGNED}`, RRType.TXT],
    [`_flow._tcp.flows.${SIGNED}`, RRType.SRV],
    [`agent.${SIGNED}`, RRType.A],
  ]);
  validator = await startValidatingResolver(authoritative);
});

after(async () => {
  await validator?.stop();
  await authoritative?.stop();
});

/** Inline signing takes a moment after an UPDATE: wait until each RRset has its RRSIG. */
async function waitUntilSigned(
  server: Bind9Server,
  rrsets: readonly (readonly [string, number])[],
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (const [name, type] of rrsets) {
    for (;;) {
      const m = await queryDns(server, name, type, { dnssecOk: true, timeoutMs: 1000 });
      if (m.answers.some((rr) => rr.type === RRType.RRSIG)) break;
      if (Date.now() > deadline)
        throw new Error(`BIND did not sign ${name} in time:\n${server.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const auth = (): Bind9Server => authoritative as Bind9Server;
const val = (): ValidatingResolver => validator as ValidatingResolver;

function resolverAt(
  server: { host: string; port: number },
  options: Partial<DnsResolverOptions> = {},
): DnsResolver {
  return new DnsResolver({
    nameservers: [{ host: server.host, port: server.port }],
    timeoutMs: 2000,
    retries: 1,
    ...options,
  });
}

function reasonOf(expected: DnsResolveReason, kind: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof DnsResolveError, `expected DnsResolveError, got ${String(error)}`);
    assert.equal(error.reason, expected, error.message);
    assert.equal(error.kind, kind);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('outcomes against BIND9', () => {
  it('NXDOMAIN, SERVFAIL, REFUSED and timeout are distinct reasons with clear messages', async () => {
    await assert.rejects(
      resolverAt(auth()).query('nope.orange.test', RRType.PTR),
      reasonOf(
        'nxdomain',
        'not-found',
        /^nope\.orange\.test does not exist in DNS \(NXDOMAIN, answer of 127\.0\.0\.1:\d+\)$/,
      ),
    );
    await assert.rejects(
      resolverAt(val()).query(`flow.${BROKEN_ZONE}`, RRType.PTR),
      reasonOf(
        'servfail',
        'unavailable',
        /^the DNS server failed to resolve PTR flow\.broken\.test: 127\.0\.0\.1:\d+: the server failed to answer \(SERVFAIL\)$/,
      ),
    );
    await assert.rejects(
      resolverAt(auth()).query('flow.example.com', RRType.PTR),
      reasonOf(
        'refused',
        'forbidden',
        /^the DNS server refused to resolve PTR flow\.example\.com: 127\.0\.0\.1:\d+: the server refused the query \(REFUSED\)$/,
      ),
    );
    const silent = await startSilentUdp();
    try {
      await assert.rejects(
        resolverAt(silent, { timeoutMs: 200, retries: 1 }).query('orders.flows.orange.test', RRType.PTR),
        reasonOf(
          'timeout',
          'unavailable',
          /^no DNS answer for PTR orders\.flows\.orange\.test: 127\.0\.0\.1:\d+: no answer within 200 ms \(2 tries\)$/,
        ),
      );
      assert.equal(silent.received(), 2);
    } finally {
      await silent.stop();
    }
  });

  it('FlowResolver reports SERVFAIL and timeout as such, not as a flow that is not there', async () => {
    const broken = new FlowResolver({ resolver: resolverAt(val()) });
    await assert.rejects(
      broken.resolveFlow(`flow://orders.${BROKEN_ZONE}`),
      reasonOf('servfail', 'unavailable', /SERVFAIL/),
    );
    const silent = await startSilentUdp();
    try {
      const deaf = new FlowResolver({ resolver: resolverAt(silent, { timeoutMs: 100, retries: 0 }) });
      await assert.rejects(
        deaf.resolveFlow('flow://orders.flows.orange.test'),
        reasonOf('timeout', 'unavailable', /no answer within 100 ms/),
      );
    } finally {
      await silent.stop();
    }
  });
});

describe('requireDnssec against BIND9', () => {
  it('refuses the answers of an authoritative server, which never sets AD, as insecure', async () => {
    const strict = resolverAt(auth(), { requireDnssec: true });
    // The signed zone too: an authoritative server sends RRSIGs but does not validate.
    for (const [name, type] of [
      [`orders.flows.${SIGNED}`, RRType.PTR],
      ['agent.orange.test', RRType.A],
      [`nope.${SIGNED}`, RRType.A],
    ] as const) {
      await assert.rejects(
        strict.query(name, type),
        reasonOf(
          'insecure',
          'rejected',
          /is not DNSSEC-validated and requireDnssec is set .*no AD bit\); ESON trusts the AD bit of the validating resolver it is configured with \(RFC 4035 §4\.9\.3\)/,
        ),
      );
    }
    await assert.rejects(
      new FlowResolver({ resolver: strict }).resolveFlow(`flow://orders.flows.${SIGNED}`),
      reasonOf('insecure', 'rejected', /AD/),
    );
  });

  it('accepts the AD answers of a validating BIND9 for the signed zone', async () => {
    const flows = new FlowResolver({ resolver: resolverAt(val(), { requireDnssec: true }) });
    const r = await flows.resolveFlow(`flow://orders.flows.${SIGNED}`);
    assert.equal(r.kind, 'flow');
    assert.equal(r.authenticated, true);
    assert.deepEqual(
      { host: r.agent.host, port: r.agent.port, tls: r.agent.tls, addresses: r.agent.addresses },
      { host: `agent.${SIGNED}`, port: 61000, tls: true, addresses: ['127.0.0.1'] },
    );
    assert.deepEqual(
      r.broker && {
        type: r.broker.type,
        host: r.broker.host,
        port: r.broker.port,
        queue: r.broker.queue,
        tls: r.broker.tls,
      },
      { type: 'kafka', host: `kafka.${SIGNED}`, port: 9093, queue: 'orders', tls: true },
    );
  });

  it('accepts validated denials: a flow unknown to the signed zone falls back to its namespace', async () => {
    const dns = resolverAt(val(), { requireDnssec: true });
    await assert.rejects(dns.query(`ghost.flows.${SIGNED}`, RRType.PTR), (error: unknown) => {
      assert.ok(error instanceof DnsResolveError);
      assert.equal(error.reason, 'nxdomain');
      assert.equal(error.authenticated, true);
      return true;
    });
    const r = await new FlowResolver({ resolver: dns }).resolveFlow(`flow://ghost.flows.${SIGNED}`);
    assert.equal(r.kind, 'namespace');
    assert.equal(r.kind === 'namespace' && r.namespace, `flows.${SIGNED}`);
    assert.equal(r.authenticated, true);
  });

  it("refuses the validating resolver's answers for a zone without a chain of trust", async () => {
    await assert.rejects(
      resolverAt(val(), { requireDnssec: true }).query('agent.orange.test', RRType.A),
      reasonOf('insecure', 'rejected', /no AD bit/),
    );
    // Without requireDnssec the same answer is accepted, and reported unauthenticated.
    const loose = await resolverAt(val()).query('agent.orange.test', RRType.A);
    assert.equal(loose.authenticated, false);
    assert.equal((await resolverAt(val()).query(`agent.${SIGNED}`, RRType.A)).authenticated, true);
  });
});
