/**
 * WRITE FLOW over the wire: all-or-nothing batches, dot-stuffing, the event and batch limits, a
 * client that leaves mid-batch, and permission checked before data mode.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import type { RawClient } from '../../support/raw-client.ts';
import {
  assertServes,
  body,
  event,
  eventually,
  expectReply,
  login,
  loginAnonymous,
  readResult,
  writeEvents,
  writeLines,
} from './helpers.ts';

const MAX_EVENT = 1024;
const MAX_BATCH = 5;
const MAX_BATCH_OCTETS = 3000;

describe('WRITE FLOW', () => {
  let t: TestAgent;
  let alice: RawClient;
  let n = 0;
  /** A new flow of alice's for each test. */
  const newFlow = async (visibility = 'private'): Promise<string> => {
    const flow = `w${++n}.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${flow} visibility=${visibility}`), 250);
    return flow;
  };
  const stored = async (flow: string) =>
    readResult(await alice.command(`READ FLOW ${flow} FROM 0 LIMIT 100`));

  before(async () => {
    t = await startTestAgent({
      limits: { maxEventOctets: MAX_EVENT, maxBatchEvents: MAX_BATCH, maxBatchOctets: MAX_BATCH_OCTETS },
    });
    alice = await login(t, 'alice');
  });
  after(async () => {
    alice.close();
    await t.dispose();
  });

  it('stores a valid batch and answers "<n> accepted next=<position>"', async () => {
    const flow = await newFlow();
    expectReply(await writeLines(alice, flow, [event(1), event(2), event(3)]), 250, '3 accepted next=3');
    expectReply(await writeLines(alice, flow, [event(4)]), 250, '1 accepted next=4');
    const read = await stored(flow);
    assert.deepEqual(read.events, [event(1), event(2), event(3), event(4)]);
    assert.equal(read.next, 4);
  });

  it('stores nothing of a batch with one invalid event, naming its line', async () => {
    const flow = await newFlow();
    const missingId = JSON.stringify({ specversion: '1.0', source: 'urn:test', type: 't' });
    const r = await writeLines(alice, flow, [event(1), event(2), missingId, event(4)]);
    expectReply(r, 554, /^line 3: .*id/);
    expectReply(r, 554, 'nothing of this batch was stored');
    expectReply(
      await writeLines(alice, flow, [event(1), '{not json', event(3)]),
      554,
      /^line 2: event is not valid JSON/,
    );
    expectReply(await writeLines(alice, flow, ['[1,2]']), 554, /^line 1: event must be a JSON object/);
    const read = await stored(flow);
    assert.equal(read.count, 0);
    assert.equal(read.next, 0);
    assert.equal(body(expectReply(await alice.command(`DESCRIBE FLOW ${flow}`), 250)).next, '0');
    expectReply(await alice.command('NOOP'), 250);
    await assertServes(t);
  });

  it('removes one leading dot of each line (dot-stuffing) and round-trips the events', async () => {
    const flow = await newFlow();
    const tricky = event('dots', '.\r\n.\r\n..');
    // A client that stuffs every line (a leading "." is always removed once) and one that does not.
    expectReply(await writeLines(alice, flow, [`.${event(1)}`, tricky]), 250, '2 accepted');
    assert.deepEqual((await stored(flow)).events, [event(1), tricky]);
    // ".." is an event line holding ".", not the end of the batch: it is refused and the batch goes on.
    expectReply(
      await writeLines(alice, flow, [event(2), '..', event(3)]),
      554,
      /^line 2: event is not valid JSON/,
    );
    expectReply(await alice.command('NOOP'), 250, 'OK');
    assert.equal((await stored(flow)).next, 2);
    await assertServes(t);
  });

  it('refuses an event over maxEventOctets naming its line, reads on to "." and stays in sync', async () => {
    const flow = await newFlow();
    const big = event('big', 'x'.repeat(MAX_EVENT));
    assert.ok(Buffer.byteLength(big) > MAX_EVENT);
    expectReply(await alice.command(`WRITE FLOW ${flow}`), 354);
    // The big event arrives in pieces, as a slow client would send it.
    const data = Buffer.from(`${event(1)}\r\n${big}\r\n${event(3)}\r\n.\r\n`);
    for (let i = 0; i < data.length; i += 300) alice.send(data.subarray(i, i + 300));
    expectReply(await alice.reply(), 554, `line 2: event exceeds ${MAX_EVENT} octets`);
    expectReply(await alice.command('NOOP'), 250, 'OK');
    assert.equal((await stored(flow)).count, 0);
    // An event of exactly the limit is fine.
    const padding = MAX_EVENT - Buffer.byteLength(event('fit', ''));
    const fit = event('fit', 'y'.repeat(padding));
    assert.equal(Buffer.byteLength(fit), MAX_EVENT);
    await writeEvents(alice, flow, [fit]);
    await assertServes(t);
  });

  it(`refuses a batch of more than maxBatchEvents (${MAX_BATCH}) events`, async () => {
    const flow = await newFlow();
    const events = Array.from({ length: MAX_BATCH + 2 }, (_, i) => event(i));
    expectReply(await writeLines(alice, flow, events), 554, `batch exceeds ${MAX_BATCH} events`);
    expectReply(await alice.command('NOOP'), 250);
    assert.equal((await stored(flow)).count, 0);
    await writeEvents(alice, flow, events.slice(0, MAX_BATCH));
    assert.equal((await stored(flow)).count, MAX_BATCH);
    await assertServes(t);
  });

  it(`refuses a batch of more than maxBatchOctets (${MAX_BATCH_OCTETS}) octets`, async () => {
    const flow = await newFlow();
    const events = Array.from({ length: 4 }, (_, i) => event(i, 'z'.repeat(900)));
    expectReply(await writeLines(alice, flow, events), 554, `batch exceeds ${MAX_BATCH_OCTETS} octets`);
    expectReply(await alice.command('NOOP'), 250);
    assert.equal((await stored(flow)).count, 0);
    await writeEvents(alice, flow, events.slice(0, 3));
    await assertServes(t);
  });

  it('refuses an empty batch', async () => {
    const flow = await newFlow();
    expectReply(await writeLines(alice, flow, []), 554, 'empty batch');
    expectReply(await alice.command('NOOP'), 250);
    await assertServes(t);
  });

  it('stores nothing for a client that disconnects inside WRITE FLOW', async () => {
    const flow = await newFlow();
    const leaver = await login(t, 'alice');
    const sessions = t.agent.server.sessionCount;
    expectReply(await leaver.command(`WRITE FLOW ${flow}`), 354);
    leaver.send(`${event(1)}\r\n${event(2)}\r\n`);
    // Make sure the agent has read the events before the client leaves.
    await new Promise((resolve) => setTimeout(resolve, 100));
    leaver.close();
    await eventually(() => t.agent.server.sessionCount < sessions, 'the agent noticed the client left');
    assert.equal(body(expectReply(await alice.command(`DESCRIBE FLOW ${flow}`), 250)).next, '0');
    assert.equal((await stored(flow)).count, 0);
    await writeEvents(alice, flow, [event(3)]);
    assert.deepEqual((await stored(flow)).events, [event(3)]);
  });

  it("answers WRITE FLOW on someone else's flow with 550 without entering data mode", async () => {
    const priv = await newFlow();
    const pub = await newFlow('public');
    const bob = await login(t, 'bob');
    expectReply(await bob.command(`WRITE FLOW ${priv}`), 550, 'does not exist');
    // Still in command mode: NOOP is a command, not an event line.
    expectReply(await bob.command('NOOP'), 250, 'OK');
    expectReply(await bob.command(`WRITE FLOW ${pub}`), 550, 'only the owner');
    expectReply(await bob.command('NOOP'), 250, 'OK');
    expectReply(await bob.command(`WRITE FLOW nosuch.${NAMESPACE}`), 550, 'does not exist');
    expectReply(await bob.command('WRITE FLOW bad_name.example.test'), 553);
    expectReply(await bob.command('WRITE FLOW'), 501, 'WRITE FLOW <flow>');
    expectReply(await bob.command('NOOP'), 250, 'OK');
    bob.close();
    const anon = await loginAnonymous(t);
    expectReply(await anon.command(`WRITE FLOW ${pub}`), 550, 'anonymous');
    expectReply(await anon.command('NOOP'), 250, 'OK');
    anon.close();
    assert.equal((await stored(pub)).count, 0);
    await assertServes(t);
  });

  it('treats command words inside the batch as event lines', async () => {
    const flow = await newFlow();
    expectReply(await writeLines(alice, flow, [event(1), 'QUIT', event(3)]), 554, /^line 2: /);
    expectReply(await alice.command('NOOP'), 250);
    assert.equal((await stored(flow)).count, 0);
  });

  it('refuses an event with invalid UTF-8, a NUL byte or a bare CR, naming its line and the real reason', async () => {
    const flow = await newFlow();
    const cases: [Buffer, number][] = [
      [
        Buffer.concat([
          Buffer.from(`${event(1)}\r\n{"a":"`),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('"}\r\n'),
        ]),
        2,
      ],
      [Buffer.from(`${event(1)}\r\n${event(2)}\r\n${event(3).replace('event 3', 'event\u00003')}\r\n`), 3],
      [Buffer.from(`${event(1).replace('event 1', 'event\r1')}\r\n`), 1],
    ];
    for (const [data, line] of cases) {
      expectReply(await alice.command(`WRITE FLOW ${flow}`), 354);
      alice.send(Buffer.concat([data, Buffer.from('.\r\n')]));
      const r = expectReply(await alice.reply(), 554, new RegExp(`^line ${line}: `));
      // These events are a few dozen octets: a reply saying they are too big misleads the writer.
      assert.doesNotMatch(r.lines[0] ?? '', /exceeds/, `wrong reason for a short event: ${r.raw.trim()}`);
      expectReply(await alice.command('NOOP'), 250);
    }
    assert.equal((await stored(flow)).count, 0);
  });
});
