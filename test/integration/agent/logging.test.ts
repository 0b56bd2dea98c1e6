import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { TestAgent } from '../../support/agent-harness.ts';
import { startTestAgent, USERS } from '../../support/agent-harness.ts';
import { RawClient } from '../../support/raw-client.ts';
import { createScramClient } from '../../../src/auth/sasl/client.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** Collects the agent's JSON log lines in memory. */
function memoryLog(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, sink) };
}

describe('structured logs', () => {
  let t: TestAgent;
  const log = memoryLog();
  const secrets: string[] = [];

  before(async () => {
    t = await startTestAgent({ log: log.logger });
    const plain = b64(`\0alice\0${USERS.alice}`);
    const wrong = b64(`\0alice\0not-the-password-${USERS.bob}`);
    secrets.push(USERS.alice, USERS.bob, plain, wrong);

    const c1 = await RawClient.open(t.tlsPort, { tls: true, ca: t.ca });
    assert.equal((await c1.command(`AUTHENTICATE PLAIN ${wrong}`)).code, 535);
    assert.equal((await c1.command(`AUTHENTICATE PLAIN ${plain}`)).code, 235);
    await c1.command('QUIT');

    const scram = createScramClient('bob', USERS.bob);
    const c2 = await RawClient.open(t.port);
    const first = scram.first();
    secrets.push(b64(first));
    const challenge = await c2.command(`AUTHENTICATE SCRAM-SHA-256 ${b64(first)}`);
    assert.equal(challenge.code, 334);
    const final = scram.final(Buffer.from(challenge.lines[0] ?? '', 'base64'));
    secrets.push(b64(final), final.toString());
    assert.equal((await c2.command(b64(final))).code, 334);
    assert.equal((await c2.command('')).code, 235);
    await c2.command('QUIT');
    await t.stop();
    log.logger.flush();
  });
  after(() => t.dispose());

  it('writes JSON lines, each session line carrying its session id and remote address', () => {
    assert.ok(log.lines.length > 0, 'the agent logged nothing');
    const records = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const authLines = records.filter((r) => r['msg'] === 'authenticated');
    assert.equal(authLines.length, 2);
    for (const r of authLines) {
      assert.match(String(r['session']), /^[0-9a-f]{6}-[0-9a-z]+$/);
      assert.equal(r['remote'], '127.0.0.1');
    }
    assert.ok(records.some((r) => r['msg'] === 'authentication failed' && r['reason'] !== undefined));
  });

  it('never writes a password or a SASL message', () => {
    const all = log.lines.join('\n');
    for (const secret of secrets)
      assert.ok(!all.includes(secret), `log holds a secret: ${secret.slice(0, 12)}...`);
  });
});
