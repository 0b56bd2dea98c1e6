/**
 * The FNS TXT attributes: one attribute per string (RFC 6763 §6) and the seed's single-string
 * form, RFC 6763 §6.4's rules, and clear errors for strings that do not parse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowResolveError } from '../../../src/dns/resolver/errors.ts';
import { parseAgentTxt, parseBrokerTxt, parseTxtAttributes } from '../../../src/dns/resolver/txt.ts';

const AT = '_queue._flow._tcp.orders.flows.orange.test';

function badTxt(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof FlowResolveError, `expected FlowResolveError, got ${String(error)}`);
    assert.equal(error.problem, 'bad-txt');
    assert.equal(error.kind, 'rejected');
    assert.equal(error.at, AT);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('broker TXT', () => {
  it('reads one attribute per string (fns-records.md)', () => {
    assert.deepEqual(parseBrokerTxt([['broker-type=kafka', 'queue=orders', 'tls']], AT), {
      type: 'kafka',
      queue: 'orders',
      queueUrl: undefined,
      tls: true,
    });
  });

  it("reads the seed's single-string form", () => {
    assert.deepEqual(parseBrokerTxt([['broker-type=kafka tls']], AT), {
      type: 'kafka',
      queue: undefined,
      queueUrl: undefined,
      tls: true,
    });
    assert.deepEqual(parseBrokerTxt([['broker-type=kafka  queue=orders\ttls']], AT), {
      type: 'kafka',
      queue: 'orders',
      queueUrl: undefined,
      tls: true,
    });
  });

  it('reads SQS attributes', () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders';
    assert.deepEqual(parseBrokerTxt([['broker-type=sqs', `queue-url=${url}`]], AT), {
      type: 'sqs',
      queue: undefined,
      queueUrl: url,
      tls: false,
    });
  });

  it('treats keys case-insensitively, keeps the first of a repeated key, ignores "=..." and unknown keys', () => {
    assert.deepEqual(
      parseBrokerTxt([['Broker-Type=Kafka', 'broker-type=amqp', '=x', 'future=1', 'TLS']], AT),
      {
        type: 'kafka',
        queue: undefined,
        queueUrl: undefined,
        tls: true,
      },
    );
  });

  it('merges several TXT records that agree, and refuses ones that disagree', () => {
    assert.equal(parseBrokerTxt([['broker-type=kafka'], ['tls'], ['broker-type=kafka']], AT).tls, true);
    assert.throws(
      () => parseBrokerTxt([['broker-type=kafka'], ['broker-type=amqp']], AT),
      badTxt(/disagree on "broker-type": "broker-type=kafka" and "broker-type=amqp"/),
    );
  });

  it('requires broker-type, with a value', () => {
    assert.throws(
      () => parseBrokerTxt([['queue=orders', 'tls']], AT),
      badTxt(/no "broker-type=<type>" \(it has "queue", "tls"\)/),
    );
    assert.throws(
      () => parseBrokerTxt([['']], AT),
      badTxt(/no "broker-type=<type>" \(it has no attribute\)/),
    );
    assert.throws(
      () => parseBrokerTxt([['broker-type=']], AT),
      badTxt(/"broker-type=" .* does not parse: "broker-type" needs a value/),
    );
    assert.throws(() => parseBrokerTxt([['broker-type']], AT), badTxt(/"broker-type" needs a value/));
  });

  it('says which string does not parse', () => {
    assert.throws(
      () => parseBrokerTxt([['broker-type=kaf/ka']], AT),
      badTxt(/"broker-type=kaf\/ka" at _queue.* does not parse: a broker type is/),
    );
    assert.throws(
      () => parseBrokerTxt([['broker-type=sqs', 'queue-url=not a url']], AT),
      badTxt(/"queue-url=not" .* not an http\(s\) URL/),
    );
    assert.throws(
      () => parseBrokerTxt([['broker-type=sqs', 'queue-url=ftp://x.test/q']], AT),
      badTxt(/not an http\(s\) URL/),
    );
    assert.throws(
      () => parseBrokerTxt([['broker-type=kafka', 'tls=maybe']], AT),
      badTxt(/"tls=maybe" .* "tls" is a flag/),
    );
    assert.throws(
      () => parseBrokerTxt([['broker-type=kafka', 'queue=']], AT),
      badTxt(/"queue" needs a value/),
    );
    assert.throws(
      () => parseTxtAttributes([['caf\u00e9=1']], AT),
      badTxt(/the key "caf\u00e9" is not printable ASCII/),
    );
  });

  it('accepts tls=true/false spelled out', () => {
    assert.equal(parseBrokerTxt([['broker-type=kafka', 'tls=yes']], AT).tls, true);
    assert.equal(parseBrokerTxt([['broker-type=kafka', 'tls=false']], AT).tls, false);
  });
});

describe('agent TXT', () => {
  it('is "tls" or nothing', () => {
    assert.deepEqual(parseAgentTxt([['tls']], AT), { tls: true });
    assert.deepEqual(parseAgentTxt([['other=1']], AT), { tls: false });
    assert.deepEqual(parseAgentTxt([], AT), { tls: false });
  });
});
