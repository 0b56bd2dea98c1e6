/**
 * How the `eson` CLI fails: every kind of failure gets its exit code (src/cli/exit-codes.ts) and a
 * message on stderr that says what to do. The agent runs in this process (the test harness); the
 * CLI runs as a child process, with its own config dir per test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { TestAgent } from '../support/agent-harness.ts';
import { FQDN, NAMESPACE, startTestAgent, USERS } from '../support/agent-harness.ts';
import { createCertificateAuthority } from '../../src/tls/certificates.ts';
import type { RunResult } from './helpers.ts';
import { closedPort, ESON_WRAPPER, jsonLines, runEson, show, tempDir } from './helpers.ts';
import { execFile } from 'node:child_process';

const T = { timeout: 120_000 };
const FLOW = `errors.${NAMESPACE}`;
const EVENT = '{"specversion":"1.0","id":"e-1","source":"test","type":"t"}';

describe('eson CLI errors and exit codes', () => {
  let root: string;
  let agent: TestAgent;
  let caFile: string;
  /** A config dir with a saved login as alice (implicit TLS). */
  let loggedIn: string;
  let counter = 0;

  /** A fresh, empty config dir: no login. */
  const freshConfig = async () => {
    const dir = path.join(root, `config-${++counter}`);
    await mkdir(dir);
    return dir;
  };
  const eson = (
    args: readonly string[],
    configDir: string,
    options: { input?: string; env?: Record<string, string> } = {},
  ) => runEson(args, { configDir, cwd: root, ...options });
  const expectCode = (r: RunResult, code: number, what: string) =>
    assert.equal(r.code, code, `${what}: ${show(r)}`);

  before(async () => {
    root = await tempDir('errors');
    agent = await startTestAgent();
    caFile = path.join(root, 'ca.pem');
    await writeFile(caFile, agent.ca);
    loggedIn = await freshConfig();
    const login = await eson(
      [
        'login',
        '--agent',
        `127.0.0.1:${agent.tlsPort}`,
        '--tls',
        'implicit',
        '--ca',
        caFile,
        '--servername',
        FQDN,
        '--user',
        'alice',
        '--password-stdin',
      ],
      loggedIn,
      { input: `${USERS.alice}\n` },
    );
    expectCode(login, 0, 'login');
    expectCode(await eson(['create', 'flow', FLOW], loggedIn), 0, 'create flow');
  });

  after(async () => {
    await agent.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('without a login: the config exit code and a hint to run eson login', T, async () => {
    const config = await freshConfig();
    for (const args of [
      ['get', 'flows'],
      ['read', FLOW],
      ['write', FLOW, 'x'],
      ['describe', 'flow', FLOW],
      ['create', 'namespace', `x.${NAMESPACE}`],
    ]) {
      const r = await eson(args, config);
      expectCode(r, 8, args.join(' '));
      assert.match(r.stderr, /^eson: not logged in: run "eson login" first/m);
      assert.equal(r.stdout, '');
    }
  });

  it('a damaged login file: the config exit code, not a crash', T, async () => {
    for (const content of ['not json\n', '{"host":"127.0.0.1"}\n', '[]\n']) {
      const config = await freshConfig();
      await writeFile(path.join(config, 'config.json'), content, { mode: 0o600 });
      const r = await eson(['get', 'flows'], config);
      expectCode(r, 8, `config.json holding ${JSON.stringify(content)}`);
      assert.match(r.stderr, /is damaged; run "eson login" again/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('an unreachable agent: the unavailable exit code', T, async () => {
    const port = await closedPort();
    const config = await freshConfig();
    const r = await eson(['--agent', `127.0.0.1:${port}`, '--user', 'alice', 'get', 'flows'], config, {
      env: { ESON_PASSWORD: USERS.alice },
    });
    expectCode(r, 6, 'closed port');
    assert.match(r.stderr, new RegExp(`cannot reach the agent at 127\\.0\\.0\\.1:${port}`));
    const login = await eson(
      ['login', '--agent', `127.0.0.1:${port}`, '--user', 'alice', '--password-stdin'],
      config,
      {
        input: `${USERS.alice}\n`,
      },
    );
    expectCode(login, 6, 'login to a closed port');
    await assert.rejects(readFile(path.join(config, 'config.json')), 'a failed login saves nothing');
  });

  it(
    'a server that accepts but never greets: the unavailable exit code, and the CLI exits',
    { timeout: 180_000 },
    async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      silent.listen(0, '127.0.0.1');
      await once(silent, 'listening');
      const { port } = silent.address() as net.AddressInfo;
      try {
        const started = performance.now();
        const r = await runEson(
          ['--agent', `127.0.0.1:${port}`, '--tls', 'none', '--user', 'alice', 'get', 'flows'],
          {
            configDir: await freshConfig(),
            cwd: root,
            env: { ESON_PASSWORD: USERS.alice },
            timeoutMs: 120_000,
          },
        );
        expectCode(r, 6, 'no greeting');
        assert.match(r.stderr, /timed out .* greeting/);
        // The reply timeout is 30 s; the process must end right after it, not when the server hangs up.
        assert.ok(
          performance.now() - started < 60_000,
          `exited after ${Math.round(performance.now() - started)} ms`,
        );
        assert.equal(sockets.size, 1);
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.close();
      }
    },
  );

  it('a bad --agent value: the usage exit code naming the value', T, async () => {
    const config = await freshConfig();
    for (const value of [
      'nonsense',
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      ':61000',
      'host:port',
    ]) {
      const r = await eson(['--agent', value, '--user', 'alice', 'get', 'flows'], config, {
        env: { ESON_PASSWORD: USERS.alice },
      });
      expectCode(r, 2, `--agent ${value}`);
      assert.ok(r.stderr.includes(`--agent must be host:port, not "${value}"`), r.stderr);
    }
    const login = await eson(
      ['login', '--agent', 'nonsense', '--user', 'alice', '--password-stdin'],
      config,
      { input: 'x\n' },
    );
    expectCode(login, 2, 'login --agent nonsense');
  });

  it('unknown commands, flags and missing arguments: exit code 2', T, async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['get', 'flows', '--frobnicate'], /unknown option '--frobnicate'/],
      [['--frobnicate', 'get', 'flows'], /unknown option '--frobnicate'/],
      [['create', 'flow'], /missing required argument 'flow'/],
      [['get', 'widgets'], /unknown command 'widgets'|error/],
      [['--tls', 'sometimes', 'get', 'flows'], /argument 'sometimes' is invalid/],
      [
        ['read', FLOW, '--from', 'yesterday'],
        /--from must be a position, earliest, latest or committed, not "yesterday"/,
      ],
      [['create', 'flow', FLOW, '--visibility', 'secret'], /argument 'secret' is invalid/],
      [['create', 'flow', FLOW, '--public', '--visibility', 'private'], /--public contradicts --visibility/],
      [['update', 'flow', FLOW], /nothing to update/],
      [['serve'], /required option '--config <file>'/],
      [['dev', '--participants', 'a,a'], /--participants must be distinct DNS labels/],
      [['dev', '--base-port', 'x'], /--base-port must be a port number/],
    ];
    for (const [args, message] of cases) {
      const r = await eson(args, loggedIn);
      expectCode(r, 2, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('an invalid flow name: the invalid exit code naming the problem', T, async () => {
    const cases: [string, RegExp][] = [
      [`bad_name.${NAMESPACE}`, /553 .*invalid label "bad_name"/],
      [`flow://-dash.${NAMESPACE}`, /553 .*invalid label "-dash"/],
      [`a..b.${NAMESPACE}`, /553 .*has an empty label/],
      ['time.flows.elsewhere.test', /553 .*time\.flows\.elsewhere\.test.*outside the namespaces/],
    ];
    for (const [name, message] of cases) {
      const r = await eson(['create', 'flow', name], loggedIn);
      expectCode(r, 4, `create flow ${name}`);
      assert.match(r.stderr, message);
    }
    const read = await eson(['read', `bad_name.${NAMESPACE}`], loggedIn);
    expectCode(read, 4, 'read of an invalid name');
    const limit = await eson(['read', FLOW, '--limit', '5000'], loggedIn);
    expectCode(limit, 4, 'read --limit above the maximum');
    assert.match(limit.stderr, /501 LIMIT/);
  });

  it(
    'write --raw with a line that is not a CloudEvent: rejected, naming the line, nothing stored',
    T,
    async () => {
      const cases: [string, RegExp][] = [
        [`${EVENT}\nnot an event\n`, /^eson: input line 2: event is not valid JSON/m],
        [
          `${EVENT}\n{"specversion":"1.0","id":"2","source":"s"}\n`,
          /^eson: input line 2: missing required attribute "type"/m,
        ],
        [`[1,2]\n`, /^eson: input line 1: event must be a JSON object, not an array/m],
        [
          `${EVENT}\n\n{"specversion":"0.3","id":"3","source":"s","type":"t"}\n`,
          /^eson: input line 3: attribute "specversion" must be "1.0"/m,
        ],
      ];
      for (const [input, message] of cases) {
        const r = await eson(['write', FLOW, '--raw'], loggedIn, { input });
        expectCode(r, 5, `write --raw ${JSON.stringify(input)}`);
        assert.match(r.stderr, message);
      }
      const arg = await eson(['write', FLOW, '--raw', 'plain text'], loggedIn);
      expectCode(arg, 5, 'write --raw with a text argument');
      assert.match(arg.stderr, /input line 1: event is not valid JSON/);
      const read = await eson(['read', FLOW], loggedIn);
      expectCode(read, 0, 'read');
      assert.equal(read.stdout, '', 'no event of a rejected batch was stored');

      const good = await eson(['write', FLOW, '--raw'], loggedIn, { input: `${EVENT}\n` });
      expectCode(good, 0, 'a valid raw event');
      assert.deepEqual(jsonLines((await eson(['read', FLOW], loggedIn)).stdout), [JSON.parse(EVENT)]);
      const empty = await eson(['write', FLOW], loggedIn, { input: '' });
      expectCode(empty, 2, 'write with nothing on stdin');
      assert.match(empty.stderr, /no events on standard input/);
    },
  );

  it('authentication failures: the auth exit code and a message naming the user', T, async () => {
    const config = await freshConfig();
    const base = [
      '--agent',
      `127.0.0.1:${agent.tlsPort}`,
      '--tls',
      'implicit',
      '--ca',
      caFile,
      '--servername',
      FQDN,
    ];
    const wrong = await eson([...base, '--user', 'alice', 'get', 'flows'], config, {
      env: { ESON_PASSWORD: 'not-the-password' },
    });
    expectCode(wrong, 7, 'wrong password');
    assert.match(wrong.stderr, /^eson: authentication as alice failed: 535 /m);
    const disabled = await eson([...base, '--user', 'mallory', 'get', 'flows'], config, {
      env: { ESON_PASSWORD: USERS.mallory },
    });
    expectCode(disabled, 7, 'disabled user');
    const login = await eson([...base, 'login', '--user', 'alice', '--password-stdin'], config, {
      input: 'not-the-password\n',
    });
    expectCode(login, 7, 'login with a wrong password');
    await assert.rejects(readFile(path.join(config, 'config.json')), 'a failed login saves nothing');
    const noPassword = await eson([...base, '--user', 'alice', 'get', 'flows'], config);
    expectCode(noPassword, 8, 'no password anywhere');
    assert.match(noPassword.stderr, /no password: run "eson login" or set ESON_PASSWORD/);
  });

  it('a certificate that does not verify: refused before any credential is sent', T, async () => {
    const config = await freshConfig();
    const otherCa = path.join(root, 'other-ca.pem');
    await writeFile(otherCa, (await createCertificateAuthority('Another CA')).certPem);
    const cases: [string[], RegExp][] = [
      [['--ca', otherCa, '--servername', FQDN], /certificate/i],
      [
        ['--ca', caFile, '--servername', 'fnaa.elsewhere.test'],
        /fnaa\.elsewhere\.test|altnames|certificate/i,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = await eson(
        [
          '--agent',
          `127.0.0.1:${agent.tlsPort}`,
          '--tls',
          'implicit',
          ...flags,
          '--user',
          'alice',
          'get',
          'flows',
        ],
        config,
        {
          env: { ESON_PASSWORD: USERS.alice },
        },
      );
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, message);
    }
    const noCa = await eson(
      [
        '--agent',
        `127.0.0.1:${agent.tlsPort}`,
        '--tls',
        'implicit',
        '--ca',
        path.join(root, 'missing.pem'),
        '--user',
        'alice',
        'get',
        'flows',
      ],
      config,
      {
        env: { ESON_PASSWORD: USERS.alice },
      },
    );
    expectCode(noCa, 8, 'unreadable CA file');
    assert.match(noCa.stderr, /cannot read CA file/);
  });

  it('--help and --version exit 0', T, async () => {
    const config = await freshConfig();
    const help = await eson(['--help'], config);
    expectCode(help, 0, '--help');
    assert.match(help.stdout, /^Usage: eson /m);
    for (const command of ['login', 'create', 'write', 'read', 'user', 'dev', 'serve'])
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    const sub = await eson(['write', '--help'], config);
    expectCode(sub, 0, 'write --help');
    assert.match(sub.stdout, /--raw/);
    const version = await eson(['--version'], config);
    expectCode(version, 0, '--version');
    const pkg = JSON.parse(
      await readFile(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it(
    'bin/eson, the shell wrapper, finds a Node that runs TypeScript whatever node is first on PATH',
    T,
    async () => {
      const config = await freshConfig();
      // The machine's own node may be older than 22.22 (v20 here): the wrapper must not depend on it.
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'bash',
          [ESON_WRAPPER, '--version'],
          {
            env: {
              PATH: '/usr/local/bin:/usr/bin:/bin',
              HOME: process.env['HOME'] ?? '/tmp',
              ESON_CONFIG_DIR: config,
            },
          },
          (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
        );
      });
      assert.equal(run.code, 0, run.stderr);
      const pkg = JSON.parse(
        await readFile(path.resolve(import.meta.dirname, '../../package.json'), 'utf8'),
      ) as { version: string };
      assert.equal(run.stdout.trim(), pkg.version);
    },
  );
});
