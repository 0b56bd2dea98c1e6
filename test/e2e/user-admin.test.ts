/**
 * `eson user ...` end to end: administration straight on an agent's data directory, both while
 * `eson serve` runs on it and while the agent is stopped; each change is proven by authenticating
 * with the `eson` CLI against the agent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EsonProcess, RunResult } from './helpers.ts';
import { parseJson, runEson, show, startEson, tempDir } from './helpers.ts';

const FQDN = 'fnaa.admin.test';
const NAMESPACE = 'flows.admin.test';
const T = { timeout: 120_000 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one `password: <p>` line of a command that generated a password. */
function generatedPassword(r: RunResult): string {
  const found = [...r.stdout.matchAll(/^password: (\S+)$/gm)].map((m) => m[1] ?? '');
  assert.equal(found.length, 1, `the password is printed exactly once: ${show(r)}`);
  const password = found[0] ?? '';
  assert.ok(password.length >= 12, password);
  assert.equal(r.stdout.split(password).length - 1, 1, 'printed once');
  assert.equal(r.stderr.includes(password), false);
  return password;
}

describe('eson user: administration of an agent data directory', () => {
  let root: string;
  let configDir: string;
  let configFile: string;
  let dataDir: string;
  let agent: EsonProcess | undefined;
  let port = 0;

  const eson = (args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    runEson(args, { configDir, cwd: root, ...options });
  const ok = async (
    args: readonly string[],
    options: { input?: string; env?: Record<string, string> } = {},
  ) => {
    const r = await eson(args, options);
    assert.equal(r.code, 0, `eson ${args.join(' ')}: ${show(r)}`);
    return r;
  };
  /** `eson get flows` at the running agent as `user` with `password` (SCRAM-SHA-256, no TLS). */
  const asUser = (user: string, password: string) =>
    eson(['--agent', `127.0.0.1:${port}`, '--tls', 'none', '--user', user, 'get', 'flows'], {
      env: { ESON_PASSWORD: password },
    });
  const canLogIn = async (user: string, password: string) => {
    const r = await asUser(user, password);
    assert.equal(r.code, 0, `${user} authenticates: ${show(r)}`);
  };
  const cannotLogIn = async (user: string, password: string) => {
    const r = await asUser(user, password);
    assert.equal(r.code, 7, `${user} is refused with the auth exit code: ${show(r)}`);
    assert.match(r.stderr, new RegExp(`^eson: authentication as ${user} failed: 535 `, 'm'));
    assert.equal(r.stderr.includes(password), false, 'the password is not echoed');
  };

  before(async () => {
    root = await tempDir('users');
    configDir = path.join(root, 'config');
    dataDir = path.join(root, 'data');
    configFile = path.join(root, 'agent.json');
    await writeFile(
      configFile,
      `${JSON.stringify(
        {
          fqdn: FQDN,
          dataDir: 'data',
          listen: { host: '127.0.0.1', port: 0, tlsPort: 0 },
          namespaces: [{ name: NAMESPACE, owner: 'carol' }],
          limits: { authFailureDelayMs: 10, shutdownGraceMs: 2000 },
          log: { level: 'warn' },
        },
        null,
        2,
      )}\n`,
    );
  });

  after(async () => {
    await agent?.kill();
    await rm(root, { recursive: true, force: true });
  });

  describe('while `eson serve` runs on the data dir', () => {
    it('starts the agent and reads its ports from the first line of --json output', T, async () => {
      agent = startEson(['--json', 'serve', '--config', configFile], { configDir, cwd: root });
      const first = (await agent.waitForOutput((out) => out.includes('\n'))).split('\n')[0] ?? '';
      const printed = JSON.parse(first) as unknown;
      assert.ok(isRecord(printed), first);
      assert.equal(printed['fqdn'], FQDN);
      assert.equal(printed['host'], '127.0.0.1');
      assert.ok(typeof printed['port'] === 'number' && printed['port'] > 0, first);
      port = printed['port'];
    });

    it('adds a user with a password from stdin, who can then authenticate', T, async () => {
      const r = await ok(['user', 'add', 'carol', '--data-dir', dataDir, '--password-stdin'], {
        input: 'carol-password-1\n',
      });
      assert.equal(r.stdout, 'user carol added\n');
      await canLogIn('carol', 'carol-password-1');
      await cannotLogIn('carol', 'carol-password-2');
      const create = await eson(
        [
          '--agent',
          `127.0.0.1:${port}`,
          '--tls',
          'none',
          '--user',
          'carol',
          'create',
          'flow',
          `a.${NAMESPACE}`,
        ],
        {
          env: { ESON_PASSWORD: 'carol-password-1' },
        },
      );
      assert.equal(create.code, 0, show(create));
      const twice = await eson(['user', 'add', 'carol', '--data-dir', dataDir, '--password-stdin'], {
        input: 'carol-password-9\n',
      });
      assert.equal(twice.code, 3, `an existing user: ${show(twice)}`);
      assert.match(twice.stderr, /carol/);
      await canLogIn('carol', 'carol-password-1');
    });

    it('lists users, in text and as JSON', T, async () => {
      const human = await ok(['user', 'list', '--data-dir', dataDir]);
      assert.equal(human.stdout, 'carol\n');
      const json = parseJson((await ok(['--json', 'user', 'list', '--data-dir', dataDir])).stdout);
      assert.ok(Array.isArray(json) && json.length === 1, JSON.stringify(json));
      const [carol] = json as unknown[];
      assert.ok(isRecord(carol));
      assert.equal(carol['user'], 'carol');
      assert.equal(carol['disabled'], false);
      assert.ok(!Number.isNaN(Date.parse(String(carol['created']))));
      assert.equal(JSON.stringify(json).includes('carol-password-1'), false, 'no password in the list');
    });

    it('disables and enables a user', T, async () => {
      assert.equal(
        (await ok(['user', 'disable', 'carol', '--data-dir', dataDir])).stdout,
        'user carol disabled\n',
      );
      await cannotLogIn('carol', 'carol-password-1');
      assert.equal((await ok(['user', 'list', '--data-dir', dataDir])).stdout, 'carol  (disabled)\n');
      const listed = parseJson((await ok(['--json', 'user', 'list', '--data-dir', dataDir])).stdout);
      assert.ok(
        Array.isArray(listed) && isRecord(listed[0]) && listed[0]['disabled'] === true,
        JSON.stringify(listed),
      );

      const enabled = parseJson(
        (await ok(['--json', 'user', 'enable', 'carol', '--data-dir', dataDir])).stdout,
      );
      assert.deepEqual(enabled, { user: 'carol', disabled: false });
      await canLogIn('carol', 'carol-password-1');
    });

    it('resets a password: the generated one is printed once, the old one is refused', T, async () => {
      const r = await ok(['user', 'passwd', 'carol', '--data-dir', dataDir]);
      assert.match(r.stdout, /^password of carol reset$/m);
      const password = generatedPassword(r);
      await cannotLogIn('carol', 'carol-password-1');
      await canLogIn('carol', password);

      const json = parseJson((await ok(['--json', 'user', 'passwd', 'carol', '--data-dir', dataDir])).stdout);
      assert.ok(isRecord(json) && typeof json['password'] === 'string', JSON.stringify(json));
      assert.notEqual(json['password'], password);
      await cannotLogIn('carol', password);
      await canLogIn('carol', json['password']);

      const fromStdin = await ok(['user', 'passwd', 'carol', '--data-dir', dataDir, '--password-stdin'], {
        input: 'carol-password-3\n',
      });
      assert.equal(fromStdin.stdout, 'password of carol reset\n', 'a chosen password is not printed');
      await canLogIn('carol', 'carol-password-3');
    });

    it('answers errors with the documented exit codes', T, async () => {
      for (const verb of ['passwd', 'disable', 'enable']) {
        const r = await eson(['user', verb, 'nobody', '--data-dir', dataDir]);
        assert.equal(r.code, 3, `user ${verb} of an unknown user: ${show(r)}`);
        assert.match(r.stderr, /^eson: user nobody does not exist$/m);
      }
      const weak = await eson(['user', 'add', 'dave', '--data-dir', dataDir, '--password-stdin'], {
        input: 'short\n',
      });
      assert.equal(weak.code, 4, `weak password: ${show(weak)}`);
      assert.match(weak.stderr, /password must have at least 12 characters/);
      const weakReset = await eson(['user', 'passwd', 'carol', '--data-dir', dataDir, '--password-stdin'], {
        input: 'short\n',
      });
      assert.equal(weakReset.code, 4, show(weakReset));
      await canLogIn('carol', 'carol-password-3');
      const badName = await eson(['user', 'add', 'bad name!', '--data-dir', dataDir]);
      assert.equal(badName.code, 4, show(badName));
      assert.match(badName.stderr, /user name "bad name!"/);
      const noPassword = await eson(['user', 'add', 'dave', '--data-dir', dataDir, '--password-stdin']);
      assert.equal(noPassword.code, 2, `empty stdin: ${show(noPassword)}`);
      for (const args of [
        ['user', 'list'],
        ['user', 'add', 'dave'],
        ['user', 'disable', 'carol'],
        ['user', 'passwd', 'carol'],
      ]) {
        const r = await eson(args);
        assert.equal(r.code, 2, `${args.join(' ')} without --data-dir: ${show(r)}`);
        assert.match(r.stderr, /--data-dir/);
      }
      const list = await ok(['user', 'list', '--data-dir', dataDir]);
      assert.equal(list.stdout, 'carol\n', 'nothing was added by the failed commands');
    });

    it('stops the agent with SIGTERM (exit 0)', T, async () => {
      assert.ok(agent);
      const stopped = await agent.stop('SIGTERM');
      assert.equal(stopped.code, 0, agent.stderr());
      assert.ok(stopped.ms < 10_000, `stopped in ${Math.round(stopped.ms)} ms`);
    });
  });

  describe("on a stopped agent's data dir", () => {
    let davePassword = '';

    it('adds, disables and resets users while no agent runs', T, async () => {
      const added = await ok(['user', 'add', 'dave', '--data-dir', dataDir]);
      assert.match(added.stdout, /^user dave added$/m);
      davePassword = generatedPassword(added);
      // ESON_DATA_DIR stands for --data-dir.
      await ok(['user', 'disable', 'carol'], { env: { ESON_DATA_DIR: dataDir } });
      await ok(['user', 'add', 'erin', '--password-stdin'], {
        input: 'erin-password-1\n',
        env: { ESON_DATA_DIR: dataDir },
      });
      await ok(['user', 'passwd', 'erin', '--data-dir', dataDir, '--password-stdin'], {
        input: 'erin-password-2\n',
      });
      const listed = parseJson((await ok(['--json', 'user', 'list', '--data-dir', dataDir])).stdout);
      assert.ok(Array.isArray(listed));
      assert.deepEqual(listed.map((u) => (isRecord(u) ? [u['user'], u['disabled']] : undefined)).sort(), [
        ['carol', true],
        ['dave', false],
        ['erin', false],
      ]);
      const unknown = await eson(['user', 'enable', 'nobody', '--data-dir', dataDir]);
      assert.equal(unknown.code, 3, show(unknown));
    });

    it('the restarted agent (human first line) applies every change', T, async () => {
      agent = startEson(['serve', '--config', configFile], { configDir, cwd: root });
      const first = (await agent.waitForOutput((out) => out.includes('\n'))).split('\n')[0] ?? '';
      const m = /^agent fnaa\.admin\.test listening on 127\.0\.0\.1:(\d+)$/.exec(first);
      assert.ok(m, first);
      port = Number(m[1]);
      await canLogIn('dave', davePassword);
      await cannotLogIn('carol', 'carol-password-3');
      await cannotLogIn('erin', 'erin-password-1');
      await canLogIn('erin', 'erin-password-2');
      // carol's flow, created before the restart, is still hers.
      await ok(['user', 'enable', 'carol', '--data-dir', dataDir]);
      const flows = await eson(
        ['--agent', `127.0.0.1:${port}`, '--tls', 'none', '--user', 'carol', '--json', 'get', 'flows'],
        {
          env: { ESON_PASSWORD: 'carol-password-3' },
        },
      );
      assert.equal(flows.code, 0, show(flows));
      assert.deepEqual(
        (parseJson(flows.stdout) as Record<string, unknown>[]).map((f) => f['flow']),
        [`a.${NAMESPACE}`],
      );
      const stopped = await agent.stop('SIGINT');
      assert.equal(stopped.code, 0, agent.stderr());
    });
  });
});
