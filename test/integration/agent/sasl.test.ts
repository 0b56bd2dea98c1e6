/**
 * SASL over the wire (RFC 4954 framing): PLAIN, SCRAM-SHA-256 with the project's own client,
 * ANONYMOUS, and the failure paths (cancel, bad base64, wrong nonce, wrong password, lock-out).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import { createScramClient } from '../../../src/auth/sasl/client.ts';
import {
  assertServes,
  b64,
  body,
  event,
  expectReply,
  login,
  loginAnonymous,
  plainResponse,
  readResult,
  writeEvents,
} from './helpers.ts';

const fromB64 = (text: string): Buffer => Buffer.from(text, 'base64');

/** Runs SCRAM-SHA-256 up to the server-first message; returns the client and that message. */
async function scramFirst(c: RawClient, user: string, password: string) {
  const scram = createScramClient(user, password);
  const first = expectReply(await c.command(`AUTHENTICATE SCRAM-SHA-256 ${b64(scram.first())}`), 334);
  const serverFirst = fromB64(first.lines[0] ?? '');
  assert.match(serverFirst.toString(), /^r=[^,]+,s=[^,]+,i=\d+$/);
  return { scram, serverFirst };
}

describe('SASL over FNAP', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ limits: { maxAuthFailures: 3, authFailureDelayMs: 5 } });
  });
  after(() => t.dispose());

  it('refuses PLAIN without TLS with 538', async () => {
    const c = await RawClient.open(t.port);
    expectReply(
      await c.command(`AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}`),
      538,
      'PLAIN requires TLS',
    );
    expectReply(await c.command('AUTHENTICATE PLAIN'), 538);
    // The session goes on and may use another mechanism.
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('runs PLAIN with an initial response under TLS', async () => {
    const c = await login(t, 'alice');
    expectReply(await c.command('LIST NAMESPACES'), 250, 'namespaces');
    c.close();
  });

  it('runs PLAIN without an initial response: 334 with an empty challenge, then the base64 line', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    const challenge = expectReply(await c.command('AUTHENTICATE PLAIN'), 334);
    assert.equal(challenge.raw, '334 \r\n');
    expectReply(await c.command(plainResponse('bob', USERS.bob)), 235, 'authenticated as bob');
    expectReply(await c.command('NOOP'), 250);
    c.close();
  });

  it('answers malformed base64 with 501, as initial response and as a later response', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    expectReply(await c.command('AUTHENTICATE PLAIN %%%notbase64'), 501, 'not valid base64');
    expectReply(await c.command('AUTHENTICATE PLAIN'), 334);
    expectReply(await c.command('abc'), 501, 'not valid base64');
    // Neither counts as an authentication failure, and the session is back in command mode.
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command(`AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}`), 235);
    c.close();
    await assertServes(t);
  });

  it('answers a malformed PLAIN message with 501', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    expectReply(await c.command(`AUTHENTICATE PLAIN ${b64('no separators')}`), 501, 'PLAIN message');
    expectReply(await c.command('AUTHENTICATE PLAIN ='), 501);
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers a command line sent inside an exchange with 503 and does not run it', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('AUTHENTICATE SCRAM-SHA-256'), 334);
    expectReply(
      await c.command(`CREATE FLOW insasl.${NAMESPACE}`),
      503,
      'command not allowed during authentication; exchange cancelled',
    );
    // The exchange is over and the session is in accepting.
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command(`CREATE FLOW insasl.${NAMESPACE}`), 530);
    c.close();
    await assertServes(t);
  });

  it('answers a malformed line inside an exchange with 500 and ends the exchange', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('AUTHENTICATE SCRAM-SHA-256'), 334);
    expectReply(await c.command('x'.repeat(5000)), 500, 'line too long (max 4096 octets)');
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('AUTHENTICATE ANONYMOUS'), 334);
    c.send('abc\0\r\n');
    expectReply(await c.reply(), 500, 'NUL byte');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('cancels an exchange on "*" with 501', async () => {
    const c = await RawClient.open(t.port);
    const scram = createScramClient('alice', USERS.alice);
    expectReply(await c.command(`AUTHENTICATE SCRAM-SHA-256 ${b64(scram.first())}`), 334);
    expectReply(await c.command('*'), 501, 'authentication cancelled');
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('CREATE FLOW x.flows.example.test'), 530);
    c.close();
    await assertServes(t);
  });

  it('runs a full SCRAM-SHA-256 exchange with the project client, server signature checked', async () => {
    const c = await RawClient.open(t.port);
    const { scram, serverFirst } = await scramFirst(c, 'alice', USERS.alice);
    const final = expectReply(await c.command(b64(scram.final(serverFirst))), 334);
    const serverFinal = fromB64(final.lines[0] ?? '');
    assert.match(serverFinal.toString(), /^v=/);
    scram.verifyServer(serverFinal); // throws unless the agent knows alice's credential
    expectReply(await c.command(''), 235, 'authenticated as alice');
    expectReply(await c.command(`CREATE FLOW scram.${NAMESPACE}`), 250, 'created');
    c.close();
  });

  it('fails SCRAM with a wrong nonce in client-final with 535', async () => {
    const c = await RawClient.open(t.port);
    const { scram, serverFirst } = await scramFirst(c, 'alice', USERS.alice);
    const final = scram.final(serverFirst).toString();
    const tampered = final.replace(/,r=([^,]+),/, (_m, nonce: string) => `,r=${nonce}x,`);
    assert.notEqual(tampered, final);
    expectReply(await c.command(b64(tampered)), 535, 'authentication failed');
    expectReply(await c.command('NOOP'), 250);
    expectReply(await c.command('LIST NAMESPACES'), 530);
    c.close();
    await assertServes(t);
  });

  it('fails SCRAM with a wrong password with 535', async () => {
    const c = await RawClient.open(t.port);
    const { scram, serverFirst } = await scramFirst(c, 'alice', 'not-the-password');
    expectReply(await c.command(b64(scram.final(serverFirst))), 535, 'authentication failed');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('answers 535 to wrong passwords, then 421 and closes at the third failure', async () => {
    const d = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    expectReply(
      await d.command(`AUTHENTICATE PLAIN ${plainResponse('alice', 'wrong-password-1')}`),
      535,
      'authentication failed',
    );
    expectReply(
      await d.command(`AUTHENTICATE PLAIN ${plainResponse('nobody', 'wrong-password-2')}`),
      535,
      'authentication failed',
    );
    expectReply(
      await d.command(`AUTHENTICATE PLAIN ${plainResponse('alice', 'wrong-password-3')}`),
      421,
      `${FQDN} too many authentication failures`,
    );
    await d.waitClosed();
    await assertServes(t);
  });

  it('fails a disabled user with 535, with PLAIN and SCRAM alike', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    expectReply(await c.command(`AUTHENTICATE PLAIN ${plainResponse('mallory', USERS.mallory)}`), 535);
    const { scram, serverFirst } = await scramFirst(c, 'mallory', USERS.mallory);
    expectReply(await c.command(b64(scram.final(serverFirst))), 535);
    expectReply(await c.command('LIST NAMESPACES'), 530);
    c.close();
    await assertServes(t);
  });

  it('answers an unknown mechanism with 504', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('AUTHENTICATE CRAM-MD5'), 504, 'unknown mechanism CRAM-MD5');
    expectReply(await c.command('AUTHENTICATE'), 501, 'AUTHENTICATE <mechanism>');
    expectReply(await c.command('NOOP'), 250);
    c.close();
    await assertServes(t);
  });

  it('lets ANONYMOUS read a public flow only, and create nothing', async () => {
    const pub = `public.${NAMESPACE}`;
    const priv = `private.${NAMESPACE}`;
    const alice = await login(t, 'alice');
    expectReply(await alice.command(`CREATE FLOW ${pub} visibility=public`), 250);
    expectReply(await alice.command(`CREATE FLOW ${priv}`), 250);
    await writeEvents(alice, pub, [event('p1')]);
    await writeEvents(alice, priv, [event('s1')]);
    alice.close();

    const anon = await loginAnonymous(t);
    const described = body(expectReply(await anon.command(`DESCRIBE FLOW ${pub}`), 250));
    assert.equal(described.visibility, 'public');
    const read = readResult(await anon.command(`READ FLOW ${pub} FROM 0`));
    assert.deepEqual(read.events, [event('p1')]);
    expectReply(await anon.command(`DESCRIBE FLOW ${priv}`), 550);
    expectReply(await anon.command(`READ FLOW ${priv} FROM 0`), 550);
    expectReply(await anon.command(`CREATE FLOW anon.${NAMESPACE}`), 550, 'anonymous');
    expectReply(await anon.command(`WRITE FLOW ${pub}`), 550);
    expectReply(await anon.command('LIST NAMESPACES'), 550);
    expectReply(await anon.command('NOOP'), 250);
    anon.close();
  });

  it('accepts ANONYMOUS with a challenge and a base64 trace line', async () => {
    const c = await RawClient.open(t.port);
    expectReply(await c.command('AUTHENTICATE ANONYMOUS'), 334);
    expectReply(await c.command(b64('tester@example.test')), 235, 'authenticated as anonymous');
    c.close();
  });
});

describe('SASL PLAIN with insecurePlain', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent({ insecurePlain: true });
  });
  after(() => t.dispose());

  it('offers and accepts PLAIN on a plain session', async () => {
    const c = await RawClient.open(t.port);
    const hello = expectReply(await c.command('HELLO dev'), 250);
    assert.ok(
      hello.lines.some((l) => l.startsWith('AUTH ') && l.split(' ').includes('PLAIN')),
      hello.raw,
    );
    expectReply(
      await c.command(`AUTHENTICATE PLAIN ${plainResponse('alice', USERS.alice)}`),
      235,
      'authenticated as alice',
    );
    expectReply(await c.command('LIST NAMESPACES'), 250);
    c.close();
  });
});
