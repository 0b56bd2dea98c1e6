/**
 * A tool nobody here wrote talks to the agent: `openssl s_client` over implicit TLS verifies the
 * agent certificate against the test CA and holds a whole FNAP session, one line at a time, with
 * the CRLFs written here (no -crlf translation).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestAgent } from '../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../support/agent-harness.ts';
import { createCertificateAuthority } from '../../src/tls/certificates.ts';
import { childEnv, tempDir } from './helpers.ts';

const T = { timeout: 120_000 };
const REPLY_TIMEOUT_MS = 30_000;
const FLOW = `time.${NAMESPACE}`;
const EVENT = {
  specversion: '1.0',
  id: 'openssl-1',
  source: 'urn:test:openssl',
  type: 'test.openssl',
  data: { hello: 'world' },
};
/** An FNAP reply line: three digits, then a space (last line) or a hyphen (more follow). */
const REPLY_LINE = /^([2-5]\d\d)([ -])(.*)$/;

interface Reply {
  readonly code: number;
  readonly lines: string[];
}

/** `openssl s_client` as an FNAP client: send a line, wait for the reply on its stdout. */
class OpensslSession {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  /** Reply lines not yet consumed (s_client's own report lines are dropped). */
  private readonly lines: string[] = [];
  private consumed = 0;
  private waiting: (() => void) | undefined;
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], cwd: string) {
    this.child = spawn('openssl', ['s_client', ...args], {
      cwd,
      env: childEnv(cwd),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.waiting?.();
    });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code: number | null) => {
        resolve(code);
        this.waiting?.();
      }),
    );
  }

  private scan(): void {
    const complete = this.stdout.slice(0, this.stdout.lastIndexOf('\n') + 1);
    const all = complete.split('\n').slice(0, -1);
    for (const raw of all.slice(this.consumed)) {
      // Replies end in CRLF; s_client prints its own report with bare LF.
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (raw.endsWith('\r') && REPLY_LINE.test(line)) this.lines.push(line);
    }
    this.consumed = all.length;
  }

  /** The next whole reply (up to its `NNN ` line). */
  async reply(): Promise<Reply> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    for (;;) {
      this.scan();
      const last = this.lines.findIndex((l) => REPLY_LINE.exec(l)?.[2] === ' ');
      if (last >= 0) {
        const taken = this.lines.splice(0, last + 1);
        const code = Number(taken[last]?.slice(0, 3));
        return { code, lines: taken.map((l) => l.slice(4)) };
      }
      if (this.child.exitCode !== null)
        throw new Error(`openssl exited (${this.child.exitCode})\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(
          `no reply from the agent within ${REPLY_TIMEOUT_MS} ms\n${this.stdout}\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** Writes one line, ending it with CRLF. */
  send(line: string): void {
    this.child.stdin.write(`${line}\r\n`);
  }

  async command(line: string): Promise<Reply> {
    this.send(line);
    return this.reply();
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe('openssl s_client speaks FNAP to the agent', () => {
  let root: string;
  let agent: TestAgent;
  let caFile: string;
  const sessions: OpensslSession[] = [];

  const open = (extra: readonly string[] = []): OpensslSession => {
    const s = new OpensslSession(
      [
        '-connect',
        `127.0.0.1:${agent.tlsPort}`,
        '-CAfile',
        caFile,
        '-servername',
        FQDN,
        '-verify_hostname',
        FQDN,
        '-verify_return_error',
        // Not -quiet: the verification report stays on stdout. -ign_eof keeps lines that start with
        // Q or R ("QUIT", "READ FLOW") from being taken as s_client's own commands.
        '-ign_eof',
        ...extra,
      ],
      root,
    );
    sessions.push(s);
    return s;
  };

  before(async () => {
    root = await tempDir('openssl');
    agent = await startTestAgent();
    caFile = path.join(root, 'ca.pem');
    await writeFile(caFile, agent.ca);
  });

  after(async () => {
    for (const s of sessions) s.kill();
    await agent.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it(
    'verifies the certificate and runs a session: HELLO, AUTHENTICATE, CREATE, WRITE, READ, QUIT',
    T,
    async () => {
      const s = open();
      const greeting = await s.reply();
      assert.equal(greeting.code, 220);
      assert.match(greeting.lines[0] ?? '', new RegExp(`^${FQDN.replaceAll('.', '\\.')} FNAA `));
      assert.match(s.stdout, /Verify return code: 0 \(ok\)/);
      assert.match(s.stdout, /Verification: OK/);
      assert.match(s.stdout, /Verified peername: fnaa\.example\.test/);

      const hello = await s.command('HELLO openssl');
      assert.equal(hello.code, 250);
      assert.match(hello.lines[0] ?? '', /greets openssl/);
      const caps = hello.lines.slice(1);
      assert.ok(
        caps.some((c) => /^AUTH .*\bPLAIN\b/.test(c)),
        `PLAIN is offered under TLS: ${caps.join(' | ')}`,
      );
      assert.ok(caps.includes('PIPELINING'), caps.join(' | '));
      assert.ok(!caps.includes('STARTTLS'), 'no STARTTLS under TLS');

      const plain = Buffer.from(`\0alice\0${USERS.alice}`).toString('base64');
      const auth = await s.command(`AUTHENTICATE PLAIN ${plain}`);
      assert.deepEqual(auth, { code: 235, lines: ['authenticated as alice'] });

      const created = await s.command(`CREATE FLOW ${FLOW}`);
      assert.deepEqual(created, { code: 250, lines: [`flow ${FLOW} created`] });

      const write = await s.command(`WRITE FLOW ${FLOW}`);
      assert.equal(write.code, 354);
      s.send(JSON.stringify(EVENT));
      const accepted = await s.command('.');
      assert.equal(accepted.code, 250);
      assert.match(accepted.lines[0] ?? '', /^1 accepted( next=1)?$/);

      const read = await s.command(`READ FLOW ${FLOW} FROM 0`);
      assert.equal(read.code, 250);
      assert.equal(read.lines.length, 2, read.lines.join('\n'));
      assert.deepEqual(JSON.parse(read.lines[0] ?? ''), EVENT);
      assert.equal(read.lines[1], 'next=1 count=1');

      const quit = await s.command('QUIT');
      assert.equal(quit.code, 221);
      assert.match(quit.lines[0] ?? '', /closing/);
      // The agent closes the connection; s_client then ends on its own.
      const code = await s.exited;
      assert.equal(code, 0, s.stderr);
    },
  );

  it('refuses an agent certificate from another CA, or for another name', T, async () => {
    const otherCa = path.join(root, 'other-ca.pem');
    await writeFile(otherCa, (await createCertificateAuthority('Not the agent CA')).certPem);
    const wrongCa = new OpensslSession(
      [
        '-connect',
        `127.0.0.1:${agent.tlsPort}`,
        '-CAfile',
        otherCa,
        '-servername',
        FQDN,
        '-verify_return_error',
        '-ign_eof',
      ],
      root,
    );
    sessions.push(wrongCa);
    wrongCa.child.stdin.end();
    assert.notEqual(await wrongCa.exited, 0);
    assert.match(wrongCa.stdout + wrongCa.stderr, /verify error|certificate verify failed/i);
    assert.doesNotMatch(wrongCa.stdout, /^220 /m, 'no FNAP greeting on an unverified connection');

    const wrongName = new OpensslSession(
      [
        '-connect',
        `127.0.0.1:${agent.tlsPort}`,
        '-CAfile',
        caFile,
        '-servername',
        'fnaa.elsewhere.test',
        '-verify_hostname',
        'fnaa.elsewhere.test',
        '-verify_return_error',
        '-ign_eof',
      ],
      root,
    );
    sessions.push(wrongName);
    wrongName.child.stdin.end();
    assert.notEqual(await wrongName.exited, 0);
    assert.match(wrongName.stdout + wrongName.stderr, /hostname mismatch|verify error/i);
  });

  it(
    'another session: unauthenticated, wrong, foreign and invalid input get their FNAP replies',
    T,
    async () => {
      const s = open();
      assert.equal((await s.reply()).code, 220);
      assert.equal((await s.command('HELLO openssl-2')).code, 250);
      assert.equal((await s.command(`READ FLOW ${FLOW}`)).code, 530, 'authentication required');
      assert.equal(
        (await s.command(`AUTHENTICATE PLAIN ${Buffer.from(`\0alice\0wrong-password`).toString('base64')}`))
          .code,
        535,
      );
      assert.equal(
        (await s.command(`AUTHENTICATE PLAIN ${Buffer.from(`\0bob\0${USERS.bob}`).toString('base64')}`)).code,
        235,
      );
      // bob does not own alice's flow.
      assert.equal((await s.command(`READ FLOW ${FLOW} FROM 0`)).code, 550);
      const frob = await s.command('FROBNICATE');
      assert.equal(frob.code, 502);
      const bad = await s.command('WRITE FLOW time.flows.other.test');
      assert.equal(bad.code, 550, 'no such flow at bob');
      assert.equal((await s.command('CREATE FLOW time.flows.other.test')).code, 250);
      assert.equal((await s.command('WRITE FLOW time.flows.other.test')).code, 354);
      s.send('{"specversion":"1.0","id":"x","source":"s"}');
      const rejected = await s.command('.');
      assert.equal(rejected.code, 554);
      assert.match(rejected.lines[0] ?? '', /^line 1: missing required attribute "type"/);
      assert.equal((await s.command('QUIT')).code, 221);
      assert.equal(await s.exited, 0);
    },
  );
});
