import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBatch, writeFlowCommand } from '../../../src/agent/commands/write-flow.ts';
import { DEFAULT_LIMITS } from '../../../src/agent/limits.ts';
import type { AgentLimits } from '../../../src/agent/limits.ts';
import { createFlow } from '../../../src/core/flows.ts';
import type { Identity } from '../../../src/core/identity.ts';
import type { FlowRecord } from '../../../src/ports/registry.ts';
import type { Reply } from '../../../src/protocol/reply.ts';
import { SERVED, alice, anonymous, bob, brokerWith, event, events, ids } from '../core/helpers.ts';
import type { CommandFixture } from './helpers.ts';
import { assertReply, commandFixture, exec, execReply, run } from './helpers.ts';

const ORDERS = `orders.${SERVED}`;
const NEWS = `news.${SERVED}`;

/** Stands for a line over maxEventOctets, which the connection reports with fault('too-long'). */
const OVERSIZED = '<oversized>';

/** Feeds `lines` to a new batch on ORDERS; returns what line() answered and the final reply. */
async function batch(
  f: CommandFixture,
  flow: FlowRecord,
  lines: readonly string[],
  limits: Partial<AgentLimits> = {},
): Promise<{ accepted: boolean[]; reply: Reply }> {
  const sink = new EventBatch(f.deps, flow, { ...DEFAULT_LIMITS, ...limits });
  const accepted: boolean[] = [];
  for (const line of lines) {
    if (line === OVERSIZED) {
      sink.fault('too-long');
      accepted.push(false);
    } else accepted.push(sink.line(line));
  }
  return { accepted, reply: await sink.finish() };
}

async function stored(f: CommandFixture): Promise<string[]> {
  return ids((await f.broker.read(ORDERS, { from: 0, limit: 100_000 })).events);
}

describe('EventBatch', () => {
  it('stores a valid batch: 250 <n> accepted next=<position>', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const first = await batch(f, flow, events(3, 'a'));
    assert.deepEqual(first.accepted, [true, true, true]);
    assert.deepEqual(first.reply, { code: 250, lines: ['3 accepted next=3'] });
    const second = await batch(f, flow, events(2, 'b'));
    assert.deepEqual(second.reply, { code: 250, lines: ['2 accepted next=5'] });
    assert.deepEqual(await stored(f), ['a0', 'a1', 'a2', 'b0', 'b1']);
  });

  it('stores each event as sent (trimmed)', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const text = JSON.stringify({
      specversion: '1.0',
      id: 'x',
      source: '/s',
      type: 't',
      data: { a: [1, 2] },
    });
    await batch(f, flow, [`  ${text}  `]);
    const read = await f.broker.read(ORDERS, { from: 0, limit: 10 });
    assert.deepEqual(
      read.events.map((e) => e.json),
      [text],
    );
  });

  // [what, lines, k, reason]
  const invalid: readonly [string, string[], number, RegExp][] = [
    ['not JSON', [event(1), '{nope', event(3)], 2, /event is not valid JSON/],
    ['a JSON array', ['[1,2]'], 1, /event must be a JSON object/],
    [
      'a missing id',
      [event(1), event(2), JSON.stringify({ specversion: '1.0', source: '/s', type: 't' })],
      3,
      /id/,
    ],
    [
      'a wrong specversion',
      [JSON.stringify({ specversion: '0.3', id: '1', source: '/s', type: 't' })],
      1,
      /specversion/,
    ],
    ['an empty line', [event(1), ''], 2, /not valid JSON/],
    [
      'an upper-case attribute name',
      [JSON.stringify({ specversion: '1.0', id: '1', source: '/s', type: 't', Foo: 1 })],
      1,
      /attribute name/,
    ],
  ];
  for (const [what, lines, k, reason] of invalid) {
    it(`refuses ${what} on line ${k} and stores nothing`, async (t) => {
      const f = await commandFixture(t);
      const flow = await createFlow(f.deps, alice, ORDERS);
      const { accepted, reply } = await batch(f, flow, lines);
      assert.deepEqual(
        accepted,
        lines.map((_, i) => i + 1 < k),
      );
      assertReply(reply, 554, new RegExp(`^line ${k}: `));
      assert.match(reply.lines.join(), reason);
      assert.match(reply.lines.join(), /nothing of this batch was stored/);
      assert.deepEqual(await stored(f), []);
    });
  }

  it('reports the first bad line only', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const { reply } = await batch(f, flow, [event(1), 'bad', 'worse', OVERSIZED]);
    assertReply(reply, 554, /^line 2: event is not valid JSON/);
  });

  it('refuses an oversized line by its number, reading on to the end', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const { accepted, reply } = await batch(f, flow, [event(1), event(2), OVERSIZED, event(4)]);
    assert.deepEqual(accepted, [true, true, false, false]);
    assertReply(reply, 554, /^line 3: event exceeds 1048576 octets; nothing of this batch was stored$/);
    assert.deepEqual(await stored(f), []);
  });

  it('counts an oversized line so that later line numbers stay right', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const sink = new EventBatch(f.deps, flow, DEFAULT_LIMITS);
    sink.fault('too-long');
    assert.equal(sink.line('bad'), false);
    assertReply(await sink.finish(), 554, /^line 1: event exceeds/);
  });

  it('accepts exactly maxBatchEvents events and refuses one more', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const ok = await batch(f, flow, events(3), { maxBatchEvents: 3 });
    assert.deepEqual(ok.reply, { code: 250, lines: ['3 accepted next=3'] });
    const over = await batch(f, flow, [...events(4, 'x'), event('y')], { maxBatchEvents: 3 });
    assert.deepEqual(over.accepted, [true, true, true, false, false]);
    assertReply(over.reply, 554, /^batch exceeds 3 events; nothing of this batch was stored$/);
    assert.deepEqual(await stored(f), ['e0', 'e1', 'e2']);
  });

  it('accepts exactly maxBatchOctets octets and refuses one more', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const lines = events(2);
    const octets = lines.reduce((n, line) => n + Buffer.byteLength(line), 0);
    const ok = await batch(f, flow, lines, { maxBatchOctets: octets });
    assert.equal(ok.reply.code, 250);
    const over = await batch(f, flow, events(2, 'x'), { maxBatchOctets: octets - 1 });
    assert.deepEqual(over.accepted, [true, false]);
    assertReply(over.reply, 554, new RegExp(`^batch exceeds ${octets - 1} octets`));
    assert.deepEqual(await stored(f), ['e0', 'e1']);
  });

  it('counts octets, not characters', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const line = event(1, 'é'.repeat(100));
    const over = await batch(f, flow, [line], { maxBatchOctets: line.length });
    assertReply(over.reply, 554, /^batch exceeds/);
  });

  it('refuses an empty batch', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const { reply } = await batch(f, flow, []);
    assertReply(reply, 554, /^empty batch/);
  });

  it('answers 550 when the flow was deleted before the final dot', async (t) => {
    const f = await commandFixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const sink = new EventBatch(f.deps, flow, DEFAULT_LIMITS);
    assert.equal(sink.line(event(1)), true);
    await f.broker.deleteQueue(ORDERS);
    assertReply(await sink.finish(), 550, /does not exist/);
  });

  it('answers 451 when the broker fails, and throws nothing', async (t) => {
    const f = await commandFixture(t, {
      brokers: (broker) =>
        new Map([['local', brokerWith(broker, { append: () => Promise.reject(new Error('EIO')) })]]),
    });
    const flow = await createFlow(f.deps, alice, ORDERS);
    const { reply } = await batch(f, flow, events(2));
    assertReply(reply, 451, /nothing was changed/);
    assert.deepEqual(await stored(f), []);
  });
});

describe('WRITE FLOW', () => {
  it('checks permission, then enters data mode with a batch for the flow', async (t) => {
    const f = await commandFixture(t);
    await createFlow(f.deps, alice, ORDERS);
    const result = await exec(f.ctx({ identity: alice }), `WRITE FLOW flow://${ORDERS}`);
    assert.ok(result.kind === 'data');
    assert.ok(result.sink instanceof EventBatch);
    assert.equal(result.sink.line(event(1)), true);
    assert.deepEqual(await result.sink.finish(), { code: 250, lines: ['1 accepted next=1'] });
  });

  const refusals: readonly [string, Identity, string, number, RegExp][] = [
    [
      'anonymous, public flow',
      anonymous,
      `WRITE FLOW ${NEWS}`,
      550,
      /anonymous sessions may not write flows/,
    ],
    ['another user, public flow', bob, `WRITE FLOW ${NEWS}`, 550, /only the owner may change/],
    ['another user, private flow', bob, `WRITE FLOW ${ORDERS}`, 550, /does not exist/],
    ['a missing flow', alice, `WRITE FLOW nope.${SERVED}`, 550, /does not exist/],
    ['a bad name', alice, 'WRITE FLOW nope', 553, /at least two labels/],
    ['no flow', alice, 'WRITE FLOW', 501, /syntax: WRITE FLOW <flow>/],
    ['two flows', alice, `WRITE FLOW ${ORDERS} ${NEWS}`, 501, /syntax/],
  ];
  for (const [what, identity, line, code, message] of refusals) {
    it(`refuses ${what} with ${code}, without data mode`, async (t) => {
      const f = await commandFixture(t);
      await createFlow(f.deps, alice, ORDERS);
      await createFlow(f.deps, alice, NEWS, { visibility: 'public' });
      assertReply(await execReply(f.ctx({ identity }), line), code, message);
    });
  }

  it('is called directly with the flow as its argument', async (t) => {
    const f = await commandFixture(t);
    await createFlow(f.deps, alice, ORDERS);
    const result = await run(writeFlowCommand, [ORDERS], f.ctx({ identity: alice }));
    assert.equal(result.kind, 'data');
  });
});
