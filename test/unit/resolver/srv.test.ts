/**
 * RFC 2782 target selection: priority order, the weighted draw within a priority (with a scripted
 * random source), weight-0 records, and the "." target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isServiceUnavailable, orderSrv } from '../../../src/dns/resolver/srv.ts';

const srv = (priority: number, weight: number, target: string, port = 1000) => ({
  priority,
  weight,
  port,
  target,
});

/** A random source returning `values` in turn (each in [0, 1)). */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('the random source was asked more often than scripted');
    return v;
  };
}

const hosts = (records: Parameters<typeof orderSrv>[0], random: () => number): string[] =>
  orderSrv(records, random).map((c) => c.host);

describe('orderSrv (RFC 2782)', () => {
  it('tries every target of a lower priority before any of a higher one', () => {
    const records = [
      srv(20, 100, 'c.test'),
      srv(10, 0, 'a.test'),
      srv(30, 5, 'd.test'),
      srv(10, 0, 'b.test'),
    ];
    // Each draw of 0 takes the first remaining record of its priority.
    assert.deepEqual(
      hosts(records, () => 0),
      ['a.test', 'b.test', 'c.test', 'd.test'],
    );
  });

  it('draws within a priority by running sums of the weights, the draw in [0, sum]', () => {
    // weights 1, 3, 6 (sum 10): running sums 1, 4, 10.
    const records = [srv(10, 1, 'one.test'), srv(10, 3, 'three.test'), srv(10, 6, 'six.test')];
    // floor(0.5 * 11) = 5 > 4 -> six; then sums 1, 4 (sum 4): floor(0.3 * 5) = 1 -> one; then three.
    assert.deepEqual(hosts(records, scripted(0.5, 0.3, 0)), ['six.test', 'one.test', 'three.test']);
    // floor(0.2 * 11) = 2 -> three (1 < 2 <= 4); then sums 1, 7: floor(0.99 * 8) = 7 -> six.
    assert.deepEqual(hosts(records, scripted(0.2, 0.99, 0)), ['three.test', 'six.test', 'one.test']);
  });

  it('puts weight-0 records first in the draw, so a draw of 0 picks them', () => {
    const records = [srv(10, 5, 'heavy.test'), srv(10, 0, 'zero.test')];
    assert.deepEqual(hosts(records, scripted(0, 0)), ['zero.test', 'heavy.test']);
    // Any draw above 0 passes the weight-0 record by.
    assert.deepEqual(hosts(records, scripted(0.5, 0)), ['heavy.test', 'zero.test']);
  });

  it('gives each target first place for a share of the draws proportional to its weight', () => {
    const records = [srv(10, 10, 'ten.test'), srv(10, 30, 'thirty.test'), srv(10, 60, 'sixty.test')];
    const firsts = new Map<string, number>();
    // Every draw value 0..100 (the sum of the weights is 100) once.
    for (let d = 0; d <= 100; d++) {
      const [first] = orderSrv(records, scripted((d + 0.5) / 101, 0, 0));
      firsts.set(first?.host ?? '', (firsts.get(first?.host ?? '') ?? 0) + 1);
    }
    // ten wins draws 0..10, thirty 11..40, sixty 41..100.
    assert.deepEqual(Object.fromEntries(firsts), { 'ten.test': 11, 'thirty.test': 30, 'sixty.test': 60 });
  });

  it('canonicalises targets and keeps ports, priorities and weights', () => {
    assert.deepEqual(
      orderSrv([srv(1, 2, 'Agent.Orange.TEST.', 61000)], () => 0),
      [{ host: 'agent.orange.test', port: 61000, priority: 1, weight: 2 }],
    );
  });

  it('treats a single "." target as "service not available" and skips "." among others', () => {
    assert.equal(isServiceUnavailable([srv(0, 0, '')]), true);
    assert.equal(isServiceUnavailable([srv(0, 0, '.')]), true);
    assert.equal(isServiceUnavailable([srv(0, 0, 'a.test')]), false);
    assert.equal(isServiceUnavailable([srv(0, 0, ''), srv(1, 0, 'a.test')]), false);
    assert.deepEqual(
      hosts([srv(0, 0, ''), srv(1, 0, 'a.test')], () => 0),
      ['a.test'],
    );
    assert.deepEqual(
      orderSrv([srv(0, 0, '')], () => 0),
      [],
    );
  });

  it('survives a random source at its bounds', () => {
    const records = [srv(10, 1, 'a.test'), srv(10, 1, 'b.test')];
    assert.equal(orderSrv(records, () => 0.9999999999999999).length, 2);
    assert.equal(orderSrv(records, () => 1).length, 2);
    assert.equal(orderSrv(records, () => Number.NaN).length, 2);
  });
});
