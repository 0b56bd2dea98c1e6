/**
 * Graceful shutdown: idle sessions get 421 at once, a long poll is answered and then gets 421,
 * a half-sent WRITE FLOW batch gets 421 and is not stored (checked after a restart on the same
 * data directory).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import type { TestAgent } from '../../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import {
  body,
  event,
  eventually,
  expectReply,
  localBroker,
  login,
  readResult,
  writeEvents,
} from './helpers.ts';

const GRACE_MS = 20_000;

describe('graceful shutdown', () => {
  const agents: TestAgent[] = [];
  after(async () => {
    // The restarted agent shares the first one's directory: dispose it first.
    for (const t of agents.reverse()) await t.dispose();
  });

  it('answers idle, long-polling and mid-batch sessions as documented, storing nothing half-sent', async () => {
    const t = await startTestAgent({ limits: { shutdownGraceMs: GRACE_MS } });
    agents.push(t);
    const flow = `shutdown.${NAMESPACE}`;
    const owner = await login(t, 'alice');
    expectReply(await owner.command(`CREATE FLOW ${flow}`), 250);
    await writeEvents(owner, flow, [event(0), event(1)]);

    const idle = await RawClient.open(t.port);
    const poller = await login(t, 'alice');
    poller.send(`READ FLOW ${flow} FROM 2 WAIT 60\r\n`);
    await eventually(() => localBroker(t).waiterCount(flow) === 1, 'the poller is waiting');
    const writer = await login(t, 'bob');
    const midBatch = owner;
    expectReply(await midBatch.command(`WRITE FLOW ${flow}`), 354);
    midBatch.send(`${event(2)}\r\n${event(3)}\r\n`);
    // Give the agent time to read the events (it stores nothing whether or not it has).
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    const stopped = t.stop();

    expectReply(await idle.reply(), 421, `${FQDN} shutting down`);
    await idle.waitClosed();
    expectReply(await writer.reply(), 421, `${FQDN} shutting down`);
    await writer.waitClosed();
    const read = readResult(await poller.reply());
    assert.deepEqual([read.count, read.next], [0, 2]);
    expectReply(await poller.reply(), 421, `${FQDN} shutting down`);
    await poller.waitClosed();
    expectReply(await midBatch.reply(), 421, `${FQDN} shutting down`);
    await midBatch.waitClosed();
    await stopped;
    // Every session closed on its own: the agent did not have to wait out the grace period.
    assert.ok(Date.now() - started < GRACE_MS / 2, `stop() took ${Date.now() - started} ms`);

    // Nothing of the half-sent batch was stored.
    const restarted = await startTestAgent({ dataDir: t.dir });
    agents.push(restarted);
    const c = await login(restarted, 'alice');
    assert.equal(body(expectReply(await c.command(`DESCRIBE FLOW ${flow}`), 250)).next, '2');
    const events = readResult(await c.command(`READ FLOW ${flow} FROM 0`));
    assert.deepEqual(events.events, [event(0), event(1)]);
    await writeEvents(c, flow, [event(2)]);
    c.close();
  });

  it('is not held up by clients that gave up during a TLS handshake', async () => {
    const t = await startTestAgent({ limits: { tlsHandshakeTimeoutMs: 60_000 } });
    agents.push(t);
    // A client that rejects the agent's certificate (wrong name) drops out of the handshake, on
    // the implicit-TLS port and after STARTTLS.
    const wrongName = { ca: t.ca, servername: 'fnaa.elsewhere.test' };
    const implicit = tls.connect({ host: '127.0.0.1', port: t.tlsPort, ...wrongName });
    await once(implicit, 'error');
    const c = await RawClient.open(t.port);
    expectReply(await c.command('STARTTLS'), 220);
    const upgraded = tls.connect({ socket: c.socket, ...wrongName });
    await once(upgraded, 'error');
    await eventually(() => t.agent.server.sessionCount === 0, 'the agent closed the failed session');
    const started = Date.now();
    await t.stop();
    assert.ok(Date.now() - started < 20_000, `stop() took ${Date.now() - started} ms`);
  });

  it('refuses new connections once stopping', async () => {
    const t = await startTestAgent();
    agents.push(t);
    const port = t.port;
    await t.stop();
    await assert.rejects(RawClient.connect(port));
  });
});
