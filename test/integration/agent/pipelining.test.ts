/**
 * Pipelining (RFC 2920 style): many commands in one write get their replies in order, one command
 * at a time, including past the agent's queue limit where it stops reading for a while.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import { MAX_QUEUED_LINES } from '../../../src/agent/connection.ts';
import {
  assertServes,
  body,
  event,
  expectReply,
  lastLine,
  login,
  plainResponse,
  readResult,
  writeEvents,
} from './helpers.ts';

describe('pipelining', () => {
  let t: TestAgent;
  let alice: RawClient;
  const flow = `pipe.${NAMESPACE}`;
  before(async () => {
    t = await startTestAgent();
    alice = await login(t, 'alice');
    expectReply(await alice.command(`CREATE FLOW ${flow}`), 250);
    await writeEvents(alice, flow, [event(0), event(1), event(2)]);
  });
  after(async () => {
    alice.close();
    await t.dispose();
  });

  it('answers 100 pipelined NOOPs in one write with 100 replies', async () => {
    alice.send('NOOP\r\n'.repeat(100));
    for (let i = 0; i < 100; i++) expectReply(await alice.reply(), 250, 'OK');
    expectReply(await alice.command('HELLO after'), 250, `${FQDN} greets after`);
  });

  it('answers 100 mixed pipelined commands in order', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      switch (i % 4) {
        case 0:
          lines.push(`DESCRIBE FLOW ${flow}`);
          break;
        case 1:
          lines.push(`READ FLOW ${flow} FROM ${i % 3} LIMIT 1`);
          break;
        case 2:
          lines.push(`HELLO client-${i}`);
          break;
        default:
          lines.push(`DESCRIBE FLOW missing${i}.${NAMESPACE}`);
      }
    }
    alice.send(lines.map((l) => `${l}\r\n`).join(''));
    for (let i = 0; i < 100; i++) {
      const r = await alice.reply();
      switch (i % 4) {
        case 0:
          assert.equal(body(expectReply(r, 250)).flow, flow);
          break;
        case 1: {
          const read = readResult(r);
          assert.deepEqual(read.events, [event(i % 3)]);
          break;
        }
        case 2:
          expectReply(r, 250, `greets client-${i}`);
          break;
        default:
          expectReply(r, 550, `flow missing${i}.${NAMESPACE} does not exist`);
      }
    }
  });

  it(`answers ${MAX_QUEUED_LINES * 4} pipelined commands, more than the queue holds`, async () => {
    const count = MAX_QUEUED_LINES * 4;
    alice.send(Array.from({ length: count }, (_, i) => (i % 2 ? 'NOOP\r\n' : `HELLO n${i}\r\n`)).join(''));
    for (let i = 0; i < count; i++) {
      const r = await alice.reply(15_000);
      if (i % 2) expectReply(r, 250, 'OK');
      else assert.equal(r.lines[0], `${FQDN} greets n${i}`);
    }
    expectReply(await alice.command('NOOP'), 250);
    await assertServes(t);
  });

  it('runs a WRITE FLOW batch and the commands behind its "." in order', async () => {
    const c = await login(t, 'alice');
    expectReply(await c.command(`WRITE FLOW ${flow}`), 354);
    c.send(`${event(3)}\r\n.\r\nREAD FLOW ${flow} FROM 3\r\nNOOP\r\n`);
    expectReply(await c.reply(), 250, '1 accepted next=4');
    const read = readResult(await c.reply());
    assert.deepEqual(read.events, [event(3)]);
    expectReply(await c.reply(), 250, 'OK');
    c.close();
  });

  it('answers every command of a client that half-closes right after sending them (printf ... | nc)', async () => {
    const pub = `public-pipe.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${pub} visibility=public`), 250);
    const c = await RawClient.open(t.port);
    // The READ waits a second: the agent sees the end of the input long before it has answered.
    c.socket.end(
      `NOOP\r\nAUTHENTICATE ANONYMOUS =\r\nREAD FLOW ${pub} WAIT 1\r\nDESCRIBE FLOW ${pub}\r\nQUIT\r\n`,
    );
    expectReply(await c.reply(), 250, 'OK');
    expectReply(await c.reply(), 235, 'authenticated as anonymous');
    assert.equal(readResult(await c.reply()).count, 0);
    assert.equal(body(expectReply(await c.reply(), 250)).flow, pub);
    expectReply(await c.reply(), 221, `${FQDN} closing`);
    await c.waitClosed();
  });

  it('answers a half-closed implicit-TLS session, then closes it even without QUIT', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    const flow = `halfclose.${NAMESPACE}`;
    c.socket.end(
      `AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}\r\nCREATE FLOW ${flow}\r\nDESCRIBE FLOW ${flow}\r\n`,
    );
    expectReply(await c.reply(), 235, 'authenticated as alice');
    expectReply(await c.reply(), 250, `flow ${flow} created`);
    assert.equal(body(expectReply(await c.reply(), 250)).flow, flow);
    await c.waitClosed();
    await assertServes(t);
  });

  it('keeps order when an early command fails', async () => {
    alice.send(`FROB\r\nLIST FLOWS\r\nCREATE FLOW bad_name.${NAMESPACE}\r\nNOOP\r\n`);
    expectReply(await alice.reply(), 502, 'unknown command "FROB"');
    const list = expectReply(await alice.reply(), 250);
    assert.match(lastLine(list), /^\d+ flows$/);
    expectReply(await alice.reply(), 553);
    expectReply(await alice.reply(), 250, 'OK');
  });
});
