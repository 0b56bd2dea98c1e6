/**
 * Session limits over real sockets: sessions per address and in all, commands before
 * authentication, and the idle timeout (which a long poll is not).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import {
  assertServes,
  event,
  eventually,
  expectReply,
  firstLineFrom,
  login,
  readResult,
  writeEvents,
} from './helpers.ts';

describe('session limits on connect', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ limits: { maxSessionsPerAddress: 2, maxSessions: 3 } });
  });
  after(() => t.dispose());

  it('refuses the session past maxSessionsPerAddress and past maxSessions with 421', async () => {
    const a = await firstLineFrom(t.port, '127.0.0.1');
    const b = await firstLineFrom(t.port, '127.0.0.1');
    assert.match(a.line, /^220 /);
    assert.match(b.line, /^220 /);
    // A third from the same address is refused...
    const c = await firstLineFrom(t.port, '127.0.0.1');
    assert.equal(c.line, `421 ${FQDN} too many sessions`);
    await eventually(() => c.socket.destroyed || c.socket.readableEnded, 'the refused session was closed');
    // ...one from another address fits under maxSessions (3)...
    const d = await firstLineFrom(t.port, '127.0.0.2');
    assert.match(d.line, /^220 /);
    // ...and the fourth session, from yet another address, is over maxSessions.
    const e = await firstLineFrom(t.port, '127.0.0.3');
    assert.equal(e.line, `421 ${FQDN} too many sessions`);
    // The sessions that were let in are served.
    a.socket.write('NOOP\r\n');
    await eventually(() => a.socket.bytesRead > a.line.length + 2, 'the NOOP was answered');
    // Once one leaves, a new session from the first address is accepted again.
    b.socket.destroy();
    c.socket.destroy();
    e.socket.destroy();
    await eventually(() => t.agent.server.sessionCount === 2, 'the agent noticed the session left');
    const f = await firstLineFrom(t.port, '127.0.0.1');
    assert.match(f.line, /^220 /);
    for (const s of [a, d, f]) s.socket.destroy();
    await eventually(() => t.agent.server.sessionCount === 0, 'all sessions closed');
    await assertServes(t);
  });
});

describe('commands before authentication', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ limits: { maxUnauthenticatedCommands: 3 } });
  });
  after(() => t.dispose());

  it('closes with 421 past maxUnauthenticatedCommands', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('HELLO x'), 250);
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('NOOP'), 421, `${FQDN} too many commands without authentication`);
    await c.waitClosed();
    await assertServes(t);
  });

  it('does not limit commands after authentication', async () => {
    const c = await login(t, 'alice');
    for (let i = 0; i < 10; i++) expectReply(await c.command('NOOP'), 250);
    c.close();
  });
});

describe('idle timeout', () => {
  const IDLE_MS = 1500;
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ limits: { idleTimeoutMs: IDLE_MS } });
  });
  after(() => t.dispose());

  it('closes an idle session with 421', async () => {
    const c = await RawClient.open(t.port);
    const started = Date.now();
    expectReply(await c.reply(IDLE_MS * 10), 421, `${FQDN} idle timeout`);
    assert.ok(Date.now() - started >= IDLE_MS - 100, 'closed before the idle timeout');
    await c.waitClosed();
    await assertServes(t);
  });

  it('closes a session that trickles octets without ever completing a line', async () => {
    const c = await RawClient.open(t.port);
    const started = Date.now();
    // One octet every IDLE_MS / 5: the socket is never quiet, but no line is ever complete.
    const trickle = setInterval(() => c.send('x'), IDLE_MS / 5);
    try {
      expectReply(await c.reply(IDLE_MS * 10), 421, `${FQDN} idle timeout`);
    } finally {
      clearInterval(trickle);
    }
    assert.ok(Date.now() - started >= IDLE_MS - 100, 'closed before the idle timeout');
    await c.waitClosed();
    await assertServes(t);
  });

  it('keeps a session that completes a line now and then', async () => {
    const c = await RawClient.open(t.port);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 3));
      expectReply(await c.command('NOOP'), 250);
    }
    c.close();
  });

  it('closes an idle session inside WRITE FLOW with 421 and stores nothing', async () => {
    const flow = `idle.${NAMESPACE}`;
    const c = await login(t, 'alice');
    expectReply(await c.command(`CREATE FLOW ${flow}`), 250);
    expectReply(await c.command(`WRITE FLOW ${flow}`), 354);
    c.send(`${event(1)}\r\n`);
    expectReply(await c.reply(IDLE_MS * 10), 421, 'idle timeout');
    await c.waitClosed();
    const d = await login(t, 'alice');
    assert.equal(readResult(await d.command(`READ FLOW ${flow} FROM 0`)).count, 0);
    d.close();
  });

  it('does not count a long poll (READ FLOW ... WAIT) as idleness', async () => {
    const flow = `poll.${NAMESPACE}`;
    const c = await login(t, 'alice');
    expectReply(await c.command(`CREATE FLOW ${flow}`), 250);
    const waitSeconds = Math.ceil((IDLE_MS * 2) / 1000);
    const r = readResult(
      await c.command(`READ FLOW ${flow} FROM 0 WAIT ${waitSeconds}`, waitSeconds * 10_000),
    );
    assert.equal(r.count, 0);
    expectReply(await c.command('NOOP'), 250);
    await writeEvents(c, flow, [event(1)]);
    c.close();
  });
});
