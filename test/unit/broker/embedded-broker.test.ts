import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  EMBEDDED_BROKER_TYPE,
  READ_CHUNK_BYTES,
} from '../../../src/adapters/broker/embedded/embedded-broker.ts';
import { QUEUE, event, events, fixture, isKind } from './helpers.ts';

describe('EmbeddedBroker queues', () => {
  it('creates a queue and describes it', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    const created = await broker.createQueue(QUEUE, { retentionMs: 60_000 });
    assert.equal(created.name, QUEUE);
    assert.equal(created.type, EMBEDDED_BROKER_TYPE);
    assert.equal(created.endpoint, 'localhost:7070');
    assert.equal(created.tls, false);
    assert.equal(created.firstPosition, 0);
    assert.equal(created.nextPosition, 0);
    assert.equal(created.retentionMs, 60_000);
    assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
    assert.deepEqual(await broker.describeQueue(QUEUE), created);
    assert.equal(broker.type, 'local');
  });

  it('refuses to create a queue twice, also from two calls at once', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    const results = await Promise.allSettled([broker.createQueue(QUEUE), broker.createQueue(QUEUE)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected');
    assert.ok(failed?.status === 'rejected');
    isKind('exists')(failed.reason);
    await assert.rejects(broker.createQueue(QUEUE), isKind('exists'));
    // Also once a new instance takes over the directory.
    await broker.close();
    await assert.rejects(open().createQueue(QUEUE), isKind('exists'));
  });

  it('answers not-found for every operation on a missing queue', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    const missing = 'missing.flows.orange.test';
    await assert.rejects(broker.describeQueue(missing), isKind('not-found'));
    await assert.rejects(broker.updateQueue(missing, {}), isKind('not-found'));
    await assert.rejects(broker.deleteQueue(missing), isKind('not-found'));
    await assert.rejects(broker.listConsumers(missing), isKind('not-found'));
    await assert.rejects(broker.append(missing, [event(1)]), isKind('not-found'));
    await assert.rejects(broker.read(missing, { from: 0, limit: 1 }), isKind('not-found'));
    await assert.rejects(broker.waitFor(missing, 0, 10), isKind('not-found'));
    await assert.rejects(broker.commit(missing, 'c', 0), isKind('not-found'));
    await assert.rejects(broker.committed(missing, 'c'), isKind('not-found'));
    await assert.rejects(broker.enforceRetention(missing), isKind('not-found'));
  });

  it('refuses names that are not safe directory names', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open();
    for (const name of ['', 'a/b', '../escape', 'a..b', '..', 'a\0b', 'a\\b', '.hidden', 'x'.repeat(256)]) {
      await assert.rejects(broker.createQueue(name), isKind('invalid-name'), JSON.stringify(name));
      await assert.rejects(broker.describeQueue(name), isKind('invalid-name'), JSON.stringify(name));
      await assert.rejects(broker.append(name, [event(1)]), isKind('invalid-name'), JSON.stringify(name));
    }
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('deletes a queue and its files; the name can be used again', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 3));
    await broker.commit(QUEUE, 'reader', 2);
    await broker.deleteQueue(QUEUE);
    await assert.rejects(broker.describeQueue(QUEUE), isKind('not-found'));
    await assert.rejects(broker.read(QUEUE, { from: 0, limit: 10 }), isKind('not-found'));
    assert.deepEqual(await fs.readdir(dir), []);
    const again = await broker.createQueue(QUEUE);
    assert.equal(again.nextPosition, 0);
    assert.deepEqual(await broker.append(QUEUE, events(0, 1)), { first: 0, next: 1 });
    assert.equal(await broker.committed(QUEUE, 'reader'), undefined);
  });

  it('updates the retention and keeps it across a restart', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    assert.equal((await broker.updateQueue(QUEUE, { retentionMs: 5000 })).retentionMs, 5000);
    await broker.close();
    const reopened = open();
    assert.equal((await reopened.describeQueue(QUEUE)).retentionMs, 5000);
    assert.equal((await reopened.updateQueue(QUEUE, {})).retentionMs, undefined);
    await assert.rejects(reopened.updateQueue(QUEUE, { retentionMs: -1 }), isKind('invalid-argument'));
    await assert.rejects(
      reopened.createQueue('other.test', { retentionMs: 1.5 }),
      isKind('invalid-argument'),
    );
  });

  it('refuses every operation once closed', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.close();
    await broker.close();
    await assert.rejects(broker.describeQueue(QUEUE), isKind('unavailable'));
    await assert.rejects(broker.append(QUEUE, [event(1)]), isKind('unavailable'));
    await assert.rejects(broker.createQueue('other.test'), isKind('unavailable'));
  });
});

describe('EmbeddedBroker append and read', () => {
  it('round-trips events with their positions', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const first = events(0, 3);
    const second = [event('unicode', 'héllo wörld ✓ 𝄞'), event('nested', { a: [1, { b: null }] })];
    assert.deepEqual(await broker.append(QUEUE, first), { first: 0, next: 3 });
    assert.deepEqual(await broker.append(QUEUE, second), { first: 3, next: 5 });
    const all = await broker.read(QUEUE, { from: 0, limit: 100 });
    assert.deepEqual(
      all.events,
      [...first, ...second].map((json, position) => ({ position, json })),
    );
    assert.equal(all.next, 5);
    // Across the batch boundary.
    const middle = await broker.read(QUEUE, { from: 2, limit: 2 });
    assert.deepEqual(
      middle.events.map((e) => e.position),
      [2, 3],
    );
    assert.equal(middle.next, 4);
    const info = await broker.describeQueue(QUEUE);
    assert.equal(info.firstPosition, 0);
    assert.equal(info.nextPosition, 5);
  });

  it('clamps reads outside the queue', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    assert.deepEqual(await broker.read(QUEUE, { from: 0, limit: 10 }), { events: [], next: 0 });
    assert.deepEqual(await broker.read(QUEUE, { from: 7, limit: 10 }), { events: [], next: 0 });
    await broker.append(QUEUE, events(0, 4));
    assert.deepEqual(await broker.read(QUEUE, { from: 4, limit: 10 }), { events: [], next: 4 });
    assert.deepEqual(await broker.read(QUEUE, { from: 99, limit: 10 }), { events: [], next: 4 });
    assert.deepEqual(await broker.read(QUEUE, { from: 1, limit: 0 }), { events: [], next: 1 });
  });

  it('treats an empty batch as a no-op', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 2));
    assert.deepEqual(await broker.append(QUEUE, []), { first: 2, next: 2 });
    assert.equal((await broker.describeQueue(QUEUE)).nextPosition, 2);
  });

  it('stops at maxBytes of JSON but returns at least one event', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const batch = events(0, 3).concat(events(3, 3));
    await broker.append(QUEUE, batch.slice(0, 3));
    await broker.append(QUEUE, batch.slice(3));
    const size = (i: number): number => Buffer.byteLength(batch[i] ?? '', 'utf8');
    const two = await broker.read(QUEUE, { from: 1, limit: 10, maxBytes: size(1) + size(2) });
    assert.deepEqual(
      two.events.map((e) => e.position),
      [1, 2],
    );
    assert.equal(two.next, 3);
    const justUnder = await broker.read(QUEUE, { from: 2, limit: 10, maxBytes: size(2) + size(3) - 1 });
    assert.deepEqual(
      justUnder.events.map((e) => e.position),
      [2],
    );
    const tiny = await broker.read(QUEUE, { from: 4, limit: 10, maxBytes: 1 });
    assert.deepEqual(
      tiny.events.map((e) => e.position),
      [4],
    );
    assert.equal(tiny.next, 5);
    const limited = await broker.read(QUEUE, { from: 0, limit: 4, maxBytes: 1_000_000 });
    assert.equal(limited.events.length, 4);
    assert.equal(limited.next, 4);
  });

  it('reads events larger than its read buffer', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const big = event('big', 'x'.repeat(READ_CHUNK_BYTES + 1000));
    const batch = [event('small-1'), big, event('small-2'), big];
    await broker.append(QUEUE, batch);
    const result = await broker.read(QUEUE, { from: 0, limit: 10 });
    assert.deepEqual(
      result.events.map((e) => e.json),
      batch,
    );
    const fromBig = await broker.read(QUEUE, { from: 2, limit: 1 });
    assert.equal(fromBig.events[0]?.json, batch[2]);
  });

  it('refuses bad arguments', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await assert.rejects(broker.read(QUEUE, { from: -1, limit: 1 }), isKind('invalid-argument'));
    await assert.rejects(broker.read(QUEUE, { from: 0.5, limit: 1 }), isKind('invalid-argument'));
    await assert.rejects(broker.read(QUEUE, { from: 0, limit: -1 }), isKind('invalid-argument'));
    await assert.rejects(broker.read(QUEUE, { from: 0, limit: 1, maxBytes: 0 }), isKind('invalid-argument'));
    await assert.rejects(broker.commit(QUEUE, '', 0), isKind('invalid-argument'));
    await assert.rejects(broker.commit(QUEUE, 'c', -1), isKind('invalid-argument'));
    await assert.rejects(broker.commit(QUEUE, 'c', 1), isKind('invalid-argument'));
    await assert.rejects(broker.waitFor(QUEUE, -1, 10), isKind('invalid-argument'));
    await assert.rejects(broker.waitFor(QUEUE, 0, Number.NaN), isKind('invalid-argument'));
  });

  it('serialises concurrent appends into contiguous, unmixed batches', async (t) => {
    const { open } = await fixture(t);
    const broker = open({ segmentBytes: 8 * 1024 });
    await broker.createQueue(QUEUE);
    const BATCHES = 60;
    const SIZE = 5;
    let reading = true;
    // Reads racing the appends must only ever see whole batches.
    const reader = (async () => {
      let checks = 0;
      while (reading || checks === 0) {
        const seen = await broker.read(QUEUE, { from: 0, limit: BATCHES * SIZE });
        assert.equal(seen.next % SIZE, 0, `a read ended inside a batch at ${seen.next}`);
        checks += 1;
        await delay(0);
      }
      return checks;
    })();
    const results = await Promise.all(
      Array.from({ length: BATCHES }, (_, b) => broker.append(QUEUE, events(0, SIZE, `b${b}-`))),
    );
    reading = false;
    assert.ok((await reader) > 0);
    const starts = results.map((r) => r.first).sort((a, b) => a - b);
    assert.deepEqual(
      starts,
      Array.from({ length: BATCHES }, (_, i) => i * SIZE),
    );
    for (const r of results) assert.equal(r.next - r.first, SIZE);
    const all = await broker.read(QUEUE, { from: 0, limit: BATCHES * SIZE });
    assert.equal(all.events.length, BATCHES * SIZE);
    for (const [b, r] of results.entries()) {
      const got = all.events.slice(r.first, r.next).map((e) => e.json);
      assert.deepEqual(got, events(0, SIZE, `b${b}-`));
    }
  });
});

describe('EmbeddedBroker consumers', () => {
  it('commits positions and reports lag', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 10));
    assert.deepEqual(await broker.listConsumers(QUEUE), []);
    await broker.commit(QUEUE, 'zeta', 10);
    await broker.commit(QUEUE, 'alpha', 3);
    await broker.commit(QUEUE, 'alpha', 4);
    assert.equal(await broker.committed(QUEUE, 'alpha'), 4);
    assert.equal(await broker.committed(QUEUE, 'nobody'), undefined);
    assert.deepEqual(await broker.listConsumers(QUEUE), [
      { consumer: 'alpha', position: 4, lag: 6 },
      { consumer: 'zeta', position: 10, lag: 0 },
    ]);
  });

  it('keeps every one of many concurrent commits', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 50));
    await Promise.all(Array.from({ length: 50 }, (_, i) => broker.commit(QUEUE, `consumer-${i}`, i)));
    await broker.close();
    const reopened = open();
    const consumers = await reopened.listConsumers(QUEUE);
    assert.equal(consumers.length, 50);
    for (const c of consumers) assert.equal(c.position, Number(c.consumer.slice('consumer-'.length)));
  });

  it('writes consumers.json whole (no temporary files left)', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 2));
    await broker.commit(QUEUE, 'c', 2);
    const files = await fs.readdir(path.join(dir, QUEUE));
    assert.deepEqual(
      files.filter((f) => f.includes('tmp')),
      [],
    );
    const stored = JSON.parse(await fs.readFile(path.join(dir, QUEUE, 'consumers.json'), 'utf8')) as unknown;
    assert.deepEqual(stored, { consumers: { c: 2 } });
  });
});

describe('EmbeddedBroker waitFor', () => {
  it('resolves when an event arrives at the position', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const started = Date.now();
    const waiting = broker.waitFor(QUEUE, 0, 10_000);
    await delay(10);
    assert.equal(broker.waiterCount(QUEUE), 1);
    await broker.append(QUEUE, events(0, 1));
    await waiting;
    assert.ok(Date.now() - started < 5000);
    assert.equal(broker.waiterCount(QUEUE), 0);
  });

  it('resolves at once when the queue already holds the position', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 3));
    const started = Date.now();
    await broker.waitFor(QUEUE, 2, 10_000);
    assert.ok(Date.now() - started < 1000);
    assert.equal(broker.waiterCount(), 0);
  });

  it('is not woken by events before its position', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    let woken = false;
    const waiting = broker.waitFor(QUEUE, 2, 10_000).then(() => {
      woken = true;
    });
    await broker.append(QUEUE, events(0, 2));
    await delay(20);
    assert.equal(woken, false);
    await broker.append(QUEUE, events(2, 1));
    await waiting;
    assert.equal(woken, true);
    assert.equal(broker.waiterCount(), 0);
  });

  it('resolves on timeout', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const started = Date.now();
    await broker.waitFor(QUEUE, 0, 50);
    assert.ok(Date.now() - started >= 40);
    assert.equal(broker.waiterCount(), 0);
  });

  it('resolves on abort and removes its abort listener', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const controller = new AbortController();
    const waiting = broker.waitFor(QUEUE, 0, 10_000, controller.signal);
    await delay(10);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    await waiting;
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    assert.equal(broker.waiterCount(), 0);
    // Already aborted: returns at once.
    await broker.waitFor(QUEUE, 0, 10_000, controller.signal);
  });

  it('leaves no listeners behind, however each wait ends', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    const controller = new AbortController();
    const timedOut = Array.from({ length: 50 }, () => broker.waitFor(QUEUE, 0, 5, controller.signal));
    await Promise.all(timedOut);
    const woken = Array.from({ length: 50 }, () => broker.waitFor(QUEUE, 0, 10_000, controller.signal));
    await delay(5);
    assert.equal(broker.waiterCount(QUEUE), 50);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 50);
    await broker.append(QUEUE, events(0, 1));
    await Promise.all(woken);
    assert.equal(broker.waiterCount(), 0);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('wakes every waiter on close and on deletion', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.createQueue('other.test');
    const deleted = broker.waitFor('other.test', 0, 60_000);
    await delay(5);
    await broker.deleteQueue('other.test');
    await deleted;
    const waits = [broker.waitFor(QUEUE, 0, 60_000), broker.waitFor(QUEUE, 5, 60_000)];
    await delay(5);
    await broker.close();
    await Promise.all(waits);
    assert.equal(broker.waiterCount(), 0);
  });
});

describe('EmbeddedBroker deletion races', () => {
  it('settles every operation racing a deletion, as done or not-found', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 5));
    await broker.commit(QUEUE, 'c', 1);
    const racing = [
      ...Array.from({ length: 10 }, (_, i) => broker.append(QUEUE, events(i, 2))),
      ...Array.from({ length: 10 }, (_, i) => broker.commit(QUEUE, `c${i}`, 2)),
      ...Array.from({ length: 10 }, () => broker.read(QUEUE, { from: 0, limit: 100 })),
      broker.deleteQueue(QUEUE),
      ...Array.from({ length: 10 }, (_, i) => broker.append(QUEUE, events(i, 2))),
      ...Array.from({ length: 10 }, (_, i) => broker.commit(QUEUE, `d${i}`, 0)),
      ...Array.from({ length: 10 }, () => broker.read(QUEUE, { from: 0, limit: 100 })),
    ];
    const results = await Promise.allSettled(racing);
    for (const result of results) {
      if (result.status === 'rejected') isKind('not-found')(result.reason);
    }
    await assert.rejects(broker.describeQueue(QUEUE), isKind('not-found'));
  });
});
