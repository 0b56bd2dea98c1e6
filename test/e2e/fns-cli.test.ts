/**
 * The Flow Name Service end to end, with the real `eson` CLI against `eson dev`: the embedded DNS
 * server plays the Internet's DNS, orange's agent publishes its flow there, and clients find the
 * agent by the flow's name alone: `eson resolve`, blue's user reading orange's public flow with no
 * server flag, and a client with no login at all given only a nameserver and a CA bundle. `dig`
 * (bind9-dnsutils, not ours) reads the same records. A restart on the same dir keeps them and the
 * agents publish their new ports.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EsonProcess, RunResult } from './helpers.ts';
import { jsonLines, parseJson, runEson, show, startEson, tempDir, waitForFile } from './helpers.ts';

const run = promisify(execFile);

interface Participant {
  name: string;
  zone: string;
  namespace: string;
  agent: { fqdn: string; host: string; port: number; tlsPort: number };
  caFile: string;
  users: { name: string; password: string }[];
}
interface Network {
  dns: { host: string; port: number };
  caBundle: string;
  participants: Participant[];
}

const FLOW = 'time.flows.orange.test';
const SECRET = 'secret.flows.orange.test';
const TEAM = 'team.flows.orange.test';
const T = { timeout: 120_000 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `dig @host -p port <name> <type> +norecurse`: status, flags and the answer records' RDATA. */
async function dig(
  dns: { host: string; port: number },
  name: string,
  type: string,
): Promise<{ status: string; flags: string[]; answers: { type: string; ttl: number; rdata: string }[] }> {
  const { stdout } = await run('dig', [
    `@${dns.host}`,
    '-p',
    String(dns.port),
    name,
    type,
    '+norecurse',
    '+time=2',
    '+tries=2',
  ]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? '';
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  const answerSection = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? '';
  const answers = answerSection
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const m = /^\S+\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
      assert.ok(m, `a dig answer line: ${line}`);
      return { ttl: Number(m[1]), type: m[2] ?? '', rdata: (m[3] ?? '').trim() };
    });
  return { status, flags, answers };
}

describe('eson dev and the Flow Name Service, through the eson CLI', () => {
  let root: string;
  let devDir: string;
  /** ESON_CONFIG_DIR of orange's user, of blue's user, and of someone who never logged in. */
  let orangeConfig: string;
  let blueConfig: string;
  let strangerConfig: string;
  let dev: EsonProcess | undefined;
  let network: Network;
  let orange: Participant;

  const esonAs = (configDir: string, args: readonly string[]): Promise<RunResult> =>
    runEson(args, { configDir, cwd: root });
  const okAs = async (configDir: string, args: readonly string[]): Promise<RunResult> => {
    const r = await esonAs(configDir, args);
    assert.equal(r.code, 0, `eson ${args.join(' ')}: ${show(r)}`);
    return r;
  };
  const okJsonAs = async (configDir: string, args: readonly string[]): Promise<unknown> => {
    const r = await okAs(configDir, ['--json', ...args]);
    try {
      return parseJson(r.stdout);
    } catch (error) {
      assert.fail(`eson --json ${args.join(' ')} printed no JSON (${String(error)}): ${show(r)}`);
    }
  };

  const startDev = async (): Promise<Network> => {
    dev = startEson(['dev', '--dir', devDir, '--base-port', '0'], { configDir: strangerConfig, cwd: root });
    await dev.waitForOutput((out) => out.includes('log in with'));
    const value = await waitForFile(path.join(devDir, 'network.json'), (t) => JSON.parse(t) as unknown);
    assert.ok(isRecord(value));
    const n = value as unknown as Network;
    const o = n.participants.find((p) => p.name === 'orange');
    assert.ok(o, 'orange is a participant');
    network = n;
    orange = o;
    return n;
  };

  before(async () => {
    root = await tempDir('fns');
    devDir = path.join(root, 'net');
    orangeConfig = path.join(root, 'config-orange');
    blueConfig = path.join(root, 'config-blue');
    strangerConfig = path.join(root, 'config-stranger');
    await mkdir(strangerConfig, { recursive: true });
  });

  after(async () => {
    await dev?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it(
    'eson dev writes the DNS server and the CA bundle into network.json; dig answers for the agents',
    T,
    async () => {
      await startDev();
      assert.ok(isRecord(network.dns), 'network.json has dns');
      assert.equal(network.dns.host, '127.0.0.1');
      assert.ok(Number.isInteger(network.dns.port) && network.dns.port > 0, `dns.port ${network.dns.port}`);
      assert.ok(path.isAbsolute(network.caBundle) && network.caBundle.startsWith(devDir), network.caBundle);
      const bundle = await readFile(network.caBundle, 'utf8');
      assert.equal(bundle.match(/-----BEGIN CERTIFICATE-----/g)?.length, network.participants.length);
      for (const p of network.participants) {
        assert.ok(
          bundle.includes((await readFile(p.caFile, 'utf8')).trim()),
          `the bundle holds ${p.name}'s CA`,
        );
      }

      const a = await dig(network.dns, 'fnaa.orange.test', 'A');
      assert.equal(a.status, 'NOERROR');
      assert.ok(a.flags.includes('aa'), `authoritative: ${a.flags.join(' ')}`);
      assert.deepEqual(
        a.answers.map((r) => r.rdata),
        ['127.0.0.1'],
      );
      const blueA = await dig(network.dns, 'fnaa.blue.test', 'A');
      assert.deepEqual(
        blueA.answers.map((r) => r.rdata),
        ['127.0.0.1'],
      );
      // Each served namespace points at its agent's implicit-TLS port.
      for (const p of network.participants) {
        const srv = await dig(network.dns, `_flow._tcp.${p.namespace}`, 'SRV');
        assert.deepEqual(
          srv.answers.map((r) => r.rdata),
          [`10 10 ${p.agent.tlsPort} ${p.agent.fqdn}.`],
        );
      }
    },
  );

  it('orange logs in and creates a public flow; its records are in DNS', T, async () => {
    await okAs(orangeConfig, ['login', '--dev', 'orange', '--dir', devDir]);
    const created = await okAs(orangeConfig, ['create', 'flow', FLOW, '--public']);
    assert.match(created.stdout, new RegExp(`flow ${FLOW} created`));
    await okAs(orangeConfig, ['write', FLOW, 'tick 1', 'tick 2']);
    await okAs(orangeConfig, ['create', 'flow', SECRET]);

    const ptr = await dig(network.dns, FLOW, 'PTR');
    assert.deepEqual(
      ptr.answers.map((r) => r.rdata),
      [`_flow._tcp.${FLOW}.`],
    );
    const srv = await dig(network.dns, `_flow._tcp.${FLOW}`, 'SRV');
    assert.deepEqual(
      srv.answers.map((r) => r.rdata),
      [`10 10 ${orange.agent.tlsPort} fnaa.orange.test.`],
    );
    const txt = await dig(network.dns, `_queue._flow._tcp.${FLOW}`, 'TXT');
    assert.deepEqual(
      txt.answers.map((r) => r.rdata),
      [`"broker-type=local" "queue=${FLOW}" "tls"`],
    );
  });

  it('eson resolve prints the agent and the broker, as text and as JSON', T, async () => {
    const human = await okAs(orangeConfig, ['resolve', `flow://${FLOW}`]);
    const port = orange.agent.tlsPort;
    assert.match(human.stdout, new RegExp(`^flow +${FLOW}$`, 'm'));
    assert.match(human.stdout, /^status +registered$/m);
    assert.match(
      human.stdout,
      new RegExp(`^agent +fnaa\\.orange\\.test:${port} \\(TLS\\) +addresses 127\\.0\\.0\\.1$`, 'm'),
    );
    assert.match(human.stdout, new RegExp(`^broker +local fnaa\\.orange\\.test:${port} \\(TLS\\)$`, 'm'));
    assert.match(human.stdout, new RegExp(`^queue +${FLOW}$`, 'm'));
    assert.match(human.stdout, /^ttl +60s$/m);

    const json = await okJsonAs(orangeConfig, ['resolve', `flow://${FLOW}`]);
    assert.deepEqual(json, {
      flow: FLOW,
      registered: true,
      agent: { host: 'fnaa.orange.test', port, tls: true, addresses: ['127.0.0.1'] },
      broker: { type: 'local', host: 'fnaa.orange.test', port, queue: FLOW, tls: true },
      ttl: 60,
      authenticated: false,
    });
  });

  it(
    'eson resolve of an unknown flow in a known namespace names the namespace agent (exit 0)',
    T,
    async () => {
      const unknown = 'nope.flows.orange.test';
      const human = await okAs(orangeConfig, ['resolve', `flow://${unknown}`]);
      assert.match(
        human.stdout,
        /^status +not in DNS; namespace flows\.orange\.test is served by the agent below/m,
      );
      assert.match(
        human.stdout,
        new RegExp(`^agent +fnaa\\.orange\\.test:${orange.agent.tlsPort} \\(TLS\\)`, 'm'),
      );
      assert.doesNotMatch(human.stdout, /^broker/m);
      const json = await okJsonAs(orangeConfig, ['resolve', `flow://${unknown}`]);
      assert.ok(isRecord(json));
      assert.equal(json['registered'], false);
      assert.equal(json['namespace'], 'flows.orange.test');
      assert.equal(json['broker'], null);
      assert.deepEqual(json['agent'], {
        host: 'fnaa.orange.test',
        port: orange.agent.tlsPort,
        tls: true,
        addresses: ['127.0.0.1'],
      });
    },
  );

  it(
    'eson resolve of a name DNS does not serve fails with a clear error and a non-zero exit',
    T,
    async () => {
      // Outside every zone: the embedded server is no resolver and refuses.
      const outside = await esonAs(orangeConfig, ['resolve', 'flow://time.flows.nowhere.example']);
      assert.equal(outside.code, 3, show(outside));
      assert.equal(outside.stdout, '');
      assert.match(
        outside.stderr,
        /^eson: the DNS server refused to resolve PTR time\.flows\.nowhere\.example: .*\(REFUSED\)$/m,
      );
      // In orange's zone, but under no namespace that has an agent.
      const stray = await esonAs(orangeConfig, ['resolve', 'flow://time.elsewhere.orange.test']);
      assert.equal(stray.code, 3, show(stray));
      assert.match(
        stray.stderr,
        /flow time\.elsewhere\.orange\.test is not in DNS.*no namespace above it has an agent/,
      );
    },
  );

  it("orange's commands that name a namespace find its agent through DNS", T, async () => {
    const flows = await okJsonAs(orangeConfig, ['get', 'flows', 'flows.orange.test']);
    assert.ok(Array.isArray(flows));
    assert.deepEqual(flows.map((f) => (isRecord(f) ? f['flow'] : undefined)).sort(), [SECRET, FLOW]);
    const ns = await okJsonAs(orangeConfig, ['describe', 'namespace', 'flows.orange.test']);
    assert.ok(isRecord(ns));
    assert.equal(ns['owner'], orange.users[0]?.name);
    // A child namespace: created through its parent's agent, then found by its own records.
    await okAs(orangeConfig, ['create', 'namespace', TEAM]);
    assert.deepEqual(
      (await dig(network.dns, `_flow._tcp.${TEAM}`, 'SRV')).answers.map((r) => r.rdata),
      [`10 10 ${orange.agent.tlsPort} fnaa.orange.test.`],
    );
    const team = await okJsonAs(orangeConfig, ['describe', 'namespace', TEAM]);
    assert.ok(isRecord(team));
    assert.equal(team['parent'], 'flows.orange.test');
    // eson resolve of a namespace's own name names its agent.
    const resolved = await okJsonAs(orangeConfig, ['resolve', 'flows.orange.test']);
    assert.ok(isRecord(resolved));
    assert.equal(resolved['registered'], false);
    assert.equal(resolved['namespace'], 'flows.orange.test');
  });

  it(
    "blue's user describes and reads orange's public flow, found through DNS with no server flag",
    T,
    async () => {
      await okAs(blueConfig, ['login', '--dev', 'blue', '--dir', devDir]);
      const body = await okJsonAs(blueConfig, ['describe', 'flow', `flow://${FLOW}`]);
      assert.ok(isRecord(body));
      assert.equal(body['flow'], FLOW);
      assert.equal(body['owner'], orange.users[0]?.name);
      assert.equal(body['visibility'], 'public');
      // Orange's agent reads its own records back.
      assert.equal(body['dns'], 'registered');
      assert.equal(body['dns-agent'], `fnaa.orange.test:${orange.agent.tlsPort}`);

      const read = await okAs(blueConfig, ['read', `flow://${FLOW}`]);
      const events = jsonLines(read.stdout);
      assert.deepEqual(
        events.map((e) => (isRecord(e) ? e['data'] : undefined)),
        ['tick 1', 'tick 2'],
      );
      // Blue's user is anonymous at orange's agent: orange's private flow does not show.
      const secret = await esonAs(blueConfig, ['describe', 'flow', SECRET]);
      assert.equal(secret.code, 3, show(secret));
      assert.match(secret.stderr, /550/);
    },
  );

  it('with no login, --nameserver and --ca are enough for an anonymous describe and read', T, async () => {
    const flags = ['--nameserver', `${network.dns.host}:${network.dns.port}`, '--ca', network.caBundle];
    await assert.rejects(stat(path.join(strangerConfig, 'config.json')), 'never logged in');
    const body = await okJsonAs(strangerConfig, [
      ...flags,
      '--anonymous',
      'describe',
      'flow',
      `flow://${FLOW}`,
    ]);
    assert.ok(isRecord(body));
    assert.equal(body['flow'], FLOW);
    assert.equal(body['visibility'], 'public');
    const read = await okAs(strangerConfig, [...flags, '--anonymous', 'read', FLOW]);
    assert.equal(jsonLines(read.stdout).length, 2);
    // Without the CA the agent's certificate is not trusted: no silent fallback.
    const untrusted = await esonAs(strangerConfig, [
      '--nameserver',
      `${network.dns.host}:${network.dns.port}`,
      '--anonymous',
      'describe',
      'flow',
      FLOW,
    ]);
    assert.notEqual(untrusted.code, 0, show(untrusted));
  });

  it(
    'starts again on the same dir: the records are still there and the agents publish their new ports',
    T,
    async () => {
      assert.ok(dev);
      const stopped = await dev.stop('SIGTERM');
      assert.equal(stopped.code, 0, dev.stderr());
      const before = network;
      await startDev();
      const o = orange;
      const oldOrange = before.participants.find((p) => p.name === 'orange');
      assert.ok(oldOrange);
      // The flow's records outlived the restart (the server's state file) ...
      const ptr = await dig(network.dns, FLOW, 'PTR');
      assert.deepEqual(
        ptr.answers.map((r) => r.rdata),
        [`_flow._tcp.${FLOW}.`],
      );
      assert.deepEqual(
        (await dig(network.dns, `_queue._flow._tcp.${SECRET}`, 'TXT')).answers.map((r) => r.rdata),
        [`"broker-type=local" "queue=${SECRET}" "tls"`],
      );
      // ... and point at the agent's ports of this run (free ports: they changed).
      for (const name of [
        `_flow._tcp.${FLOW}`,
        `_queue._flow._tcp.${FLOW}`,
        `_flow._tcp.${SECRET}`,
        `_flow._tcp.flows.orange.test`,
        `_flow._tcp.${TEAM}`,
      ]) {
        assert.deepEqual(
          (await dig(network.dns, name, 'SRV')).answers.map((r) => r.rdata),
          [`10 10 ${o.agent.tlsPort} fnaa.orange.test.`],
          `${name} after the restart (was port ${oldOrange.agent.tlsPort})`,
        );
      }
      assert.deepEqual(
        (await dig(network.dns, 'fnaa.orange.test', 'A')).answers.map((r) => r.rdata),
        ['127.0.0.1'],
      );

      // Clients follow: blue's user (logged in again for the new DNS port) reads orange's events.
      await okAs(blueConfig, ['login', '--dev', 'blue', '--dir', devDir]);
      const json = await okJsonAs(blueConfig, ['resolve', `flow://${FLOW}`]);
      assert.ok(isRecord(json) && isRecord(json['agent']));
      assert.equal(json['agent']['port'], o.agent.tlsPort);
      const read = await okAs(blueConfig, ['read', FLOW]);
      assert.deepEqual(
        jsonLines(read.stdout).map((e) => (isRecord(e) ? e['data'] : undefined)),
        ['tick 1', 'tick 2'],
      );
      const body = await okJsonAs(blueConfig, ['describe', 'flow', FLOW]);
      assert.ok(isRecord(body));
      assert.equal(body['dns'], 'registered');

      const end = await dev?.stop('SIGINT');
      assert.equal(end?.code, 0, dev?.stderr());
    },
  );
});
