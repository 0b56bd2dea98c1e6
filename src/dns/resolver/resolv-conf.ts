/**
 * The system's resolvers, as resolv.conf(5) lists them: `nameserver <address>` lines (the first
 * three, like glibc's MAXNS), and the `options timeout:<s> attempts:<n> trust-ad` that matter to a
 * stub. `search` and `domain` are ignored: flow names are always fully qualified.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { EsonError } from '../../core/errors.ts';
import type { DnsServerAddress } from '../transport.ts';

export const RESOLV_CONF_PATH = '/etc/resolv.conf';
/** glibc's MAXNS: servers after the third are ignored. */
export const MAX_NAMESERVERS = 3;
export const DNS_PORT = 53;

export interface ResolvConf {
  readonly nameservers: readonly DnsServerAddress[];
  /** `options timeout:n`, in milliseconds */
  readonly timeoutMs: number | undefined;
  /** `options attempts:n` (tries per server, not retries) */
  readonly attempts: number | undefined;
  /** `options trust-ad`: the administrator trusts the AD bit of these servers (glibc 2.31+) */
  readonly trustAd: boolean;
}

/** Parses resolv.conf text. Unknown lines and malformed addresses are skipped, as the C library does. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: DnsServerAddress[] = [];
  let timeoutMs: number | undefined;
  let attempts: number | undefined;
  let trustAd = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0] !== undefined) {
      const host = args[0];
      // `fe80::1%eth0`: the scope is for the socket; the address is what must be valid.
      if (net.isIP(host.replace(/%.*$/, '')) !== 0 && nameservers.length < MAX_NAMESERVERS) {
        nameservers.push({ host, port: DNS_PORT });
      }
    } else if (keyword === 'options') {
      for (const option of args) {
        const [name, value] = option.split(':');
        const n = Number(value);
        if (name === 'timeout' && Number.isInteger(n) && n > 0) timeoutMs = Math.min(n, 30) * 1000;
        else if (name === 'attempts' && Number.isInteger(n) && n > 0) attempts = Math.min(n, 5);
        else if (name === 'trust-ad') trustAd = true;
      }
    }
  }
  return { nameservers, timeoutMs, attempts, trustAd };
}

/**
 * The system's resolvers from `path` (default /etc/resolv.conf). Fails with an EsonError of kind
 * 'invalid-argument' when the file is missing or lists no usable nameserver, naming the file and
 * the option that replaces it.
 */
export function systemResolvConf(path: string = RESOLV_CONF_PATH): ResolvConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EsonError(
      'invalid-argument',
      `no DNS server configured: cannot read ${path} (${(error as Error).message}); ` +
        'pass the resolver its `nameservers`',
      { cause: error },
    );
  }
  const conf = parseResolvConf(text);
  if (conf.nameservers.length === 0) {
    throw new EsonError(
      'invalid-argument',
      `no DNS server configured: ${path} has no "nameserver <address>" line; pass the resolver its \`nameservers\``,
    );
  }
  return conf;
}
