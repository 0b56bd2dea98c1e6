/**
 * Starts a real BIND9 `named` for a test: its own temporary directory, 127.0.0.1 and a free port
 * (UDP and TCP), a primary zone that a TSIG key may update, a second key that the server knows but
 * that may not update, and optionally a zone that BIND signs inline (dnssec-policy default).
 * Installs nothing: the test scripts run `apt-get install -y bind9 bind9-dnsutils`; without
 * `named` this fails with a message saying so.
 *
 * Facts checked on Debian 12 (BIND 9.18.x): `named -c <conf> -g` runs in the foreground and logs
 * to stderr; as root it needs no `-u` (with `-u root` it behaves the same); `controls { };` keeps it
 * off rndc's port 953 and `session-keyfile` inside the temporary directory keeps parallel servers
 * apart; a zone with `update-policy` plus `dnssec-policy default; inline-signing yes;` signs the
 * records added by UPDATE within a second.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { queryDns } from '../../src/dns/query-client.ts';
import type { TsigKey } from '../../src/dns/tsig.ts';
import { parseTsigKeyFile } from '../../src/dns/tsig.ts';
import { RRType } from '../../src/dns/wire/constants.ts';

const run = promisify(execFile);

export interface Bind9Key {
  readonly name: string;
  readonly algorithm: 'hmac-sha256';
  /** base64, as tsig-keygen prints it */
  readonly secret: string;
}

export interface Bind9Options {
  /** the zone the writer key may update; default `orange.test` */
  readonly zone?: string;
  /** a second zone that BIND signs inline; default none */
  readonly signedZone?: string;
  /** `-u root` (only meaningful as root; default false: named keeps the invoking user) */
  readonly userRoot?: boolean;
}

export interface Bind9Server {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly zone: string;
  readonly signedZone: string | undefined;
  /** may update both zones (`update-policy { grant <key> zonesub ANY; }`) */
  readonly writerKey: Bind9Key;
  /** known to the server, not allowed to update anything */
  readonly otherKey: Bind9Key;
  /** `named -v` */
  readonly version: string;
  /** what named printed so far (for a failing test's message) */
  output(): string;
  /** Stops named and removes the directory. */
  stop(): Promise<void>;
}

export const STARTUP_TIMEOUT_MS = 20_000;

/**
 * The path of `command`: on PATH, or in /usr/sbin where Debian puts `named` and `tsig-keygen`
 * (not on an ordinary user's PATH).
 */
async function locate(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${command}`]);
    if (stdout.trim() !== '') return stdout.trim();
  } catch {
    // not on PATH
  }
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin']) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

export interface Bind9Commands {
  readonly named: string;
  readonly namedCheckconf: string;
  readonly tsigKeygen: string;
}

/** Fails with a clear message when the BIND9 commands the DNS tests use are missing. */
export async function requireBind9(): Promise<Bind9Commands> {
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const [command, pkg] of [
    ['named', 'bind9'],
    ['named-checkconf', 'bind9'],
    ['tsig-keygen', 'bind9'],
    ['dig', 'bind9-dnsutils'],
    ['nsupdate', 'bind9-dnsutils'],
  ] as const) {
    const at = await locate(command);
    if (at === undefined) missing.push(`${command} (Debian package ${pkg})`);
    else found.set(command, at);
  }
  if (missing.length > 0) {
    throw new Error(
      `the DNS integration tests need BIND9, missing: ${missing.join(', ')}. ` +
        'Install it with: apt-get install -y bind9 bind9-dnsutils',
    );
  }
  return {
    named: found.get('named') ?? 'named',
    namedCheckconf: found.get('named-checkconf') ?? 'named-checkconf',
    tsigKeygen: found.get('tsig-keygen') ?? 'tsig-keygen',
  };
}

/** A port free for both UDP and TCP on 127.0.0.1 at the time of the call. */
export async function freeUdpTcpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
    });
    const tcp = net.createServer();
    const tcpFree = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

async function generateKey(tsigKeygen: string, name: string): Promise<{ clause: string; key: Bind9Key }> {
  const { stdout } = await run(tsigKeygen, ['-a', 'hmac-sha256', name]);
  const [parsed] = parseTsigKeyFile(stdout) as [TsigKey];
  return {
    clause: stdout,
    key: {
      name: parsed.name,
      algorithm: 'hmac-sha256',
      secret: Buffer.from(parsed.secret).toString('base64'),
    },
  };
}

function zoneFile(zone: string): string {
  return [
    '$TTL 300',
    `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${zone}.`,
    'ns1 IN A 127.0.0.1',
    '',
  ].join('\n');
}

/**
 * The `options` of a named that keeps to `dir` (its pid and session key files too, so parallel
 * servers stay apart) and listens on 127.0.0.1:`port` only, with `settings` (one statement a
 * line), and `controls { };` (off rndc's port 953).
 */
export function namedOptions(dir: string, port: number, settings: readonly string[]): string {
  return (
    'options {\n' +
    `  directory "${dir}";\n` +
    `  pid-file "${path.join(dir, 'named.pid')}";\n` +
    `  session-keyfile "${path.join(dir, 'session.key')}";\n` +
    `  listen-on port ${port} { 127.0.0.1; };\n` +
    '  listen-on-v6 { none; };\n' +
    settings.map((line) => `  ${line}\n`).join('') +
    '};\n' +
    'controls { };\n'
  );
}

function namedConf(
  dir: string,
  port: number,
  zone: string,
  signedZone: string | undefined,
  keys: string,
): string {
  const zoneClause = (name: string, extra: string) =>
    `zone "${name}" {\n  type primary;\n  file "${path.join(dir, `${name}.db`)}";\n` +
    `  update-policy { grant writer-key zonesub ANY; };\n${extra}};\n`;
  return (
    `${keys}\n` +
    namedOptions(dir, port, ['recursion no;', 'notify no;', 'dnssec-validation no;']) +
    zoneClause(zone, '') +
    (signedZone
      ? zoneClause(
          signedZone,
          `  dnssec-policy default;\n  inline-signing yes;\n  key-directory "${path.join(dir, 'keys')}";\n`,
        )
      : '')
  );
}

export async function startBind9(options: Bind9Options = {}): Promise<Bind9Server> {
  const commands = await requireBind9();
  const zone = options.zone ?? 'orange.test';
  const signedZone = options.signedZone;
  const version = (await run(commands.named, ['-v'])).stdout.trim();
  const writer = await generateKey(commands.tsigKeygen, 'writer-key');
  const other = await generateKey(commands.tsigKeygen, 'other-key');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-bind9-'));
  try {
    await mkdir(path.join(dir, 'keys'));
    await writeFile(path.join(dir, `${zone}.db`), zoneFile(zone));
    if (signedZone) await writeFile(path.join(dir, `${signedZone}.db`), zoneFile(signedZone));
    // A port can be taken between the probe and named's bind; try a few.
    for (let attempt = 0; ; attempt++) {
      const port = await freeUdpTcpPort();
      const conf = await writeNamedConf(
        commands,
        dir,
        namedConf(dir, port, zone, signedZone, writer.clause + other.clause),
        'test',
      );
      const named = spawnNamed(commands, conf, options.userRoot ? ['-u', 'root'] : []);
      try {
        await waitForNamed(named, () => serving(port, zone, signedZone), {
          exited: (status) => `named exited (${status}) before serving`,
          timedOut: () => `named did not serve ${zone} on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms`,
        });
      } catch (error) {
        if (attempt < 2 && /address in use/i.test(named.output())) continue;
        throw error;
      }
      return {
        host: '127.0.0.1',
        port,
        dir,
        zone,
        signedZone,
        writerKey: writer.key,
        otherKey: other.key,
        version,
        output: named.output,
        stop: stopAndRemove(named, dir),
      };
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes `text` to `<dir>/named.conf` and has named-checkconf check it; the path. `what` names the
 * configuration in the error when named-checkconf rejects it.
 */
export async function writeNamedConf(
  commands: Bind9Commands,
  dir: string,
  text: string,
  what: string,
): Promise<string> {
  const conf = path.join(dir, 'named.conf');
  await writeFile(conf, text);
  await run(commands.namedCheckconf, [conf]).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(
      `named-checkconf rejected the ${what} configuration: ${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
  });
  return conf;
}

/** A `named` started by {@link spawnNamed}. */
export interface RunningNamed {
  readonly child: ChildProcess;
  /** what named printed so far */
  readonly output: () => string;
  /** SIGTERM (SIGKILL after 5 s) and wait for it to exit; again is a no-op */
  readonly stop: () => Promise<void>;
}

/** `named -c <conf> -g [args]`, in the foreground, its output kept. */
export function spawnNamed(
  commands: Bind9Commands,
  conf: string,
  args: readonly string[] = [],
): RunningNamed {
  const child = spawn(commands.named, ['-c', conf, '-g', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, stop: () => stopChild(child) };
}

export interface NamedWaitMessages {
  /** the error when named exits first, given its exit code or signal */
  exited(status: number | string): string;
  /** the error after the startup timeout, given the last error `ready` threw ('' if none) */
  timedOut(lastError: string): string;
}

/**
 * Calls `ready` every 100 ms until it returns true, for up to 20 s; stops named and fails (with
 * named's output after the message) when named exits first or the time runs out. `ready` throwing
 * counts as not ready yet.
 */
export async function waitForNamed(
  named: RunningNamed,
  ready: () => Promise<boolean>,
  messages: NamedWaitMessages,
): Promise<void> {
  try {
    await pollNamed(named, ready, messages);
  } catch (error) {
    await named.stop();
    throw error;
  }
}

async function pollNamed(
  named: RunningNamed,
  ready: () => Promise<boolean>,
  messages: NamedWaitMessages,
): Promise<void> {
  const { child } = named;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${messages.exited(child.exitCode ?? child.signalCode ?? '')}:\n${named.output()}`);
    }
    try {
      if (await ready()) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${messages.timedOut(last)}:\n${named.output()}`);
}

/** A stop for a test's named: stops it, then removes `dir`; again is a no-op. */
export function stopAndRemove(named: RunningNamed, dir: string): () => Promise<void> {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await named.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

/** Whether named on 127.0.0.1:`port` serves `zone` (and has signed `signedZone`). */
async function serving(port: number, zone: string, signedZone: string | undefined): Promise<boolean> {
  const server = { host: '127.0.0.1', port };
  const soa = await queryDns(server, zone, RRType.SOA, { timeoutMs: 300 });
  const signed =
    signedZone === undefined ||
    (await queryDns(server, signedZone, RRType.SOA, { timeoutMs: 300, dnssecOk: true })).answers.some(
      (rr) => rr.type === RRType.RRSIG,
    );
  return soa.flags.aa && soa.answers.length > 0 && signed;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
