/**
 * Command-line framing and the state table over a real socket: faults are answered and the session
 * (and every other session) goes on; only the documented cases close the connection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import { assertServes, event, expectReply, login, loginAnonymous } from './helpers.ts';

/** A NOOP line (NOOP ignores its arguments) of exactly `octets` octets, CRLF excluded. */
const noopOf = (octets: number): string => `NOOP ${'x'.repeat(octets - 5)}`;

describe('FNAP framing', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent();
  });
  after(() => t.dispose());

  it('answers a line of 4097 octets with 500 and keeps the session', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command(noopOf(4097)), 500, 'line too long (max 4096 octets)');
    expectReply(await c.command('NOOP'), 250, 'OK');
    c.close();
    await assertServes(t);
  });

  it('answers an overlong line sent in many small pieces with one 500', async () => {
    const c = await RawClient.open(t.port);
    const line = Buffer.from(`${noopOf(10_000)}\r\nNOOP\r\n`);
    for (let i = 0; i < line.length; i += 700) c.send(line.subarray(i, i + 700));
    expectReply(await c.reply(), 500, 'line too long');
    expectReply(await c.reply(), 250, 'OK');
    c.close();
    await assertServes(t);
  });

  it('does not refuse a line of exactly 4096 octets (CRLF or bare LF)', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command(noopOf(4096)), 250, 'OK');
    c.send(`${noopOf(4096)}\n`);
    expectReply(await c.reply(), 250, 'OK');
    c.close();
  });

  it('accepts a bare LF as the end of a line, and verbs in any case', async () => {
    const c = await RawClient.open(t.port);
    c.send('NOOP\n');
    expectReply(await c.reply(), 250, 'OK');
    c.send('nOoP\r\n');
    expectReply(await c.reply(), 250, 'OK');
    expectReply(await c.command('  NOOP  '), 250, 'OK');
    c.close();
  });

  it('answers a bare CR inside a line with 500', async () => {
    const c = await RawClient.open(t.port);
    c.send('NO\rOP\r\n');
    expectReply(await c.reply(), 500, 'bare CR in command line');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers a NUL byte with 500', async () => {
    const c = await RawClient.open(t.port);
    c.send('NOOP\0\r\n');
    expectReply(await c.reply(), 500, 'NUL byte in command line');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers invalid UTF-8 with 500', async () => {
    const c = await RawClient.open(t.port);
    c.send(Buffer.concat([Buffer.from('HELLO '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\r\n')]));
    expectReply(await c.reply(), 500, 'not valid UTF-8');
    // Valid multi-octet UTF-8 is fine, also when a character is split across two writes.
    const hello = Buffer.from('HELLO client-é\r\n');
    c.send(hello.subarray(0, 13));
    c.send(hello.subarray(13));
    expectReply(await c.reply(), 250, 'greets client-é');
    c.close();
    await assertServes(t);
  });

  it('answers an empty line with 500', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command(''), 500, 'empty command line');
    expectReply(await c.command('   '), 500, 'empty command line');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('closes with 421 at the tenth unrecognised line (unknown verbs and malformed lines alike)', async () => {
    const c = await RawClient.open(t.port);
    for (let i = 0; i < 3; i++) expectReply(await c.command(`FROB${i}`), 502, `unknown command "FROB${i}"`);
    for (let i = 0; i < 3; i++) expectReply(await c.command(''), 500, 'empty command line');
    c.send('NO\0OP\r\nNO\rOP\r\n');
    expectReply(await c.reply(), 500, 'NUL byte');
    expectReply(await c.reply(), 500, 'bare CR');
    c.send(Buffer.from([0xff, 0x0d, 0x0a]));
    expectReply(await c.reply(), 500, 'UTF-8');
    // Known commands, and replies 501, 530 and "not supported", do not move the count.
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('HELLO'), 501);
    expectReply(await c.command(`CREATE FLOW x.${NAMESPACE}`), 530);
    expectReply(await c.command('FROB'), 421, `${FQDN} too many unrecognised commands`);
    await c.waitClosed();
    await assertServes(t);
  });

  it('never closes the session for over-long lines, however many', async () => {
    const c = await login(t, 'alice');
    for (let i = 0; i < 15; i++)
      expectReply(await c.command(noopOf(5000)), 500, 'line too long (max 4096 octets)');
    expectReply(await c.command('NOOP'), 250, 'OK');
    c.close();
    await assertServes(t);
  });

  it('closes an HTTP request with 421', async () => {
    const c = await RawClient.open(t.port);
    c.send('GET / HTTP/1.1\r\nHost: fnaa.example.test\r\n\r\n');
    expectReply(await c.reply(), 421, `${FQDN} this is an FNAP agent, not an HTTP server`);
    await c.waitClosed();
    await assertServes(t);
  });

  it('answers 530 to a known command before authentication', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command(`CREATE FLOW early.${NAMESPACE}`), 530, 'authentication required');
    expectReply(await c.command(`READ FLOW early.${NAMESPACE}`), 530, 'authentication required');
    expectReply(await c.command('LIST NAMESPACES'), 530, 'authentication required');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 503 to AUTHENTICATE after authentication', async () => {
    const c = await login(t, 'alice');
    expectReply(await c.command('AUTHENTICATE ANONYMOUS ='), 503, 'already authenticated');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 503 to STARTTLS after authentication', async () => {
    const c = await loginAnonymous(t);
    expectReply(await c.command('STARTTLS'), 503, 'not allowed after authentication');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 503 to STARTTLS after authentication even with an argument (authentication is checked first)', async () => {
    const c = await loginAnonymous(t);
    expectReply(await c.command('STARTTLS now'), 503);
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 503 to STARTTLS under TLS', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    expectReply(await c.command('STARTTLS'), 503, 'TLS already active');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 501 to STARTTLS with an argument', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('STARTTLS now'), 501, 'STARTTLS takes no arguments');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 502 to an unknown command', async () => {
    const c = await login(t, 'alice');
    expectReply(await c.command('FROBNICATE the flows'), 502, 'unknown command "FROBNICATE"');
    expectReply(await c.command('CREATE WIDGET x'), 502, 'unknown command "CREATE WIDGET"');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 530 to subscription and processor commands before authentication', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command(`SUBSCRIBE flow://x.${NAMESPACE}`), 530, 'authentication required');
    expectReply(await c.command('LIST PROCESSORS'), 530, 'authentication required');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 502 "not supported" to subscription and processor commands', async () => {
    const c = await login(t, 'alice');
    const cases: [string, string][] = [
      [`SUBSCRIBE flow://x.${NAMESPACE}`, 'SUBSCRIBE'],
      ['UNSUBSCRIBE 1', 'UNSUBSCRIBE'],
      ['LIST SUBSCRIPTIONS', 'LIST SUBSCRIPTIONS'],
      [`LIST SUBSCRIBERS x.${NAMESPACE}`, 'LIST SUBSCRIBERS'],
      [`REMOVE SUBSCRIBER x.${NAMESPACE} 1`, 'REMOVE SUBSCRIBER'],
      ['pause subscription 1', 'PAUSE SUBSCRIPTION'],
      ['RESUME SUBSCRIPTION 1', 'RESUME SUBSCRIPTION'],
      ['STOP SUBSCRIPTION 1', 'STOP SUBSCRIPTION'],
      [`CREATE PROCESSOR bridge FROM a.${NAMESPACE} TO b.${NAMESPACE}`, 'CREATE PROCESSOR'],
      ['DESCRIBE PROCESSOR 1', 'DESCRIBE PROCESSOR'],
      ['LIST PROCESSORS', 'LIST PROCESSORS'],
      ['UPDATE PROCESSOR 1 x=y', 'UPDATE PROCESSOR'],
      ['PAUSE PROCESSOR 1', 'PAUSE PROCESSOR'],
      ['RESUME PROCESSOR 1', 'RESUME PROCESSOR'],
      ['DESTROY PROCESSOR 1', 'DESTROY PROCESSOR'],
    ];
    for (const [line, verb] of cases) {
      expectReply(await c.command(line), 502, `${verb} is not supported by this agent`);
    }
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 501 to CREATE without an object', async () => {
    const c = await login(t, 'alice');
    expectReply(await c.command('CREATE'), 501, 'CREATE needs an object');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 501 to HELLO without a client name', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('HELLO'), 501, 'HELLO <client-name>');
    expectReply(await c.command('NOOP'), 250);
    c.close();
  });

  it('still refuses an overlong command line that follows a WRITE FLOW batch in the same packet', async () => {
    const c = await login(t, 'alice');
    const flow = `framing.${NAMESPACE}`;
    expectReply(await c.command(`CREATE FLOW ${flow}`), 250);
    expectReply(await c.command(`WRITE FLOW ${flow}`), 354);
    c.send(`${event(1)}\r\n.\r\n${noopOf(5000)}\r\nNOOP\r\n`);
    expectReply(await c.reply(), 250, '1 accepted');
    expectReply(await c.reply(), 500, 'line too long (max 4096 octets)');
    expectReply(await c.reply(), 250, 'OK');
    c.close();
    await assertServes(t);
  });

  it('answers QUIT with 221 and closes', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('QUIT'), 221, `${FQDN} closing`);
    await c.waitClosed();
  });

  it('answers QUIT with an argument with 501 and keeps the session', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('QUIT now'), 501, 'QUIT');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });
});

describe('FNAP greeting delay', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ greetingDelayMs: 1500 });
  });
  after(() => t.dispose());

  it('refuses a client that talks before the greeting with 554 and closes', async () => {
    const c = await RawClient.connect(t.port);
    c.send('HELLO eager\r\n');
    expectReply(await c.reply(10_000), 554, `${FQDN} data before greeting`);
    await c.waitClosed();
    await assertServes(t);
  });

  it('greets a client that waits, after the delay', async () => {
    const c = await RawClient.connect(t.port);
    const greeting = await c.reply(10_000);
    expectReply(greeting, 220, `${FQDN} FNAA ESON ready`);
    expectReply(await c.command('NOOP'), 250);
    c.close();
  });
});

describe('FNAP without a certificate', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ tls: false });
  });
  after(() => t.dispose());

  it('does not offer STARTTLS and answers it with 502', async () => {
    const c = await RawClient.open(t.port);
    const hello = expectReply(await c.command('HELLO test'), 250, `${FQDN} greets test`);
    assert.ok(!hello.lines.includes('STARTTLS'), hello.raw);
    expectReply(await c.command('STARTTLS'), 502, 'STARTTLS not offered');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });
});
