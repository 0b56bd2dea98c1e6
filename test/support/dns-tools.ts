/**
 * The outside DNS tools the tests talk to servers with (BIND9 or the embedded server): `dig` to
 * read what a writer wrote, `nsupdate` to write what our codec must read, both from Debian's
 * bind9-dnsutils. Their outputs are parsed here, so the tests assert on records, not on text.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  /** the RDATA in dig's presentation form */
  readonly rdata: string;
}

export interface DigOptions {
  /** more dig arguments, after the defaults (`+dnssec`, `+tcp`, ...) */
  readonly extra?: readonly string[];
}

/** `dig @host -p port +time=2 +tries=1 <args>`: its whole output. */
export async function digRaw(host: string, port: number, args: readonly string[]): Promise<string> {
  const { stdout } = await run('dig', [`@${host}`, '-p', String(port), '+time=2', '+tries=1', ...args]);
  return stdout;
}

/** The answer section of `dig <name> <type> +noall +answer +norecurse` (plus `options.extra`), parsed. */
export async function dig(
  host: string,
  port: number,
  name: string,
  type: string,
  options: DigOptions = {},
): Promise<DigRecord[]> {
  const stdout = await digRaw(host, port, [
    name,
    type,
    '+noall',
    '+answer',
    '+norecurse',
    ...(options.extra ?? []),
  ]);
  return parseDigRecords(stdout);
}

/** The records of dig's output (comment and blank lines skipped). */
export function parseDigRecords(text: string): DigRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(';'))
    .map((line) => {
      const match = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line);
      if (!match) throw new Error(`unexpected dig line: ${line}`);
      const [, owner = '', ttl = '', rtype = '', rdata = ''] = match;
      return { name: owner, ttl: Number(ttl), type: rtype, rdata: rdata.trim() };
    });
}

/** The header line facts of a dig answer: status and flags. */
export function digHeader(text: string): { status: string; flags: string[] } {
  const status = /status: (\w+)/.exec(text)?.[1] ?? '';
  const flags = (/;; flags: ([a-z ]+);/.exec(text)?.[1] ?? '').trim().split(/\s+/);
  return { status, flags };
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

/** Everything dig shows at the names of a flow, one line per record, sorted. */
export async function flowSnapshot(host: string, port: number, flow: string): Promise<string[]> {
  const lines: string[] = [];
  for (const name of [flow, `_flow._tcp.${flow}`, `_queue._flow._tcp.${flow}`]) {
    for (const rr of await dig(host, port, name, 'ANY'))
      lines.push(`${rr.name} ${rr.ttl} ${rr.type} ${rr.rdata}`);
  }
  return lines.sort();
}

export interface NsupdateKey {
  readonly name: string;
  readonly algorithm: string;
  /** base64 */
  readonly secret: string;
}

export interface NsupdateOptions {
  /** `-t <seconds>`: nsupdate's timeout for the update (default: nsupdate's own) */
  readonly timeoutSeconds?: number;
  /** more nsupdate flags, before `-y` */
  readonly flags?: readonly string[];
}

export interface NsupdateResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * `nsupdate [-t <s>] [flags] [-y <algorithm>:<name>:<secret>]` with `server`, `zone`, `commands`
 * and `send`: its exit code and output, whatever they are.
 */
export function nsupdate(
  host: string,
  port: number,
  key: NsupdateKey | undefined,
  zone: string,
  commands: readonly string[],
  options: NsupdateOptions = {},
): Promise<NsupdateResult> {
  const script = [`server ${host} ${port}`, `zone ${zone}`, ...commands, 'send', ''].join('\n');
  const args = [
    ...(options.timeoutSeconds !== undefined ? ['-t', String(options.timeoutSeconds)] : []),
    ...(options.flags ?? []),
    ...(key ? ['-y', `${key.algorithm}:${key.name}:${key.secret}`] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('nsupdate', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(script);
  });
}

/** {@link nsupdate} that must succeed: fails with nsupdate's output when it exits non-zero. */
export async function nsupdateOk(...args: Parameters<typeof nsupdate>): Promise<void> {
  const { code, output } = await nsupdate(...args);
  if (code !== 0) throw new Error(`nsupdate exited ${code}: ${output}`);
}
