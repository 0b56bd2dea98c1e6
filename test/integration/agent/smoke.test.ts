import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { startTestAgent, USERS } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('agent smoke', () => {
  let t: TestAgent;
  before(async () => {
    t = await startTestAgent();
  });
  after(() => t.dispose());

  it('greets, says HELLO with capabilities, authenticates over implicit TLS and writes/reads', async () => {
    const c = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    const hello = await c.command('HELLO test');
    assert.equal(hello.code, 250);
    assert.ok(hello.lines.some((l) => l.startsWith('AUTH ') && l.includes('PLAIN')));
    assert.equal((await c.command(`AUTHENTICATE PLAIN ${b64(`\0alice\0${USERS.alice}`)}`)).code, 235);
    assert.equal((await c.command('CREATE FLOW time.flows.example.test')).code, 250);
    assert.equal((await c.command('WRITE FLOW time.flows.example.test')).code, 354);
    const r = await c.command('{"specversion":"1.0","id":"1","source":"s","type":"t"}\r\n.');
    assert.equal(r.code, 250);
    assert.match(r.lines[0] ?? '', /^1 accepted next=1$/);
    const read = await c.command('READ FLOW time.flows.example.test FROM 0');
    assert.equal(read.code, 250);
    assert.equal(read.lines.length, 2);
    assert.equal(read.lines[1], 'next=1 count=1');
    assert.equal((await c.command('QUIT')).code, 221);
    await c.waitClosed();
  });
});
