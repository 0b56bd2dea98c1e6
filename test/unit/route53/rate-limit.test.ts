import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { Pacing } from '../../../src/adapters/dns/route53/rate-limit.ts';
import { TokenBucket, fullJitterDelay } from '../../../src/adapters/dns/route53/rate-limit.ts';

/** A clock that only moves when someone sleeps (or the test advances it). */
function fakePacing(): Pacing & { time: number; sleeps: number[] } {
  const pacing = {
    time: 0,
    sleeps: [] as number[],
    now: () => pacing.time,
    sleep: (ms: number) => {
      pacing.sleeps.push(ms);
      pacing.time += ms;
      return Promise.resolve();
    },
  };
  return pacing;
}

describe('token bucket', () => {
  it('lets a burst of `capacity` through at once, then one token per 1/rate seconds', async () => {
    const pacing = fakePacing();
    const bucket = new TokenBucket(5, 5, pacing);
    const waits: number[] = [];
    for (let i = 0; i < 8; i += 1) waits.push(await bucket.take());
    assert.deepEqual(waits.slice(0, 5), [0, 0, 0, 0, 0]);
    // Each later take waits 200 ms (sequential callers: the clock moved by the previous wait).
    for (const w of waits.slice(5)) assert.ok(Math.abs(w - 200) < 1e-6, `waited ${w}`);
    assert.ok(Math.abs(pacing.time - 600) < 1e-6);
  });

  it('queues concurrent callers in order, each reservation 1/rate after the one before', async () => {
    const pacing = fakePacing();
    // Sleeping does not move this clock: every caller reserves at time 0.
    const still: Pacing = { now: () => 0, sleep: (ms) => pacing.sleep(ms) };
    const bucket = new TokenBucket(5, 1, still);
    const waits = await Promise.all(Array.from({ length: 6 }, () => bucket.take()));
    assert.deepEqual(
      waits.map((w) => Math.round(w)),
      [0, 200, 400, 600, 800, 1000],
    );
  });

  it('never holds more than `capacity` tokens however long it was idle', async () => {
    const pacing = fakePacing();
    const bucket = new TokenBucket(5, 2, pacing);
    pacing.time += 60_000;
    assert.equal(bucket.tokens, 2);
    assert.equal(await bucket.take(), 0);
    assert.equal(await bucket.take(), 0);
    assert.ok((await bucket.take()) > 0);
  });

  it('refills fractionally with time', async () => {
    const pacing = fakePacing();
    const bucket = new TokenBucket(10, 1, pacing);
    await bucket.take();
    pacing.time += 50; // half a token
    assert.ok(Math.abs(bucket.tokens - 0.5) < 1e-9);
    assert.ok(Math.abs((await bucket.take()) - 50) < 1e-6);
  });

  it('over 100 requests at 5/s the long-run rate is 5/s', async () => {
    const pacing = fakePacing();
    const bucket = new TokenBucket(5, 5, pacing);
    for (let i = 0; i < 100; i += 1) await bucket.take();
    // 5 at once, then 95 more at 200 ms each.
    assert.ok(Math.abs(pacing.time - 19_000) < 1e-3, `took ${pacing.time} ms`);
  });

  it('refuses a rate or capacity that cannot work', () => {
    for (const [rate, capacity] of [
      [0, 1],
      [-1, 1],
      [Number.NaN, 1],
      [Number.POSITIVE_INFINITY, 1],
      [5, 0.5],
    ] as const) {
      assert.throws(
        () => new TokenBucket(rate, capacity),
        (e: unknown) => e instanceof EsonError && e.kind === 'invalid-argument',
      );
    }
  });
});

describe('full-jitter backoff', () => {
  it('draws from [0, base * 2^retry), capped at maxDelay', () => {
    assert.equal(
      fullJitterDelay(0, 100, 10_000, () => 0),
      0,
    );
    assert.equal(
      fullJitterDelay(0, 100, 10_000, () => 0.5),
      50,
    );
    assert.equal(
      fullJitterDelay(1, 100, 10_000, () => 0.5),
      100,
    );
    assert.equal(
      fullJitterDelay(3, 100, 10_000, () => 0.5),
      400,
    );
    assert.equal(
      fullJitterDelay(10, 100, 10_000, () => 0.5),
      5_000,
    );
    assert.equal(
      fullJitterDelay(40, 100, 10_000, () => 0.999999),
      9_999,
    );
  });

  it('stays within its ceiling for random draws', () => {
    for (let retry = 0; retry < 12; retry += 1) {
      const ceiling = Math.min(2_000, 50 * 2 ** retry);
      for (let i = 0; i < 200; i += 1) {
        const d = fullJitterDelay(retry, 50, 2_000);
        assert.ok(d >= 0 && d < ceiling, `retry ${retry}: ${d} not in [0, ${ceiling})`);
      }
    }
  });
});
