/**
 * READ FLOW over the wire: FROM / LIMIT / WAIT, the identity's committed position, and the
 * SQS-style long poll that returns as soon as another client writes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import type { RawClient } from '../../support/raw-client.ts';
import {
  assertServes,
  event,
  eventually,
  expectReply,
  localBroker,
  login,
  loginAnonymous,
  readResult,
  writeEvents,
} from './helpers.ts';

const MAX_READ = 10;
const MAX_WAIT = 30;

describe('READ FLOW', () => {
  let t: TestAgent;
  let alice: RawClient;
  let n = 0;
  const newFlow = async (events: number, visibility = 'private'): Promise<string> => {
    const flow = `r${++n}.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${flow} visibility=${visibility}`), 250);
    if (events > 0)
      await writeEvents(
        alice,
        flow,
        Array.from({ length: events }, (_, i) => event(i)),
      );
    return flow;
  };

  before(async () => {
    t = await startTestAgent({
      limits: { maxReadEvents: MAX_READ, defaultReadEvents: 4, maxWaitSeconds: MAX_WAIT },
    });
    alice = await login(t, 'alice');
  });
  after(async () => {
    alice.close();
    await t.dispose();
  });

  it('reads from a position, up to LIMIT, and says where to go on', async () => {
    const flow = await newFlow(5);
    let r = readResult(await alice.command(`READ FLOW ${flow} FROM 0 LIMIT 2`));
    assert.deepEqual(r.events, [event(0), event(1)]);
    assert.deepEqual([r.next, r.count], [2, 2]);
    r = readResult(await alice.command(`READ FLOW ${flow} FROM 2 LIMIT 10`));
    assert.deepEqual(r.events, [event(2), event(3), event(4)]);
    assert.deepEqual([r.next, r.count], [5, 3]);
    r = readResult(await alice.command(`READ FLOW ${flow} FROM 5`));
    assert.deepEqual([r.next, r.count], [5, 0]);
    r = readResult(await alice.command(`READ FLOW ${flow} FROM latest`));
    assert.deepEqual([r.next, r.count], [5, 0]);
    r = readResult(await alice.command(`READ FLOW ${flow} FROM earliest LIMIT 1`));
    assert.deepEqual(r.events, [event(0)]);
    // Options in any order, keywords in any case, the flow as a URI.
    r = readResult(await alice.command(`read flow flow://${flow} limit 1 from 3`));
    assert.deepEqual(r.events, [event(3)]);
    assert.equal(r.next, 4);
    // Without LIMIT, defaultReadEvents (4 here).
    assert.equal(readResult(await alice.command(`READ FLOW ${flow} FROM 0`)).count, 4);
  });

  it('accepts positions up to 2^53 - 1, reading from next when above it', async () => {
    const flow = await newFlow(2);
    for (const position of ['1000000000000000', String(Number.MAX_SAFE_INTEGER)]) {
      const r = readResult(await alice.command(`READ FLOW ${flow} FROM ${position}`));
      assert.deepEqual([r.next, r.count], [2, 0]);
    }
    expectReply(await alice.command(`READ FLOW ${flow} FROM ${Number.MAX_SAFE_INTEGER + 1}`), 501, 'FROM');
  });

  it('refuses LIMIT over maxReadEvents, WAIT over maxWaitSeconds and bad options with 501', async () => {
    const flow = await newFlow(1);
    expectReply(
      await alice.command(`READ FLOW ${flow} LIMIT ${MAX_READ + 1}`),
      501,
      `LIMIT must be between 1 and ${MAX_READ}`,
    );
    expectReply(await alice.command(`READ FLOW ${flow} LIMIT 0`), 501, 'LIMIT');
    expectReply(
      await alice.command(`READ FLOW ${flow} WAIT ${MAX_WAIT + 1}`),
      501,
      `WAIT must be between 0 and ${MAX_WAIT}`,
    );
    expectReply(await alice.command(`READ FLOW ${flow} FROM -1`), 501, 'FROM');
    expectReply(await alice.command(`READ FLOW ${flow} FROM soon`), 501, 'FROM');
    expectReply(await alice.command(`READ FLOW ${flow} LIMIT`), 501, 'LIMIT needs a value');
    expectReply(await alice.command(`READ FLOW ${flow} LIMIT 1 LIMIT 2`), 501, 'given twice');
    expectReply(await alice.command(`READ FLOW ${flow} SINCE 0`), 501, 'unknown READ FLOW option');
    expectReply(await alice.command(`READ FLOW nosuch.${NAMESPACE}`), 550, 'does not exist');
    assert.equal(readResult(await alice.command(`READ FLOW ${flow} LIMIT ${MAX_READ}`)).count, 1);
    await assertServes(t);
  });

  it('advances the committed position between reads without FROM, per identity', async () => {
    const flow = await newFlow(5, 'public');
    let r = readResult(await alice.command(`READ FLOW ${flow} LIMIT 2`));
    assert.deepEqual(r.events, [event(0), event(1)]);
    r = readResult(await alice.command(`READ FLOW ${flow} LIMIT 2`));
    assert.deepEqual(r.events, [event(2), event(3)]);
    // A read with FROM neither uses nor moves the committed position.
    assert.equal(readResult(await alice.command(`READ FLOW ${flow} FROM 0 LIMIT 1`)).next, 1);
    r = readResult(await alice.command(`READ FLOW ${flow}`));
    assert.deepEqual(r.events, [event(4)]);
    assert.deepEqual([r.next, r.count], [5, 1]);
    assert.deepEqual(readResult(await alice.command(`READ FLOW ${flow}`)).count, 0);

    // The position belongs to the identity: a second session of alice goes on from it...
    const again = await login(t, 'alice');
    await writeEvents(alice, flow, [event(5)]);
    assert.deepEqual(readResult(await again.command(`READ FLOW ${flow}`)).events, [event(5)]);
    again.close();
    // ...while bob has his own, and anonymous sessions never commit.
    const bob = await login(t, 'bob');
    assert.deepEqual(readResult(await bob.command(`READ FLOW ${flow} LIMIT 1`)).events, [event(0)]);
    assert.deepEqual(readResult(await bob.command(`READ FLOW ${flow} LIMIT 1`)).events, [event(1)]);
    bob.close();
    const anon = await loginAnonymous(t);
    assert.deepEqual(readResult(await anon.command(`READ FLOW ${flow} LIMIT 1`)).events, [event(0)]);
    assert.deepEqual(readResult(await anon.command(`READ FLOW ${flow} LIMIT 1`)).events, [event(0)]);
    anon.close();
  });

  it('long-polls with WAIT and returns as soon as another client writes', async () => {
    const flow = await newFlow(2);
    const reader = await login(t, 'alice');
    const started = Date.now();
    reader.send(`READ FLOW ${flow} FROM 2 WAIT ${MAX_WAIT}\r\n`);
    await eventually(() => localBroker(t).waiterCount(flow) === 1, 'the reader is waiting');
    await writeEvents(alice, flow, [event('late')]);
    const r = readResult(await reader.reply(MAX_WAIT * 1000));
    const elapsed = Date.now() - started;
    assert.deepEqual(r.events, [event('late')]);
    assert.deepEqual([r.next, r.count], [3, 1]);
    assert.ok(elapsed < (MAX_WAIT * 1000) / 2, `the long poll took ${elapsed} ms of its ${MAX_WAIT} s`);
    expectReply(await reader.command('NOOP'), 250);
    reader.close();
  });

  it('answers WAIT with no event once the wait has passed, with count=0', async () => {
    const flow = await newFlow(1);
    const started = Date.now();
    const r = readResult(await alice.command(`READ FLOW ${flow} FROM latest WAIT 1`, 15_000));
    assert.deepEqual([r.next, r.count], [1, 0]);
    assert.ok(Date.now() - started >= 900, 'WAIT 1 answered before its second passed');
    // Events already there: WAIT does not wait.
    const quick = readResult(await alice.command(`READ FLOW ${flow} FROM 0 WAIT ${MAX_WAIT}`, 15_000));
    assert.equal(quick.count, 1);
  });

  it('keeps other sessions served while one long-polls', async () => {
    const flow = await newFlow(0);
    const reader = await login(t, 'alice');
    reader.send(`READ FLOW ${flow} WAIT ${MAX_WAIT}\r\n`);
    await eventually(() => localBroker(t).waiterCount(flow) === 1, 'the reader is waiting');
    await assertServes(t);
    expectReply(await alice.command(`DESCRIBE FLOW ${flow}`), 250);
    await writeEvents(alice, flow, [event('x')]);
    assert.equal(readResult(await reader.reply(MAX_WAIT * 1000)).count, 1);
    reader.close();
  });
});
