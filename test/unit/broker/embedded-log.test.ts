import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RECORD_HEADER_BYTES, encodeRecord } from '../../../src/adapters/broker/embedded/log-format.ts';
import { QUEUE, event, events, fixture, flipByte, isKind, lastSegment, segmentFiles } from './helpers.ts';

interface Warning {
  readonly fields: unknown;
  readonly message: unknown;
}

function recordingLogger(): {
  warnings: Warning[];
  logger: { warn: (fields: unknown, message?: unknown) => void };
} {
  const warnings: Warning[] = [];
  return { warnings, logger: { warn: (fields, message) => warnings.push({ fields, message }) } };
}

/** Ways a crash (or a bad disk) can leave the end of the last segment. */
const TORN_TAILS: [string, (file: string, cleanSize: number, lastRecord: number) => Promise<void>][] = [
  [
    'garbage after the last record',
    (file) => fs.appendFile(file, Buffer.from('garbage that is not a record')),
  ],
  [
    'a header cut short',
    async (file, cleanSize) => {
      await fs.appendFile(
        file,
        encodeRecord([event('torn')], 5, Date.now()).subarray(0, RECORD_HEADER_BYTES - 7),
      );
      assert.ok((await fs.stat(file)).size > cleanSize);
    },
  ],
  [
    'a payload cut short',
    async (file) => {
      const record = encodeRecord([event('torn-1'), event('torn-2')], 5, Date.now());
      await fs.appendFile(file, record.subarray(0, record.length - 10));
    },
  ],
  [
    'a record with a bad CRC',
    async (file) => {
      const record = encodeRecord([event('torn')], 5, Date.now());
      flipByte(record, record.length - 3);
      await fs.appendFile(file, record);
    },
  ],
  [
    'a record with a bad magic',
    async (file) => {
      const record = encodeRecord([event('torn')], 5, Date.now());
      record[0] = 0;
      await fs.appendFile(file, record);
    },
  ],
  [
    'a record with the wrong base position',
    async (file) => {
      await fs.appendFile(file, encodeRecord([event('torn')], 9, Date.now()));
    },
  ],
  [
    'the last synced record itself torn',
    async (file, cleanSize, lastRecord) => {
      // Keeps the first batch and half of the second: the whole second batch must go.
      await fs.truncate(file, cleanSize - Math.floor(lastRecord / 2));
    },
  ],
];

describe('EmbeddedBroker torn writes', () => {
  for (const [name, tear] of TORN_TAILS) {
    it(`cuts ${name} and keeps the earlier batches`, async (t) => {
      const { open, dir } = await fixture(t);
      const broker = open();
      await broker.createQueue(QUEUE);
      const first = events(0, 2);
      const second = events(2, 3);
      await broker.append(QUEUE, first);
      const file = await lastSegment(dir);
      const afterFirst = (await fs.stat(file)).size;
      await broker.append(QUEUE, second);
      await broker.close();
      const cleanSize = (await fs.stat(file)).size;
      await tear(file, cleanSize, cleanSize - afterFirst);
      const keptSecond = name !== 'the last synced record itself torn';
      const kept = keptSecond ? [...first, ...second] : first;

      const { warnings, logger } = recordingLogger();
      const reopened = open({ logger });
      const info = await reopened.describeQueue(QUEUE);
      assert.equal(info.nextPosition, kept.length);
      const read = await reopened.read(QUEUE, { from: 0, limit: 100 });
      assert.deepEqual(
        read.events.map((e) => e.json),
        kept,
      );
      assert.equal((await fs.stat(file)).size, keptSecond ? cleanSize : afterFirst);
      assert.equal(warnings.length, 1);
      // The warning names the place, never the events.
      assert.doesNotMatch(JSON.stringify(warnings), /specversion|test\.event|garbage/);

      const next = events(100, 2);
      assert.deepEqual(await reopened.append(QUEUE, next), { first: kept.length, next: kept.length + 2 });
      await reopened.close();
      const third = open();
      const all = await third.read(QUEUE, { from: 0, limit: 100 });
      assert.deepEqual(
        all.events.map((e) => e.json),
        [...kept, ...next],
      );
    });
  }

  it('empties a segment whose only record is torn and continues at its base', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.append(QUEUE, events(0, 1));
    await broker.close();
    const file = await lastSegment(dir);
    await fs.truncate(file, 10);
    const reopened = open();
    assert.equal((await reopened.describeQueue(QUEUE)).nextPosition, 0);
    assert.equal((await fs.stat(file)).size, 0);
    assert.deepEqual(await reopened.append(QUEUE, events(0, 1)), { first: 0, next: 1 });
  });

  it('refuses to open a queue damaged before its last segment rather than lose data', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open({ segmentBytes: 1024 });
    await broker.createQueue(QUEUE);
    for (let i = 0; i < 20; i++) await broker.append(QUEUE, [event(i, 'x'.repeat(100))]);
    await broker.close();
    const files = await segmentFiles(dir);
    assert.ok(files.length > 2);
    const firstFile = path.join(dir, QUEUE, files[0] ?? '');
    const bytes = await fs.readFile(firstFile);
    flipByte(bytes, bytes.length - 1);
    await fs.writeFile(firstFile, bytes);
    await assert.rejects(open().describeQueue(QUEUE), (error: unknown) => {
      isKind('unavailable')(error);
      assert.match(String(error), /damaged/);
      return true;
    });
    assert.equal((await fs.stat(firstFile)).size, bytes.length);
  });
});

describe('EmbeddedBroker restart', () => {
  it('reads every event and committed position back after a restart', async (t) => {
    const { open } = await fixture(t);
    const broker = open();
    const created = await broker.createQueue(QUEUE, { retentionMs: 3_600_000 });
    // Enough data for the scan at open to cross its buffer size several times.
    const written: string[] = [];
    for (let b = 0; b < 40; b++) {
      const batch = Array.from({ length: 10 }, (_, i) => event(`r${b}-${i}`, 'd'.repeat(10_000)));
      written.push(...batch);
      await broker.append(QUEUE, batch);
    }
    await broker.commit(QUEUE, 'early', 5);
    await broker.commit(QUEUE, 'late', 400);
    await broker.close();

    const reopened = open();
    const info = await reopened.describeQueue(QUEUE);
    assert.equal(info.nextPosition, 400);
    assert.equal(info.createdAt, created.createdAt);
    assert.equal(info.retentionMs, 3_600_000);
    const seen: string[] = [];
    for (let from = 0; from < 400;) {
      const page = await reopened.read(QUEUE, { from, limit: 37, maxBytes: 200_000 });
      assert.ok(page.events.length > 0);
      assert.equal(page.events[0]?.position, from);
      seen.push(...page.events.map((e) => e.json));
      from = page.next;
    }
    assert.deepEqual(seen, written);
    assert.equal(await reopened.committed(QUEUE, 'early'), 5);
    assert.deepEqual(await reopened.listConsumers(QUEUE), [
      { consumer: 'early', position: 5, lag: 395 },
      { consumer: 'late', position: 400, lag: 0 },
    ]);
  });

  it('removes temporary files left by a crash', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open();
    await broker.createQueue(QUEUE);
    await broker.close();
    await fs.writeFile(path.join(dir, QUEUE, 'consumers.json.tmp-1234'), '{"consu');
    await fs.mkdir(path.join(dir, '.tmp-crashed-create'));
    const reopened = open();
    assert.deepEqual(await reopened.listConsumers(QUEUE), []);
    assert.deepEqual((await fs.readdir(path.join(dir, QUEUE))).sort(), ['queue.json']);
    assert.deepEqual(await fs.readdir(dir), [QUEUE]);
  });
});

describe('EmbeddedBroker segments and retention', () => {
  it('rolls to a new segment file past the segment size', async (t) => {
    const { open, dir } = await fixture(t);
    const broker = open({ segmentBytes: 1024 });
    await broker.createQueue(QUEUE);
    const written = Array.from({ length: 30 }, (_, i) => event(i, 'y'.repeat(100)));
    for (const e of written) await broker.append(QUEUE, [e]);
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 4, `only ${files.length} segments`);
    for (const f of files) assert.ok((await fs.stat(path.join(dir, QUEUE, f))).size <= 1024);
    // Files are named by their first position.
    assert.equal(files[0], `${'0'.repeat(20)}.seg`);
    const read = await broker.read(QUEUE, { from: 0, limit: 100 });
    assert.deepEqual(
      read.events.map((e) => e.json),
      written,
    );
    const fromMiddle = await broker.read(QUEUE, { from: 17, limit: 5 });
    assert.deepEqual(
      fromMiddle.events.map((e) => e.position),
      [17, 18, 19, 20, 21],
    );
    await broker.close();
    const reopened = open({ segmentBytes: 1024 });
    assert.equal((await reopened.describeQueue(QUEUE)).nextPosition, 30);
    assert.deepEqual(await reopened.append(QUEUE, [event(30)]), { first: 30, next: 31 });
  });

  it('drops whole expired segments at append time and moves firstPosition', async (t) => {
    const { open, dir } = await fixture(t);
    let now = 1_700_000_000_000;
    const broker = open({ segmentBytes: 1024, now: () => now });
    await broker.createQueue(QUEUE, { retentionMs: 1000 });
    for (let i = 0; i < 20; i++) await broker.append(QUEUE, [event(i, 'z'.repeat(100))]);
    const before = await segmentFiles(dir);
    await broker.commit(QUEUE, 'slow', 0);
    now += 1500;
    await broker.append(QUEUE, [event(20)]);
    const after = await segmentFiles(dir);
    assert.ok(after.length < before.length);
    const info = await broker.describeQueue(QUEUE);
    assert.ok(info.firstPosition > 0);
    // The active segment (holding expired events too) stays until it is done.
    assert.equal(info.firstPosition, Number(after[0]?.slice(0, 20)));
    const read = await broker.read(QUEUE, { from: 0, limit: 100 });
    assert.equal(read.events[0]?.position, info.firstPosition);
    assert.equal(read.events.at(-1)?.position, 20);
    const [slow] = await broker.listConsumers(QUEUE);
    assert.deepEqual(slow, { consumer: 'slow', position: 0, lag: 21 - info.firstPosition });
  });

  it('rolls by age so that a quiet queue expires, and enforceRetention empties it', async (t) => {
    const { open, dir } = await fixture(t);
    let now = 1_700_000_000_000;
    const broker = open({ now: () => now });
    await broker.createQueue(QUEUE, { retentionMs: 1000 });
    await broker.createQueue('forever.test');
    await broker.append(QUEUE, events(0, 3));
    await broker.append('forever.test', events(0, 3));
    now += 1500;
    await broker.append(QUEUE, events(3, 2));
    assert.equal((await segmentFiles(dir)).length, 1);
    assert.equal((await broker.describeQueue(QUEUE)).firstPosition, 3);

    now += 1500;
    assert.equal(await broker.enforceRetention(), 2);
    const info = await broker.describeQueue(QUEUE);
    assert.equal(info.firstPosition, 5);
    assert.equal(info.nextPosition, 5);
    assert.deepEqual(await broker.read(QUEUE, { from: 0, limit: 10 }), { events: [], next: 5 });
    assert.equal((await broker.describeQueue('forever.test')).firstPosition, 0);
    assert.equal(await broker.enforceRetention(QUEUE), 0);
    await broker.close();

    // The next position survives the queue being emptied.
    const reopened = open({ now: () => now });
    const again = await reopened.describeQueue(QUEUE);
    assert.equal(again.firstPosition, 5);
    assert.equal(again.nextPosition, 5);
    assert.deepEqual(await reopened.append(QUEUE, events(5, 1)), { first: 5, next: 6 });
  });

  it('keeps at most maxOpenFiles files open over many queues', async (t) => {
    const { open } = await fixture(t);
    const broker = open({ maxOpenFiles: 4, segmentBytes: 1024 });
    const names = Array.from({ length: 25 }, (_, i) => `q${i}.flows.orange.test`);
    for (const name of names) {
      await broker.createQueue(name);
      for (let i = 0; i < 3; i++) await broker.append(name, [event(i, 'w'.repeat(400))]);
      assert.ok(broker.openFiles <= 4, `${broker.openFiles} files open`);
    }
    const reads = await Promise.all(names.map((name) => broker.read(name, { from: 0, limit: 10 })));
    for (const r of reads) assert.equal(r.events.length, 3);
    assert.ok(broker.openFiles <= 4, `${broker.openFiles} files open`);
    await broker.close();
    assert.equal(broker.openFiles, 0);
  });
});
