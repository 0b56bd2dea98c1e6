import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parseReadOptions, readFlowCommand } from '../../../src/agent/commands/read-flow.ts';
import type { ReadOptions } from '../../../src/agent/commands/read-flow.ts';
import { DEFAULT_LIMITS } from '../../../src/agent/limits.ts';
import type { AgentLimits } from '../../../src/agent/limits.ts';
import { appendEvents, createFlow } from '../../../src/core/flows.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { SERVED, alice, anonymous, bob, events, isKind } from '../core/helpers.ts';
import type { CommandFixture } from './helpers.ts';
import { assertReply, commandFixture, exec, execReply } from './helpers.ts';

const ORDERS = `orders.${SERVED}`;

describe('parseReadOptions', () => {
  const defaults: ReadOptions = { start: 'committed', limit: 100, waitSeconds: 0 };
  const valid: readonly [string, Partial<ReadOptions>][] = [
    ['', {}],
    ['FROM 0', { start: 0 }],
    ['FROM 42', { start: 42 }],
    ['FROM 999999999999999', { start: 999_999_999_999_999 }],
    ['FROM earliest', { start: 'earliest' }],
    ['from EARLIEST', { start: 'earliest' }],
    ['FROM Latest', { start: 'latest' }],
    ['LIMIT 1', { limit: 1 }],
    ['LIMIT 1000', { limit: 1000 }],
    ['WAIT 0', { waitSeconds: 0 }],
    ['WAIT 60', { waitSeconds: 60 }],
    ['FROM 3 LIMIT 10 WAIT 5', { start: 3, limit: 10, waitSeconds: 5 }],
    ['WAIT 5 FROM 3 LIMIT 10', { start: 3, limit: 10, waitSeconds: 5 }],
    ['limit 10 wait 5 from latest', { start: 'latest', limit: 10, waitSeconds: 5 }],
    ['LIMIT 007', { limit: 7 }],
  ];
  for (const [line, expected] of valid) {
    it(`accepts "${line}"`, () => {
      const args = line === '' ? [] : line.split(' ');
      assert.deepEqual(parseReadOptions(args, DEFAULT_LIMITS), { ...defaults, ...expected });
    });
  }

  const invalid: readonly [string, RegExp][] = [
    ['FROM', /FROM needs a value; syntax: READ FLOW/],
    ['FROM 1 LIMIT', /LIMIT needs a value/],
    ['FROM 1 FROM 2', /FROM given twice/],
    ['from 1 FROM 2', /FROM given twice/],
    ['LIMIT 5 WAIT 1 limit 6', /LIMIT given twice/],
    ['WAIT 1 WAIT 1', /WAIT given twice/],
    ['FROM -1', /FROM must be a whole number, not "-1"/],
    ['FROM 1.5', /FROM must be a whole number/],
    ['FROM 0x10', /FROM must be a whole number/],
    ['FROM first', /FROM must be a whole number, not "first"/],
    ['FROM 1e3', /FROM must be a whole number/],
    ['FROM 9999999999999999', /FROM must be between 0 and 9007199254740991, not 9999999999999999/],
    ['FROM 12345678901234567', /FROM must be a whole number/],
    ['LIMIT 0', /LIMIT must be between 1 and 1000, not 0/],
    ['LIMIT 1001', /LIMIT must be between 1 and 1000, not 1001/],
    ['LIMIT many', /LIMIT must be a whole number/],
    ['WAIT 61', /WAIT must be between 0 and 60, not 61/],
    ['WAIT -1', /WAIT must be a whole number/],
    ['AFTER 3', /unknown READ FLOW option "AFTER"; syntax: READ FLOW/],
    ['3', /unknown READ FLOW option "3"/],
    ['FROM 1 BOGUS', /unknown READ FLOW option "BOGUS"/],
    ['FROM 1 BOGUS 2 BOGUS 3', /unknown READ FLOW option "BOGUS"/],
  ];
  for (const [line, message] of invalid) {
    it(`refuses "${line}"`, () => {
      assert.throws(
        () => parseReadOptions(line.split(' '), DEFAULT_LIMITS),
        isKind('invalid-argument', message),
      );
    });
  }

  it('follows the configured limits', () => {
    const limits: AgentLimits = {
      ...DEFAULT_LIMITS,
      maxReadEvents: 50,
      defaultReadEvents: 20,
      maxWaitSeconds: 5,
    };
    assert.deepEqual(parseReadOptions([], limits), { start: 'committed', limit: 20, waitSeconds: 0 });
    assert.equal(parseReadOptions(['LIMIT', '50'], limits).limit, 50);
    assert.throws(
      () => parseReadOptions(['LIMIT', '51'], limits),
      isKind('invalid-argument', /between 1 and 50/),
    );
    assert.throws(
      () => parseReadOptions(['WAIT', '6'], limits),
      isKind('invalid-argument', /between 0 and 5/),
    );
  });
});

describe('READ FLOW', () => {
  /** alice's public ORDERS with 5 events. */
  async function five(f: CommandFixture): Promise<void> {
    const flow = await createFlow(f.deps, alice, ORDERS, { visibility: 'public' });
    await appendEvents(f.deps, flow, events(5));
  }

  it('answers the events as JSON lines, closed by next= and count=', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const result = await exec(f.ctx({ identity: alice }), `READ FLOW ${ORDERS} FROM 1 LIMIT 3`);
    assert.ok(result.kind === 'reply');
    assert.equal(result.afterSend, undefined);
    assert.deepEqual(result.reply, { code: 250, lines: [...events(5).slice(1, 4), 'next=4 count=3'] });
  });

  const table: readonly [string, string, string[], string][] = [
    ['FROM earliest', 'FROM earliest', events(5), 'next=5 count=5'],
    ['FROM latest', 'FROM latest', [], 'next=5 count=0'],
    ['FROM past the end', 'FROM 99', [], 'next=5 count=0'],
    ['LIMIT, lower-case keywords', 'limit 2 from 2', events(5).slice(2, 4), 'next=4 count=2'],
  ];
  for (const [what, options, lines, last] of table) {
    it(what, async (t) => {
      const f = await commandFixture(t);
      await five(f);
      const r = await execReply(f.ctx({ identity: alice }), `READ FLOW flow://${ORDERS} ${options}`);
      assert.deepEqual(r, { code: 250, lines: [...lines, last] });
    });
  }

  it('stops adding events past maxReadOctets (at least one is sent)', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const r = await execReply(
      f.ctx({ identity: alice, limits: { maxReadOctets: 1 } }),
      `READ FLOW ${ORDERS} FROM 0`,
    );
    assert.deepEqual(r.lines, [events(1)[0], 'next=1 count=1']);
  });

  it('without FROM, reads from the committed position and commits after the reply', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const ctx = f.ctx({ identity: alice });
    const first = await exec(ctx, `READ FLOW ${ORDERS} LIMIT 2`);
    assert.ok(first.kind === 'reply');
    assert.equal(first.reply.lines.at(-1), 'next=2 count=2');
    assert.ok(first.afterSend, 'a commit after the reply');
    // Nothing is committed before the reply is sent.
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), undefined);
    await first.afterSend();
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), 2);
    const second = await exec(ctx, `READ FLOW ${ORDERS}`);
    assert.ok(second.kind === 'reply');
    assert.deepEqual(second.reply.lines, [...events(5).slice(2), 'next=5 count=3']);
    await second.afterSend?.();
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), 5);
  });

  it('never commits for an anonymous session', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const result = await exec(f.ctx({ identity: anonymous }), `READ FLOW ${ORDERS} LIMIT 1`);
    assert.ok(result.kind === 'reply');
    assert.deepEqual(result.reply.lines, [events(1)[0], 'next=1 count=1']);
    assert.equal(result.afterSend, undefined);
  });

  it('WAIT answers as soon as an event arrives', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const started = Date.now();
    const pending = execReply(f.ctx({ identity: alice }), `READ FLOW ${ORDERS} FROM latest WAIT 30`);
    await delay(50);
    const flow = await f.registry.getFlow(ORDERS);
    assert.ok(flow);
    await appendEvents(f.deps, flow, events(1, 'late'));
    assert.deepEqual((await pending).lines, [events(1, 'late')[0], 'next=6 count=1']);
    assert.ok(Date.now() - started < 10_000);
  });

  it('WAIT is cut short when the agent shuts down (the signal aborts)', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const controller = new AbortController();
    const started = Date.now();
    const pending = execReply(
      f.ctx({ identity: alice, signal: controller.signal }),
      `READ FLOW ${ORDERS} FROM latest WAIT 30`,
    );
    await delay(50);
    controller.abort();
    assert.deepEqual((await pending).lines, ['next=5 count=0']);
    assert.ok(Date.now() - started < 10_000);
  });

  const refusals: readonly [string, Identity, string, number, RegExp][] = [
    ['a private flow of someone else', bob, `READ FLOW ${ORDERS}`, 550, /does not exist/],
    ['a missing flow', alice, `READ FLOW nope.${SERVED}`, 550, /does not exist/],
    ['a bad name', alice, 'READ FLOW nope', 553, /at least two labels/],
    ['no flow', alice, 'READ FLOW', 501, /syntax: READ FLOW <flow>/],
    ['too many arguments', alice, `READ FLOW ${ORDERS} FROM 1 LIMIT 1 WAIT 1 FROM 2`, 501, /syntax/],
    [
      'LIMIT above the maximum',
      alice,
      `READ FLOW ${ORDERS} LIMIT 1001`,
      501,
      /LIMIT must be between 1 and 1000/,
    ],
    ['WAIT above the maximum', alice, `READ FLOW ${ORDERS} WAIT 61`, 501, /WAIT must be between 0 and 60/],
    ['a duplicate option', alice, `READ FLOW ${ORDERS} FROM 1 FROM 2`, 501, /FROM given twice/],
  ];
  for (const [what, identity, line, code, message] of refusals) {
    it(`refuses ${what} with ${code}`, async (t) => {
      const f = await commandFixture(t);
      await createFlow(f.deps, alice, ORDERS);
      assertReply(await execReply(f.ctx({ identity }), line), code, message);
    });
  }

  it('checks the options before the flow', async (t) => {
    const f = await commandFixture(t);
    assertReply(
      await execReply(f.ctx({ identity: alice }), `READ FLOW nope.${SERVED} LIMIT 0`),
      501,
      /LIMIT/,
    );
  });

  it('is called directly with the flow as first argument', async (t) => {
    const f = await commandFixture(t);
    await five(f);
    const result = await readFlowCommand([ORDERS, 'FROM', '4'], f.ctx({ identity: alice }));
    assert.ok(result.kind === 'reply');
    assert.deepEqual(result.reply.lines, [events(5)[4], 'next=5 count=1']);
  });
});
