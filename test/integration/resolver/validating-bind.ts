/**
 * A second BIND9 `named` for the resolver's tests: a validating recursive resolver on 127.0.0.1
 * and a free port, that forwards the authoritative test server's zones to it (`type forward;
 * forward only; forwarders { 127.0.0.1 port <p>; }`) and trusts the signed zone's key-signing key
 * as a static trust anchor (`trust-anchors { "<zone>." static-key 257 3 13 "<key>"; }`), so it
 * validates that zone's answers and sets AD on them, as a resolver validating from the root would
 * for a zone with a complete chain of trust. It also serves a zone whose file does not parse, so
 * BIND answers SERVFAIL for every name in it.
 *
 * Facts checked with BIND 9.18: a forwarding resolver accepts the answers of an authoritative-only
 * server (`recursion no`) for its zones; the CSK that `dnssec-policy default` makes is written as
 * keys/K<zone>.+013+<tag>.key with flags 257; a zone that fails to load answers SERVFAIL.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRType } from '../../../src/dns/wire/constants.ts';
import type { Bind9Server } from '../../support/bind9.ts';
import { freeUdpTcpPort, requireBind9 } from '../../support/bind9.ts';

const run = promisify(execFile);

export const BROKEN_ZONE = 'broken.test';
const STARTUP_TIMEOUT_MS = 20_000;

export interface ValidatingResolver {
  readonly host: string;
  readonly port: number;
  /** the zone validated with the trust anchor */
  readonly signedZone: string;
  output(): string;
  stop(): Promise<void>;
}

/** The DNSKEY (flags 257) BIND generated for `zone`, as `257 3 13 <base64>`. */
export async function keySigningKey(authoritative: Bind9Server, zone: string): Promise<string> {
  const keys = path.join(authoritative.dir, 'keys');
  for (const file of await readdir(keys)) {
    if (!file.startsWith(`K${zone}.+`) || !file.endsWith('.key')) continue;
    for (const line of (await readFile(path.join(keys, file), 'utf8')).split('\n')) {
      const m = /^\S+\s+(?:\d+\s+)?IN\s+DNSKEY\s+257\s+3\s+(\d+)\s+(.+)$/.exec(line.trim());
      if (m) return `257 3 ${m[1]} ${(m[2] ?? '').replace(/\s+/g, '')}`;
    }
  }
  throw new Error(`no key-signing key (DNSKEY 257) for ${zone} in ${keys}`);
}

export async function startValidatingResolver(authoritative: Bind9Server): Promise<ValidatingResolver> {
  const signedZone = authoritative.signedZone;
  if (signedZone === undefined) throw new Error('the authoritative server has no signed zone');
  const commands = await requireBind9();
  const [flags, protocol, algorithm, key] = (await keySigningKey(authoritative, signedZone)).split(' ');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-validator-'));
  try {
    await writeFile(path.join(dir, `${BROKEN_ZONE}.db`), 'this is not a zone file\n');
    const port = await freeUdpTcpPort();
    const forward = (zone: string) =>
      `zone "${zone}" { type forward; forward only; forwarders { 127.0.0.1 port ${authoritative.port}; }; };\n`;
    const conf = path.join(dir, 'named.conf');
    await writeFile(
      conf,
      'options {\n' +
        `  directory "${dir}";\n` +
        `  pid-file "${path.join(dir, 'named.pid')}";\n` +
        `  session-keyfile "${path.join(dir, 'session.key')}";\n` +
        `  listen-on port ${port} { 127.0.0.1; };\n` +
        '  listen-on-v6 { none; };\n' +
        '  recursion yes;\n' +
        '  allow-recursion { 127.0.0.1; };\n' +
        '  dnssec-validation yes;\n' +
        '  notify no;\n' +
        '};\n' +
        'controls { };\n' +
        `trust-anchors { "${signedZone}." static-key ${flags} ${protocol} ${algorithm} "${key}"; };\n` +
        forward(authoritative.zone) +
        forward(signedZone) +
        `zone "${BROKEN_ZONE}" { type primary; file "${path.join(dir, `${BROKEN_ZONE}.db`)}"; };\n`,
    );
    await run(commands.namedCheckconf, [conf]).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(
        `named-checkconf rejected the resolver configuration: ${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
    });
    const child = spawn(commands.named, ['-c', conf, '-g'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntilValidating(child, port, signedZone, () => output);
    } catch (error) {
      await stopChild(child);
      throw error;
    }
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      signedZone,
      output: () => output,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Until the resolver answers the signed zone's SOA with AD set. */
async function waitUntilValidating(
  child: ChildProcess,
  port: number,
  zone: string,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the validating named exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const probe = new DnsResolver({
      nameservers: [{ host: '127.0.0.1', port }],
      timeoutMs: 300,
      retries: 0,
      cache: false,
      requireDnssec: true,
    });
    try {
      await probe.query(zone, RRType.SOA);
      return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the validating named did not validate ${zone} within ${STARTUP_TIMEOUT_MS} ms (${last}):\n${output()}`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
