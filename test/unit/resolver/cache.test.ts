/** The resolver's cache: expiry by an injected clock, and least-recently-used eviction. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlCache } from '../../../src/dns/resolver/cache.ts';
import { manualClock } from './helpers.ts';

describe('TtlCache', () => {
  it('keeps an entry until its TTL has passed, not a millisecond longer', () => {
    const clock = manualClock();
    const cache = new TtlCache<string>(10, clock.now);
    cache.set('k', 'v', 60_000);
    clock.advance(59_999);
    assert.equal(cache.get('k')?.value, 'v');
    clock.advance(1);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0, 'the expired entry was dropped');
  });

  it('stores nothing for a TTL of zero', () => {
    const cache = new TtlCache<string>(10, manualClock().now);
    cache.set('k', 'v', 0);
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.size, 0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new TtlCache<number>(2, manualClock().now);
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    assert.equal(cache.get('a')?.value, 1); // a is now the most recent
    cache.set('c', 3, 1000);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.value, 1);
    assert.equal(cache.get('c')?.value, 3);
  });

  it('refuses a size that is not a positive integer', () => {
    assert.throws(() => new TtlCache(0, Date.now), RangeError);
  });
});
