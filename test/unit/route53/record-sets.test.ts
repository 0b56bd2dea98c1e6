import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EsonError } from '../../../src/core/errors.ts';
import { flowRecords, namespaceRecords } from '../../../src/core/fns-records.ts';
import {
  absoluteName,
  normalizeName,
  parseTxtValue,
  quoteTxtString,
  recordValue,
  sameRecordSet,
  toResourceRecordSets,
  txtValue,
} from '../../../src/adapters/dns/route53/record-sets.ts';
import { flowRecordSets, namespaceRecordSets } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';

const FLOW: FlowRegistration = {
  flow: 'notifications.calendar.people.example.com',
  agent: { host: 'fnaa.people.example.com', port: 61000, tls: true },
  broker: {
    type: 'kafka',
    host: 'kafka.people.example.com',
    port: 9093,
    queue: 'notifications.calendar',
    tls: true,
  },
  ttl: 60,
};

describe('Route 53 record sets of the fns-records.md layout', () => {
  it('a kafka flow with TLS: five sets, names absolute, values in Route 53 syntax', () => {
    const f = 'notifications.calendar.people.example.com.';
    assert.deepEqual(flowRecordSets(FLOW), [
      { Name: f, Type: 'PTR', TTL: 60, ResourceRecords: [{ Value: `_flow._tcp.${f}` }] },
      {
        Name: `_flow._tcp.${f}`,
        Type: 'SRV',
        TTL: 60,
        ResourceRecords: [{ Value: '10 10 61000 fnaa.people.example.com.' }],
      },
      { Name: `_flow._tcp.${f}`, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"tls"' }] },
      {
        Name: `_queue._flow._tcp.${f}`,
        Type: 'SRV',
        TTL: 60,
        ResourceRecords: [{ Value: '10 10 9093 kafka.people.example.com.' }],
      },
      {
        Name: `_queue._flow._tcp.${f}`,
        Type: 'TXT',
        TTL: 60,
        ResourceRecords: [{ Value: '"broker-type=kafka" "queue=notifications.calendar" "tls"' }],
      },
    ]);
  });

  it('an SQS flow without TLS carries queue-url and no agent TXT', () => {
    const sets = flowRecordSets({
      ...FLOW,
      agent: { host: 'fnaa.people.example.com', port: 61000, tls: false, priority: 1, weight: 5 },
      broker: {
        type: 'sqs',
        host: 'sqs.eu-west-1.amazonaws.com',
        port: 443,
        queue: 'orders',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
        tls: false,
      },
    });
    assert.deepEqual(
      sets.map((s) => `${s.Name} ${s.Type} ${s.ResourceRecords.map((r) => r.Value).join('|')}`),
      [
        'notifications.calendar.people.example.com. PTR _flow._tcp.notifications.calendar.people.example.com.',
        '_flow._tcp.notifications.calendar.people.example.com. SRV 1 5 61000 fnaa.people.example.com.',
        '_queue._flow._tcp.notifications.calendar.people.example.com. SRV 10 10 443 sqs.eu-west-1.amazonaws.com.',
        '_queue._flow._tcp.notifications.calendar.people.example.com. TXT "broker-type=sqs" "queue=orders" "queue-url=https://sqs.eu-west-1.amazonaws.com/123456789012/orders"',
      ],
    );
  });

  it('a namespace: SRV and TXT "tls" at _flow._tcp.<namespace>', () => {
    assert.deepEqual(
      namespaceRecordSets({
        namespace: 'people.example.com',
        agent: { host: 'fnaa.people.example.com', port: 61000, tls: true },
        ttl: 300,
      }),
      [
        {
          Name: '_flow._tcp.people.example.com.',
          Type: 'SRV',
          TTL: 300,
          ResourceRecords: [{ Value: '10 10 61000 fnaa.people.example.com.' }],
        },
        {
          Name: '_flow._tcp.people.example.com.',
          Type: 'TXT',
          TTL: 300,
          ResourceRecords: [{ Value: '"tls"' }],
        },
      ],
    );
  });

  it('is exactly core/fns-records.ts grouped: one set per record here', () => {
    assert.equal(flowRecordSets(FLOW).length, flowRecords(FLOW).length);
    assert.equal(
      namespaceRecordSets({
        namespace: 'n.example',
        agent: { host: 'a.example', port: 1, tls: false },
        ttl: 5,
      }).length,
      namespaceRecords({ namespace: 'n.example', agent: { host: 'a.example', port: 1, tls: false }, ttl: 5 })
        .length,
    );
  });

  it('merges records of one name and type into one set, with the smallest TTL and no duplicate values', () => {
    const sets = toResourceRecordSets([
      {
        name: 'a.example.com',
        ttl: 300,
        type: 'SRV',
        priority: 10,
        weight: 10,
        port: 1,
        target: 'x.example.com',
      },
      {
        name: 'A.example.com.',
        ttl: 60,
        type: 'SRV',
        priority: 20,
        weight: 5,
        port: 2,
        target: 'y.example.com',
      },
      { name: 'a.example.com', ttl: 60, type: 'TXT', strings: ['k=v'] },
      {
        name: 'a.example.com',
        ttl: 60,
        type: 'SRV',
        priority: 10,
        weight: 10,
        port: 1,
        target: 'x.example.com',
      },
      { name: 'b.example.com', ttl: 30, type: 'A', address: '192.0.2.1' },
      { name: 'b.example.com', ttl: 30, type: 'AAAA', address: '2001:db8::1' },
    ]);
    assert.deepEqual(sets, [
      {
        Name: 'a.example.com.',
        Type: 'SRV',
        TTL: 60,
        ResourceRecords: [{ Value: '10 10 1 x.example.com.' }, { Value: '20 5 2 y.example.com.' }],
      },
      { Name: 'a.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"k=v"' }] },
      { Name: 'b.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '192.0.2.1' }] },
      { Name: 'b.example.com.', Type: 'AAAA', TTL: 30, ResourceRecords: [{ Value: '2001:db8::1' }] },
    ]);
  });

  it('refuses a TTL Route 53 cannot hold', () => {
    for (const ttl of [-1, 1.5, 2 ** 31]) {
      assert.throws(
        () => toResourceRecordSets([{ name: 'a.example', ttl, type: 'TXT', strings: ['x'] }]),
        (e: unknown) => e instanceof EsonError && e.kind === 'invalid-argument',
      );
    }
  });

  it('PTR and SRV targets get their trailing dot once', () => {
    assert.equal(recordValue({ name: 'a', ttl: 1, type: 'PTR', target: 'b.example.' }), 'b.example.');
    assert.equal(recordValue({ name: 'a', ttl: 1, type: 'PTR', target: 'b.example' }), 'b.example.');
    assert.equal(
      recordValue({ name: 'a', ttl: 1, type: 'SRV', priority: 0, weight: 0, port: 443, target: 'h.example' }),
      '0 0 443 h.example.',
    );
    assert.equal(absoluteName('x.example.'), 'x.example.');
  });
});

describe('TXT quoting in Route 53 syntax', () => {
  it('quotes each string and escapes " and \\ with a backslash', () => {
    assert.equal(quoteTxtString('tls'), '"tls"');
    assert.equal(quoteTxtString('a"b'), '"a\\"b"');
    assert.equal(quoteTxtString('a\\b'), '"a\\\\b"');
    assert.equal(quoteTxtString('two words'), '"two words"');
    assert.equal(quoteTxtString(''), '""');
    assert.equal(txtValue(['broker-type=kafka', 'queue=q', 'tls']), '"broker-type=kafka" "queue=q" "tls"');
  });

  it('writes octets outside printable ASCII as three-digit octal escapes of their UTF-8 bytes', () => {
    assert.equal(quoteTxtString('café'), '"caf\\303\\251"');
    assert.equal(quoteTxtString('tab\there'), '"tab\\011here"');
    assert.equal(quoteTxtString('\x7f'), '"\\177"');
  });

  it('parses Route 53 TXT values back: quoted, escaped, octal, unquoted', () => {
    assert.deepEqual(parseTxtValue('"broker-type=kafka" "queue=q" "tls"'), [
      'broker-type=kafka',
      'queue=q',
      'tls',
    ]);
    assert.deepEqual(parseTxtValue('"a\\"b" "c\\\\d"'), ['a"b', 'c\\d']);
    assert.deepEqual(parseTxtValue('"caf\\303\\251"'), ['café']);
    assert.deepEqual(parseTxtValue('plain "quoted one"'), ['plain', 'quoted one']);
    assert.deepEqual(parseTxtValue('""'), ['']);
    assert.deepEqual(parseTxtValue(''), []);
    // The seed's single-string form stays one string.
    assert.deepEqual(parseTxtValue('"broker-type=kafka tls"'), ['broker-type=kafka tls']);
  });

  it('refuses malformed TXT values', () => {
    assert.throws(() => parseTxtValue('"open'), /unterminated/);
    assert.throws(() => parseTxtValue('x\\'), /lone backslash/);
  });

  it('round-trips any strings (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        (strings) => {
          // Lone surrogates cannot be UTF-8 encoded; the port's strings are well-formed text.
          const wellFormed = strings.map((s) => Buffer.from(s, 'utf8').toString('utf8'));
          assert.deepEqual(parseTxtValue(txtValue(wellFormed)), wellFormed);
          assert.match(txtValue(wellFormed), /^[\x20-\x7e]*$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('names and comparison of record sets', () => {
  it('normalizes names as Route 53 returns them', () => {
    assert.equal(normalizeName('_flow._tcp.Flow.Example.COM.'), '_flow._tcp.flow.example.com');
    assert.equal(normalizeName('\\052.example.com.'), '*.example.com');
    assert.equal(normalizeName('a.example'), 'a.example');
  });

  it('compares values in any order and spelling; TTL only when asked', () => {
    const a = {
      Name: 'a.example.',
      Type: 'SRV' as const,
      TTL: 60,
      ResourceRecords: [{ Value: '1 1 1 X.example.' }, { Value: '2 2 2 y.example.' }],
    };
    const b = {
      Name: 'A.EXAMPLE',
      Type: 'SRV' as const,
      TTL: 30,
      ResourceRecords: [{ Value: '2 2 2 y.example.' }, { Value: '1  1 1 x.example' }],
    };
    assert.equal(sameRecordSet(a, b), true);
    assert.equal(sameRecordSet(a, b, { compareTtl: true }), false);
    assert.equal(sameRecordSet(a, { ...b, ResourceRecords: [{ Value: '2 2 2 y.example.' }] }), false);
    assert.equal(sameRecordSet(a, { ...b, Type: 'TXT' }), false);
    const t1 = { Name: 't.', Type: 'TXT' as const, TTL: 1, ResourceRecords: [{ Value: '"a" "b"' }] };
    assert.equal(sameRecordSet(t1, { ...t1, ResourceRecords: [{ Value: 'a "b"' }] }), true);
    assert.equal(sameRecordSet(t1, { ...t1, ResourceRecords: [{ Value: '"A" "b"' }] }), false);
  });
});
