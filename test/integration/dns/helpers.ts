/**
 * Outside tools against a test BIND9: `dig` to read what our writer wrote, `nsupdate` to write
 * what our codec must read. Their outputs are parsed here, so the tests assert on records, not on
 * text.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { Bind9Key, Bind9Server } from '../../support/bind9.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';

const run = promisify(execFile);

export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  /** the RDATA in dig's presentation form */
  readonly rdata: string;
}

/** `dig @127.0.0.1 -p <port> <name> <type> +noall +answer` (plus `extra`), parsed. */
export async function dig(
  server: Bind9Server,
  name: string,
  type: string,
  extra: readonly string[] = [],
): Promise<DigRecord[]> {
  const { stdout } = await run('dig', [
    `@${server.host}`,
    '-p',
    String(server.port),
    name,
    type,
    '+noall',
    '+answer',
    '+norecurse',
    '+time=2',
    '+tries=1',
    ...extra,
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(';'))
    .map((line) => {
      const match = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
      if (!match) throw new Error(`unexpected dig line: ${line}`);
      const [, owner = '', ttl = '', rtype = '', rdata = ''] = match;
      return { name: owner, ttl: Number(ttl), type: rtype, rdata: rdata.trim() };
    });
}

/** The character-strings of a TXT RDATA in presentation form (`"a" "b c"`), unescaped. */
export function txtStringsOf(rdata: string): string[] {
  const strings: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (const m of rdata.matchAll(re)) {
    strings.push(
      (m[1] ?? '').replace(/\\(\d{3}|.)/g, (_, e: string) =>
        e.length === 3 ? String.fromCharCode(Number(e)) : e,
      ),
    );
  }
  return strings;
}

/** Runs `nsupdate -y hmac-sha256:<name>:<secret>` with `commands`, then `send`. */
export async function nsupdate(
  server: Bind9Server,
  key: Bind9Key,
  zone: string,
  commands: readonly string[],
): Promise<void> {
  const script = [`server ${server.host} ${server.port}`, `zone ${zone}`, ...commands, 'send', ''].join('\n');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`nsupdate exited ${code}: ${output}`)),
    );
    child.stdin.end(script);
  });
}

/** Everything dig shows at the names of a flow, one line per record, sorted. */
export async function flowSnapshot(server: Bind9Server, flow: string): Promise<string[]> {
  const lines: string[] = [];
  for (const name of [flow, `_flow._tcp.${flow}`, `_queue._flow._tcp.${flow}`]) {
    for (const rr of await dig(server, name, 'ANY'))
      lines.push(`${rr.name} ${rr.ttl} ${rr.type} ${rr.rdata}`);
  }
  return lines.sort();
}

export function registration(flow: string, overrides: Partial<FlowRegistration> = {}): FlowRegistration {
  return {
    flow,
    agent: { host: 'agent.orange.test', port: 61000, tls: true },
    broker: {
      type: 'kafka',
      host: 'kafka.orange.test',
      port: 9092,
      queue: flow.split('.')[0] ?? flow,
      tls: false,
    },
    ttl: 60,
    ...overrides,
  };
}
