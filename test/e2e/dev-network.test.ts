/**
 * `eson dev` end to end: start the local network as a child process, read network.json
 * (shared/product/local-network.md), drive it with the real `eson` CLI, stop it with SIGTERM, start
 * it again on the same directory and find the flow, its events and the password still there.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EsonProcess, RunResult } from './helpers.ts';
import { jsonLines, parseJson, runEson, show, startEson, tempDir, waitForFile } from './helpers.ts';

interface Participant {
  name: string;
  zone: string;
  namespace: string;
  agent: { fqdn: string; host: string; port: number; tlsPort: number };
  caFile: string;
  users: { name: string; password: string }[];
  dataDir?: string;
}
interface Network {
  participants: Participant[];
}

const FLOW = 'time.flows.orange.test';
const TEAM = 'team.flows.orange.test';
const TEAM_FLOW = `build.${TEAM}`;
const T = { timeout: 120_000 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks every key that outside tests rely on and returns the typed network. */
function checkNetwork(value: unknown, dir: string): Network {
  assert.ok(isRecord(value), 'network.json is an object');
  const participants = value['participants'];
  assert.ok(Array.isArray(participants), 'participants is an array');
  for (const p of participants as unknown[]) {
    assert.ok(isRecord(p));
    for (const key of ['name', 'zone', 'namespace', 'caFile'])
      assert.equal(typeof p[key], 'string', `participant.${key}`);
    const agent = p['agent'];
    assert.ok(isRecord(agent), 'participant.agent');
    assert.equal(typeof agent['fqdn'], 'string');
    assert.equal(agent['host'], '127.0.0.1');
    for (const key of ['port', 'tlsPort']) {
      const port = agent[key];
      assert.ok(
        typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536,
        `agent.${key} = ${String(port)}`,
      );
    }
    const users = p['users'];
    assert.ok(Array.isArray(users) && users.length >= 1, 'participant.users');
    for (const u of users as unknown[]) {
      assert.ok(isRecord(u));
      assert.equal(typeof u['name'], 'string');
      assert.ok(typeof u['password'] === 'string' && u['password'].length >= 12, 'a generated password');
    }
    assert.ok(
      path.isAbsolute(p['caFile'] as string) && (p['caFile'] as string).startsWith(dir),
      'caFile lies in the dev dir',
    );
  }
  return value as unknown as Network;
}

function participant(network: Network, name: string): Participant {
  const p = network.participants.find((x) => x.name === name);
  assert.ok(p, `participant ${name}`);
  return p;
}

describe('eson dev: a local network driven by the eson CLI', () => {
  let root: string;
  let devDir: string;
  /** ESON_CONFIG_DIR of orange's user (alice) and of blue's user (bob). */
  let orangeConfig: string;
  let blueConfig: string;
  let dev: EsonProcess | undefined;
  let network: Network;

  const eson = (args: readonly string[], input?: string, env?: Record<string, string>): Promise<RunResult> =>
    runEson(args, {
      configDir: orangeConfig,
      cwd: root,
      ...(input === undefined ? {} : { input }),
      ...(env ? { env } : {}),
    });
  /** Runs a command that must succeed. */
  const ok = async (args: readonly string[], input?: string): Promise<RunResult> => {
    const r = await eson(args, input);
    assert.equal(r.code, 0, `eson ${args.join(' ')}: ${show(r)}`);
    return r;
  };
  /** Runs a command with --json that must succeed and returns its parsed output. */
  const okJson = async (args: readonly string[], input?: string): Promise<unknown> => {
    const r = await ok(['--json', ...args], input);
    try {
      return parseJson(r.stdout);
    } catch (error) {
      assert.fail(`eson --json ${args.join(' ')} printed no JSON (${String(error)}): ${show(r)}`);
    }
  };

  const startDev = (extra: readonly string[] = []): EsonProcess => {
    dev = startEson([...extra, 'dev', '--dir', devDir, '--base-port', '0'], {
      configDir: orangeConfig,
      cwd: root,
    });
    return dev;
  };

  before(async () => {
    root = await tempDir('dev');
    devDir = path.join(root, 'net');
    orangeConfig = path.join(root, 'config-orange');
    blueConfig = path.join(root, 'config-blue');
  });

  after(async () => {
    await dev?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('starts and writes network.json with the documented keys', T, async () => {
    const p = startDev();
    const value = await waitForFile(path.join(devDir, 'network.json'), (text) => JSON.parse(text) as unknown);
    network = checkNetwork(value, devDir);
    await p.waitForOutput((out) => out.includes('log in with'));
    assert.deepEqual(
      network.participants.map((x) => [x.name, x.zone, x.namespace, x.agent.fqdn]),
      [
        ['orange', 'orange.test', 'flows.orange.test', 'fnaa.orange.test'],
        ['blue', 'blue.test', 'flows.blue.test', 'fnaa.blue.test'],
      ],
    );
    const orange = participant(network, 'orange');
    assert.match(await readFile(orange.caFile, 'utf8'), /-----BEGIN CERTIFICATE-----/);
    // The human summary names each agent with the ports of network.json.
    for (const x of network.participants) {
      assert.ok(p.stdout().includes(`${x.agent.host}:${x.agent.port}`), p.stdout());
      assert.ok(p.stdout().includes(String(x.agent.tlsPort)), p.stdout());
    }
  });

  it('logs in with --dev and saves the login with mode 0600', T, async () => {
    const r = await ok(['login', '--dev', 'orange', '--dir', devDir]);
    assert.match(r.stdout, /logged in to .* as alice/);
    const file = path.join(orangeConfig, 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(orangeConfig)).mode & 0o077, 0, 'the config dir is private');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(saved['user'], 'alice');
    assert.equal(saved['password'], participant(network, 'orange').users[0]?.password);

    const blue = await runEson(['--json', 'login', '--dev', 'blue', '--dir', devDir], {
      configDir: blueConfig,
      cwd: root,
    });
    assert.equal(blue.code, 0, show(blue));
    assert.deepEqual(Object.keys(parseJson(blue.stdout) as object).sort(), ['agent', 'file', 'user']);
    assert.equal((await stat(path.join(blueConfig, 'config.json'))).mode & 0o777, 0o600);
  });

  it('creates a flow and writes events from arguments and from stdin, text and JSON', T, async () => {
    const created = await ok(['create', 'flow', FLOW]);
    assert.match(created.stdout, new RegExp(`flow ${FLOW} created`));
    const w1 = await ok(['write', FLOW, 'hello world', '{"n":1}']);
    assert.match(w1.stdout, /^2 events written/);
    const w2 = await okJson(['write', FLOW], 'from stdin\n{"list":[1,2],"ok":true}\n');
    assert.deepEqual(w2, { flow: FLOW, accepted: 2, next: 4 });
  });

  it('reads the events back as CloudEvents JSON, one per line', T, async () => {
    const r = await ok(['read', FLOW]);
    const events = jsonLines(r.stdout);
    assert.equal(events.length, 4, r.stdout);
    const expected: [string, unknown][] = [
      ['text/plain', 'hello world'],
      ['application/json', { n: 1 }],
      ['text/plain', 'from stdin'],
      ['application/json', { list: [1, 2], ok: true }],
    ];
    const ids = new Set<unknown>();
    for (const [i, e] of events.entries()) {
      assert.ok(isRecord(e));
      assert.equal(e['specversion'], '1.0');
      assert.equal(e['source'], 'eson://cli');
      assert.equal(e['type'], 'eson.cli.write');
      assert.equal(typeof e['id'], 'string');
      assert.ok(!Number.isNaN(Date.parse(String(e['time']))), 'time is a timestamp');
      ids.add(e['id']);
      assert.equal(e['datacontenttype'], expected[i]?.[0]);
      assert.deepEqual(e['data'], expected[i]?.[1]);
    }
    assert.equal(ids.size, 4, 'every event has its own id');

    const one = await ok(['read', FLOW, '--from', '1', '--limit', '1']);
    const slice = jsonLines(one.stdout);
    assert.equal(slice.length, 1, one.stdout);
    assert.deepEqual(slice[0], events[1]);

    const json = await okJson(['read', FLOW, '--from', '1', '--limit', '1']);
    assert.deepEqual(json, { flow: FLOW, events: [events[1]], next: 2 });
  });

  it('describes the flow by its flow:// URI, in text and as JSON', T, async () => {
    const human = await ok(['describe', 'flow', `flow://${FLOW}`]);
    assert.match(human.stdout, new RegExp(`^flow +${FLOW}$`, 'm'));
    assert.match(human.stdout, new RegExp(`^uri +flow://${FLOW}$`, 'm'));
    assert.match(human.stdout, /^owner +alice$/m);
    const body = await okJson(['describe', 'flow', `flow://${FLOW}`]);
    assert.ok(isRecord(body));
    for (const key of ['flow', 'uri', 'broker', 'endpoint', 'queue', 'tls', 'visibility'])
      assert.ok(key in body, `DESCRIBE FLOW has ${key}`);
    assert.equal(body['flow'], FLOW);
    assert.equal(body['uri'], `flow://${FLOW}`);
    assert.equal(body['namespace'], 'flows.orange.test');
    assert.equal(body['owner'], 'alice');
    assert.equal(body['visibility'], 'private');
    assert.equal(body['next'], '4');
    // The embedded broker is read through the agent's implicit-TLS port.
    const orange = participant(network, 'orange');
    assert.equal(body['endpoint'], `${orange.agent.fqdn}:${orange.agent.tlsPort}`);
    assert.equal(body['tls'], 'true');
  });

  it('lists flows and namespaces', T, async () => {
    const flows = await ok(['get', 'flows']);
    assert.match(flows.stdout, new RegExp(`^${FLOW} `, 'm'));
    const flowsJson = await okJson(['get', 'flows']);
    assert.ok(Array.isArray(flowsJson));
    assert.ok(
      flowsJson.some((f) => isRecord(f) && f['flow'] === FLOW),
      JSON.stringify(flowsJson),
    );
    const inNs = await okJson(['get', 'flows', 'flows.orange.test']);
    assert.ok(
      Array.isArray(inNs) && inNs.some((f) => isRecord(f) && f['flow'] === FLOW),
      JSON.stringify(inNs),
    );

    const ns = await ok(['get', 'namespaces']);
    assert.match(ns.stdout, /^flows\.orange\.test +owner=alice$/m);
    const nsJson = await okJson(['get', 'namespaces']);
    assert.ok(Array.isArray(nsJson));
    assert.deepEqual(
      nsJson.map((n) => (isRecord(n) ? n['namespace'] : undefined)),
      ['flows.orange.test'],
    );
  });

  it('creates, describes and deletes a child namespace', T, async () => {
    assert.deepEqual(await okJson(['create', 'namespace', TEAM]), { namespace: TEAM, created: true });
    const human = await ok(['describe', 'namespace', TEAM]);
    assert.match(human.stdout, new RegExp(`^namespace +${TEAM}$`, 'm'));
    assert.match(human.stdout, /^parent +flows\.orange\.test$/m);
    const body = await okJson(['describe', 'namespace', TEAM]);
    assert.ok(isRecord(body));
    assert.equal(body['namespace'], TEAM);
    assert.equal(body['owner'], 'alice');
    assert.equal(body['parent'], 'flows.orange.test');
    assert.equal(body['flows'], '0');
    const nsJson = await okJson(['get', 'namespaces']);
    assert.ok(
      Array.isArray(nsJson) && nsJson.some((n) => isRecord(n) && n['namespace'] === TEAM),
      JSON.stringify(nsJson),
    );

    // A namespace that holds a flow is not deleted.
    await ok(['create', 'flow', TEAM_FLOW]);
    await ok(['write', TEAM_FLOW, 'x']);
    const busy = await eson(['delete', 'namespace', TEAM]);
    assert.equal(busy.code, 3, show(busy));
    assert.match(busy.stderr, /still holds 1 flow/);

    assert.deepEqual(await okJson(['delete', 'flow', TEAM_FLOW]), { flow: TEAM_FLOW, deleted: true });
    const gone = await eson(['read', TEAM_FLOW]);
    assert.equal(gone.code, 3, show(gone));
    assert.match(gone.stderr, /550 .*does not exist/);
    const goneDescribe = await eson(['--json', 'describe', 'flow', TEAM_FLOW]);
    assert.equal(goneDescribe.code, 3, show(goneDescribe));
    assert.equal(goneDescribe.stdout, '', 'a failed --json command prints nothing on stdout');

    const deleted = await ok(['delete', 'namespace', TEAM]);
    assert.match(deleted.stdout, new RegExp(`namespace ${TEAM} deleted`));
    const again = await eson(['describe', 'namespace', TEAM]);
    assert.equal(again.code, 3, show(again));
    // The served namespace itself cannot be deleted.
    const served = await eson(['delete', 'namespace', 'flows.orange.test']);
    assert.equal(served.code, 3, show(served));
    assert.match(served.stderr, /550/);
  });

  it("refuses blue's user in orange's namespace", T, async () => {
    // Blue's login knows the network's DNS: the CLI finds orange's agent for orange's namespace
    // and, holding no credentials there, asks anonymously: 550, the not-found exit code.
    const found = await runEson(['create', 'flow', 'intruder.flows.orange.test'], {
      configDir: blueConfig,
      cwd: root,
    });
    assert.equal(found.code, 3, show(found));
    assert.match(found.stderr, /^eson: CREATE FLOW: 550 anonymous sessions may not create flows/m);

    // Sent to blue's agent itself, orange's namespace is not served there: 553, the invalid exit code.
    const blue = participant(network, 'blue');
    const blueUser = blue.users[0];
    assert.ok(blueUser);
    const atBlue = await runEson(
      [
        '--agent',
        `${blue.agent.host}:${blue.agent.tlsPort}`,
        '--tls',
        'implicit',
        '--ca',
        blue.caFile,
        '--servername',
        blue.agent.fqdn,
        '--user',
        blueUser.name,
        'create',
        'flow',
        'intruder.flows.orange.test',
      ],
      { configDir: blueConfig, cwd: root, env: { ESON_PASSWORD: blueUser.password } },
    );
    assert.equal(atBlue.code, 4, show(atBlue));
    assert.match(
      atBlue.stderr,
      /^eson: CREATE FLOW: 553 .*intruder\.flows\.orange\.test.*outside the namespaces/m,
    );

    // At orange's agent, bob's credentials do not exist: authentication fails.
    const orange = participant(network, 'orange');
    const bob = participant(network, 'blue').users[0];
    assert.ok(bob);
    const remote = [
      '--agent',
      `${orange.agent.host}:${orange.agent.tlsPort}`,
      '--tls',
      'implicit',
      '--ca',
      orange.caFile,
      '--servername',
      orange.agent.fqdn,
      '--user',
      bob.name,
    ];
    const atOrange = await runEson([...remote, 'create', 'flow', 'intruder.flows.orange.test'], {
      configDir: blueConfig,
      cwd: root,
      env: { ESON_PASSWORD: bob.password },
    });
    assert.equal(atOrange.code, 7, show(atOrange));
    assert.match(atOrange.stderr, /authentication as bob failed: 535/);

    // A user of orange's agent who does not own the namespace: 550, the not-found exit code.
    assert.ok(orange.dataDir, 'network.json gives the data dir');
    const add = await runEson(['user', 'add', 'mallory', '--data-dir', orange.dataDir, '--password-stdin'], {
      configDir: blueConfig,
      cwd: root,
      input: 'mallory-password-1\n',
    });
    assert.equal(add.code, 0, show(add));
    const notOwner = await runEson(
      [...remote.slice(0, -1), 'mallory', 'create', 'flow', 'intruder.flows.orange.test'],
      {
        configDir: blueConfig,
        cwd: root,
        env: { ESON_PASSWORD: 'mallory-password-1' },
      },
    );
    assert.equal(notOwner.code, 3, show(notOwner));
    assert.match(notOwner.stderr, /^eson: CREATE FLOW: 550 /m);
    assert.equal((await ok(['get', 'flows'])).stdout.includes('intruder'), false);
  });

  it('stops cleanly on SIGTERM (exit 0 within a few seconds)', T, async () => {
    assert.ok(dev);
    const stopped = await dev.stop('SIGTERM');
    assert.equal(stopped.signal, null, dev.stderr());
    assert.equal(stopped.code, 0, dev.stderr());
    assert.ok(stopped.ms < 10_000, `stopped in ${Math.round(stopped.ms)} ms`);
    const r = await eson(['get', 'flows']);
    assert.equal(r.code, 6, `the agent is gone: ${show(r)}`);
  });

  it('starts again on the same dir: login, flow, events and password are kept', T, async () => {
    const before = network;
    const p = startDev(['--json']);
    const printed = JSON.parse(
      (await p.waitForOutput((out) => out.includes('\n'))).split('\n')[0] ?? '',
    ) as unknown;
    assert.ok(isRecord(printed));
    const again = checkNetwork(JSON.parse(await readFile(path.join(devDir, 'network.json'), 'utf8')), devDir);
    assert.deepEqual(printed['participants'], again.participants, '--json prints what network.json holds');
    for (const name of ['orange', 'blue']) {
      assert.deepEqual(
        participant(again, name).users,
        participant(before, name).users,
        `${name}'s user and password are kept`,
      );
    }
    network = again;

    await ok(['login', '--dev', 'orange', '--dir', devDir]);
    const events = jsonLines((await ok(['read', FLOW])).stdout);
    assert.equal(events.length, 4);
    assert.deepEqual(
      events.map((e) => (isRecord(e) ? e['data'] : undefined)),
      ['hello world', { n: 1 }, 'from stdin', { list: [1, 2], ok: true }],
    );
    const body = await okJson(['describe', 'flow', FLOW]);
    assert.ok(isRecord(body));
    assert.equal(body['next'], '4');
    // mallory, added with `eson user` while the network ran, is still a user of orange's agent.
    const orange = participant(network, 'orange');
    const mallory = await eson(
      [
        '--agent',
        `${orange.agent.host}:${orange.agent.tlsPort}`,
        '--tls',
        'implicit',
        '--ca',
        orange.caFile,
        '--servername',
        orange.agent.fqdn,
        '--user',
        'mallory',
        'get',
        'flows',
      ],
      undefined,
      { ESON_PASSWORD: 'mallory-password-1' },
    );
    assert.equal(mallory.code, 0, show(mallory));
    // Writing goes on after the last position.
    assert.deepEqual(await okJson(['write', FLOW, 'after restart']), { flow: FLOW, accepted: 1, next: 5 });

    const stopped = await p.stop('SIGINT');
    assert.equal(stopped.code, 0, p.stderr());
    assert.ok(stopped.ms < 10_000, `stopped in ${Math.round(stopped.ms)} ms`);
  });
});
