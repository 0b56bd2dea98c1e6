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
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRType } from '../../../src/dns/wire/constants.ts';
import type { Bind9Server } from '../../support/bind9.ts';
import {
  STARTUP_TIMEOUT_MS,
  freeUdpTcpPort,
  namedOptions,
  requireBind9,
  spawnNamed,
  stopAndRemove,
  waitForNamed,
  writeNamedConf,
} from '../../support/bind9.ts';

export const BROKEN_ZONE = 'broken.test';

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
    const conf = await writeNamedConf(
      commands,
      dir,
      namedOptions(dir, port, [
        'recursion yes;',
        'allow-recursion { 127.0.0.1; };',
        'dnssec-validation yes;',
        'notify no;',
      ]) +
        `trust-anchors { "${signedZone}." static-key ${flags} ${protocol} ${algorithm} "${key}"; };\n` +
        forward(authoritative.zone) +
        forward(signedZone) +
        `zone "${BROKEN_ZONE}" { type primary; file "${path.join(dir, `${BROKEN_ZONE}.db`)}"; };\n`,
      'resolver',
    );
    const named = spawnNamed(commands, conf);
    await waitForNamed(named, () => validates(port, signedZone), {
      exited: (status) => `the validating named exited (${status})`,
      timedOut: (last) =>
        `the validating named did not validate ${signedZone} within ${STARTUP_TIMEOUT_MS} ms (${last})`,
    });
    return { host: '127.0.0.1', port, signedZone, output: named.output, stop: stopAndRemove(named, dir) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Whether the resolver on 127.0.0.1:`port` answers `zone`'s SOA with AD set (throws why not). */
async function validates(port: number, zone: string): Promise<boolean> {
  const probe = new DnsResolver({
    nameservers: [{ host: '127.0.0.1', port }],
    timeoutMs: 300,
    retries: 0,
    cache: false,
    requireDnssec: true,
  });
  await probe.query(zone, RRType.SOA);
  return true;
}
