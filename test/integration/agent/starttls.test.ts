/**
 * STARTTLS (RFC 3207 as FNAP uses it): the upgrade, the new session after it, and the rule that
 * bytes pipelined behind STARTTLS are discarded, never executed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import { assertServes, closedByAgent, expectReply, plainResponse } from './helpers.ts';

describe('STARTTLS', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent();
  });
  after(() => t.dispose());

  it('upgrades the session: HELLO then lists PLAIN and no longer STARTTLS', async () => {
    const c = await RawClient.open(t.port);
    const before = expectReply(await c.command('HELLO tester'), 250, `${FQDN} greets tester`);
    assert.ok(before.lines.includes('STARTTLS'), before.raw);
    const authBefore = before.lines.find((l) => l.startsWith('AUTH '));
    assert.ok(authBefore && !authBefore.split(' ').includes('PLAIN'), before.raw);
    expectReply(await c.command('STARTTLS'), 220, 'ready to start TLS');
    await c.upgrade(t.ca);
    const afterTls = expectReply(await c.command('HELLO tester'), 250, `${FQDN} greets tester`);
    assert.ok(!afterTls.lines.includes('STARTTLS'), afterTls.raw);
    const authAfter = afterTls.lines.find((l) => l.startsWith('AUTH '));
    assert.ok(authAfter?.split(' ').includes('PLAIN'), afterTls.raw);
    expectReply(
      await c.command(`AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}`),
      235,
      'authenticated as alice',
    );
    expectReply(await c.command('STARTTLS'), 503);
    expectReply(
      await c.command(`CREATE FLOW upgraded.${NAMESPACE}`),
      250,
      `flow upgraded.${NAMESPACE} created`,
    );
    expectReply(await c.command('QUIT'), 221, `${FQDN} closing`);
    await closedByAgent(c);
  });

  it('discards commands pipelined behind STARTTLS in the same packet', async () => {
    const flow = `piped.${NAMESPACE}`;
    const c = await RawClient.open(t.port);
    c.send(
      `STARTTLS\r\nAUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}\r\nCREATE FLOW ${flow}\r\nQUIT\r\n`,
    );
    expectReply(await c.reply(), 220, 'ready to start TLS');
    // A 235 or 250 sent in the clear here would also break the handshake.
    await c.upgrade(t.ca);
    // The session is new and unauthenticated: the pipelined AUTHENTICATE, CREATE and QUIT never ran.
    expectReply(await c.command('NOOP'), 250, 'OK');
    expectReply(await c.command(`CREATE FLOW other.${NAMESPACE}`), 530, 'authentication required');
    expectReply(await c.command(`AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}`), 235);
    expectReply(await c.command(`DESCRIBE FLOW ${flow}`), 550, 'does not exist');
    c.close();
    await assertServes(t);
  });

  it('discards a partial line pipelined behind STARTTLS', async () => {
    const c = await RawClient.open(t.port);
    c.send('STARTTLS\r\nNOOP');
    expectReply(await c.reply(), 220);
    await c.upgrade(t.ca);
    // Had the partial "NOOP" been kept, this line would read "NOOPNOOP" (502).
    expectReply(await c.command('NOOP'), 250, 'OK');
    c.close();
    await assertServes(t);
  });

  it('starts the session over after TLS: the counters of the plain session are reset', async () => {
    const c = await RawClient.open(t.port);
    // Nine of the ten unrecognised lines allowed, and some commands before authentication.
    for (let i = 0; i < 9; i++) expectReply(await c.command('FROB'), 502);
    expectReply(await c.command('STARTTLS'), 220);
    await c.upgrade(t.ca);
    for (let i = 0; i < 9; i++) expectReply(await c.command('FROB'), 502, 'unknown command "FROB"');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers every command of a client that half-closes after STARTTLS and its commands', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('STARTTLS'), 220);
    await c.upgrade(t.ca);
    c.socket.end(`AUTHENTICATE PLAIN ${plainResponse('bob', USERS.bob)}\r\nLIST NAMESPACES\r\nQUIT\r\n`);
    expectReply(await c.reply(), 235, 'authenticated as bob');
    expectReply(await c.reply(), 250, 'namespaces');
    expectReply(await c.reply(), 221, `${FQDN} closing`);
    await closedByAgent(c);
  });

  it('survives a client that sends garbage instead of a TLS handshake', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('STARTTLS'), 220);
    c.send('this is not a TLS ClientHello\r\n');
    await c.waitClosed(15_000);
    await assertServes(t);
  });
});
