/** The server's options: validated once, unknown keys refused, defaults filled in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { EmbeddedDnsServerOptions } from '../../../src/dns/server/options.ts';
import { parseServerOptions } from '../../../src/dns/server/options.ts';
import { DEFAULT_DNS_SERVER_LIMITS, MAX_RECORDS_PER_ZONE } from '../../../src/dns/server/limits.ts';
import { EmbeddedDnsServer } from '../../../src/dns/server/server.ts';
import { blueZone, orangeZone } from './helpers.ts';

const VALID: EmbeddedDnsServerOptions = { host: '127.0.0.1', port: 0, zones: [orangeZone(), blueZone()] };

const invalid = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof EsonError, String(error));
  assert.equal(error.kind, 'invalid-argument');
  assert.match(error.message, pattern);
  return true;
};

describe('embedded DNS server options', () => {
  it('defaults: SOA and NS of each zone, the limits', () => {
    const config = parseServerOptions(VALID);
    assert.deepEqual(config.limits, DEFAULT_DNS_SERVER_LIMITS);
    assert.equal(config.limits.maxRecordsPerZone, MAX_RECORDS_PER_ZONE);
    assert.equal(config.stateFile, undefined);
    const orange = config.zones[0];
    assert.equal(orange?.origin, 'orange.test');
    assert.deepEqual(orange?.defaults, {
      ttl: 300,
      soa: {
        kind: 'SOA',
        mname: 'ns1.orange.test',
        rname: 'hostmaster.orange.test',
        serial: 1,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 60,
      },
      ns: ['ns1.orange.test'],
    });
    assert.equal(orange?.keys[0]?.name, 'orange-key');
  });

  it('SOA, NS and limits as given; zone names in canonical form', () => {
    const config = parseServerOptions({
      ...VALID,
      zones: [
        {
          ...orangeZone({ name: 'Orange.TEST.' }),
          soa: { serial: 7, minimum: 5, ttl: 30 },
          ns: ['a.ns.example'],
        },
      ],
      limits: { tcpIdleTimeoutMs: 50 },
    });
    const zone = config.zones[0];
    assert.equal(zone?.origin, 'orange.test');
    assert.deepEqual([zone?.defaults.soa.serial, zone?.defaults.soa.minimum, zone?.defaults.ttl], [7, 5, 30]);
    assert.deepEqual(zone?.defaults.ns, ['a.ns.example']);
    assert.equal(config.limits.tcpIdleTimeoutMs, 50);
    assert.equal(config.limits.maxTcpConnections, DEFAULT_DNS_SERVER_LIMITS.maxTcpConnections);
  });

  const rows: [string, unknown, RegExp][] = [
    ['an unknown option', { ...VALID, recursion: true }, /recursion/],
    [
      'an unknown zone option',
      { ...VALID, zones: [{ ...orangeZone(), allowTransfer: true }] },
      /allowTransfer/,
    ],
    ['an unknown limit', { ...VALID, limits: { maxQueries: 1 } }, /maxQueries/],
    [
      'a host name instead of an address',
      { ...VALID, host: 'localhost' },
      /host: must be an IPv4 or IPv6 address/,
    ],
    ['a port over 65535', { ...VALID, port: 70000 }, /port/],
    [
      'another algorithm',
      {
        ...VALID,
        zones: [{ ...orangeZone(), keys: [{ name: 'k', algorithm: 'hmac-md5', secret: 'AAAA' }] }],
      },
      /algorithm/,
    ],
    [
      'a secret that is not base64',
      {
        ...VALID,
        zones: [{ ...orangeZone(), keys: [{ name: 'k', algorithm: 'hmac-sha256', secret: '***' }] }],
      },
      /base64/i,
    ],
    ['the root as a zone', { ...VALID, zones: [{ name: '.', keys: [] }] }, /root/],
    [
      'a zone name with an empty label',
      { ...VALID, zones: [{ name: 'a..test', keys: [] }] },
      /not a domain name/,
    ],
    [
      'a UDP payload size under 512',
      { ...VALID, limits: { maxUdpPayloadOctets: 100 } },
      /maxUdpPayloadOctets/,
    ],
    ['the same zone twice', { ...VALID, zones: [orangeZone(), orangeZone()] }, /already holds the zone/],
  ];
  for (const [title, options, pattern] of rows) {
    it(`refuses ${title}`, () => {
      assert.throws(() => new EmbeddedDnsServer(options as EmbeddedDnsServerOptions), invalid(pattern));
    });
  }

  it('addZone validates the same way', () => {
    const server = new EmbeddedDnsServer(VALID);
    assert.throws(
      () => server.addZone({ name: 'green.test', keys: [], extra: 1 } as never),
      invalid(/extra/),
    );
    server.addZone({ name: 'green.test', keys: [] });
    assert.throws(() => server.addZone({ name: 'green.test', keys: [] }), invalid(/already holds/));
  });
});
