/**
 * A stub resolver (RFC 1123 §6.1.3.1) over ESON's own DNS codec: it asks a recursive resolver
 * (the system's, from /etc/resolv.conf, or the servers it is given) one question at a time, and
 * keeps what the answers say about time and trust, which node:dns does not (no TTLs, no AD bit).
 *
 * Transport. Each query goes over UDP with EDNS(0) (RFC 6891; 1232-octet payload, the DNS flag
 * day 2020 value) from a fresh socket, so each query has its own random source port and random ID
 * (RFC 5452 §9.2); a truncated answer (TC) is asked again over TCP (RFC 7766 §5). A server that
 * answers FORMERR to EDNS is asked once more without it (RFC 6891 §7). Answers must match the
 * question, ID and opcode; anything else is ignored (transport.ts).
 *
 * Retries. Servers are tried in order. A server that does not answer is tried again in the next
 * round (`retries` rounds after the first); one that answers SERVFAIL, REFUSED or an unvalidated
 * answer under `requireDnssec` is not asked again for this query, but the next server is.
 *
 * Answers. `query(name, type)` resolves to the records of that type in the answer section (a
 * recursive resolver has already followed any CNAME), or fails with a DnsResolveError whose
 * `reason` is nxdomain, nodata, servfail, refused, timeout or insecure (errors.ts). A referral (a
 * server that does not recurse answering with NS records) is reported as servfail, saying so.
 *
 * Caching. Positive answers are kept for the smallest TTL of the records (RFC 2181 §5.2: an RRset
 * has one TTL; the minimum is what a cache may use); NXDOMAIN and NODATA for min(SOA TTL, SOA
 * MINIMUM) of the SOA in the authority section (RFC 2308 §5), NXDOMAIN for every type at the name
 * (RFC 2308 §5, "same <QNAME, QCLASS>"); a negative answer without an SOA is not cached. TTLs are
 * capped at `maxCacheTtl` (positive) and `maxNegativeCacheTtl`; a TTL with the top bit set counts
 * as zero (RFC 2181 §8). SERVFAIL, REFUSED and timeouts are not cached. Concurrent queries for the
 * same name and type share one exchange.
 *
 * DNSSEC. ESON does not validate signatures itself. With `requireDnssec` it sets DO (RFC 3225) and
 * AD (RFC 6840 §5.7) in its queries and accepts only answers — positive and negative — that carry
 * the AD bit, i.e. that the resolver validated; others fail with reason 'insecure'. This trusts the
 * configured validating resolver and the path to it, as a security-aware stub resolver that does
 * not validate does (RFC 4035 §4.9.3, RFC 6840 §5.7): use a resolver on the same host (127.0.0.1)
 * or one reached over a protected channel, and list only resolvers you trust (glibc asks the same
 * of `options trust-ad` in resolv.conf). Without `requireDnssec`, `authenticated` still reports the
 * AD bit of each answer.
 */
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { z } from 'zod';
import { EsonError, invalidArgument } from '../../core/errors.ts';
import type { Check, DnsServerAddress, ExchangeResult } from '../transport.ts';
import { exchangeTcp, exchangeUdp } from '../transport.ts';
import { Opcode, Rcode, RRClass, RRType, rcodeName, typeName } from '../wire/constants.ts';
import { DnsWireError } from '../wire/errors.ts';
import type { DecodedMessage } from '../wire/message.ts';
import { decodeMessage, encodeMessage } from '../wire/message.ts';
import { queryMessage } from '../wire/query.ts';
import type { WireRecord } from '../wire/record.ts';
import { readEdns } from '../wire/rdata/opt.ts';
import { TtlCache } from './cache.ts';
import type { DnsResolveReason } from './errors.ts';
import { DnsResolveError } from './errors.ts';
import { canonicalQueryName } from './name.ts';
import { systemResolvConf } from './resolv-conf.ts';

/** What a successful query returns. */
export interface DnsAnswer {
  /** the name asked, canonical: ASCII lower case, no trailing dot */
  readonly name: string;
  readonly type: number;
  /** the records of `type` in the answer section, at least one; their `ttl` fields are as received */
  readonly records: readonly WireRecord[];
  /** seconds this answer stays valid from now: the smallest TTL of the records, less the time cached */
  readonly ttl: number;
  /** the resolver set the AD bit: it validated the answer with DNSSEC */
  readonly authenticated: boolean;
  readonly fromCache: boolean;
}

/** The one call FlowResolver needs; DnsResolver implements it, tests may fake it. */
export interface DnsQuerier {
  query(name: string, type: number): Promise<DnsAnswer>;
}

export interface DnsResolverOptions {
  /** recursive resolvers to ask, in order; default: the `nameserver` lines of /etc/resolv.conf */
  readonly nameservers?: readonly DnsServerAddress[];
  /** where to read the system's resolvers when `nameservers` is not given */
  readonly resolvConfPath?: string;
  /** how long to wait for each answer; default resolv.conf's `timeout:` or 2000 */
  readonly timeoutMs?: number;
  /** rounds over the servers after the first; default resolv.conf's `attempts:` - 1, or 2 */
  readonly retries?: number;
  /** false: no cache; a number: the most entries kept; default true (10,000 entries) */
  readonly cache?: boolean | number;
  /** accept only answers with the AD bit from the (trusted, validating) resolver */
  readonly requireDnssec?: boolean;
  /** the clock of the cache, ms; default Date.now */
  readonly now?: () => number;
  /** the RD bit; default true (a stub asks recursive resolvers) */
  readonly recursionDesired?: boolean;
  /** EDNS(0) UDP payload size advertised; default 1232 */
  readonly udpPayloadSize?: number;
  /** longest a positive answer is cached, seconds; default 604,800 (a week, as BIND's max-cache-ttl) */
  readonly maxCacheTtl?: number;
  /** longest a negative answer is cached, seconds; default 10,800 (RFC 2308 §5's upper bound) */
  readonly maxNegativeCacheTtl?: number;
}

const fn = <T>() => z.custom<T>((v) => typeof v === 'function');

const optionsSchema = z
  .object({
    nameservers: z
      .array(
        z
          .object({
            host: z.string().refine((h) => net.isIP(h.replace(/%.*$/, '')) !== 0, 'must be an IP address'),
            port: z.number().int().min(1).max(65535),
          })
          .transform(({ host, port }) => ({ host, port })),
      )
      .min(1)
      .optional(),
    resolvConfPath: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().optional(),
    retries: z.number().int().nonnegative().max(10).optional(),
    cache: z.union([z.boolean(), z.number().int().positive()]).optional(),
    requireDnssec: z.boolean().optional(),
    now: fn<() => number>().optional(),
    recursionDesired: z.boolean().optional(),
    udpPayloadSize: z.number().int().min(512).max(65535).optional(),
    maxCacheTtl: z.number().int().nonnegative().optional(),
    maxNegativeCacheTtl: z.number().int().nonnegative().optional(),
  })
  .strict();

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_CACHE_ENTRIES = 10_000;
export const DEFAULT_UDP_PAYLOAD_SIZE = 1232;

/** CNAME and DNAME: a recursive resolver puts the chain it followed before the records asked. */
const CNAME = 5;
const DNAME = 39;

type Cached =
  | { readonly kind: 'positive'; readonly records: readonly WireRecord[]; readonly authenticated: boolean }
  | {
      readonly kind: 'nxdomain' | 'nodata';
      readonly authenticated: boolean;
      readonly server: string;
    };

/** What one server's answer means for the query. */
type Verdict =
  | { readonly kind: 'positive'; readonly records: readonly WireRecord[]; readonly ttl: number }
  | { readonly kind: 'nxdomain' | 'nodata'; readonly ttl: number | undefined }
  | { readonly kind: 'servfail' | 'refused' | 'insecure'; readonly detail: string };

type Attempt =
  | { readonly kind: 'message'; readonly message: DecodedMessage }
  | { readonly kind: 'no-answer'; readonly reason: string };

interface Failure {
  readonly reason: DnsResolveReason;
  readonly server: string;
  readonly detail: string;
  readonly rcode: string | undefined;
}

const serverLabel = (s: DnsServerAddress): string =>
  s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;

/** RFC 2181 §8: a TTL with the most significant bit set is treated as zero. */
const ttlOf = (ttl: number): number => (ttl > 0x7fffffff ? 0 : ttl);

export class DnsResolver implements DnsQuerier {
  readonly #servers: readonly DnsServerAddress[];
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #cache: TtlCache<Cached> | undefined;
  readonly #requireDnssec: boolean;
  readonly #now: () => number;
  readonly #rd: boolean;
  readonly #udpPayloadSize: number;
  readonly #maxTtl: number;
  readonly #maxNegativeTtl: number;
  readonly #inFlight = new Map<string, Promise<DnsAnswer>>();

  constructor(options: DnsResolverOptions = {}) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
      );
      throw invalidArgument(`invalid DNS resolver options: ${problems.join('; ')}`);
    }
    const o = parsed.data;
    const system = o.nameservers === undefined ? systemResolvConf(o.resolvConfPath) : undefined;
    this.#servers = o.nameservers ?? system?.nameservers ?? [];
    this.#timeoutMs = o.timeoutMs ?? system?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = o.retries ?? (system?.attempts !== undefined ? system.attempts - 1 : DEFAULT_RETRIES);
    this.#now = o.now ?? Date.now;
    const cache = o.cache ?? true;
    this.#cache =
      cache === false ? undefined : new TtlCache(cache === true ? DEFAULT_CACHE_ENTRIES : cache, this.#now);
    this.#requireDnssec = o.requireDnssec ?? false;
    this.#rd = o.recursionDesired ?? true;
    this.#udpPayloadSize = o.udpPayloadSize ?? DEFAULT_UDP_PAYLOAD_SIZE;
    this.#maxTtl = o.maxCacheTtl ?? 604_800;
    this.#maxNegativeTtl = o.maxNegativeCacheTtl ?? 10_800;
  }

  /** The servers this resolver asks, in order. */
  get nameservers(): readonly DnsServerAddress[] {
    return this.#servers;
  }

  get requireDnssec(): boolean {
    return this.#requireDnssec;
  }

  /**
   * The records of `type` at `name` (a name in presentation form, with or without the trailing
   * dot). Fails with DnsResolveError (see the module comment) or, for a name that cannot be put
   * on the wire, an EsonError of kind 'invalid-name'.
   */
  query(name: string, type: number): Promise<DnsAnswer> {
    const qname = canonicalQueryName(name);
    const key = `${type}/${qname}`;
    const cache = this.#cache;
    if (cache !== undefined) {
      const hit = cache.get(key) ?? cache.get(`*/${qname}`);
      if (hit !== undefined) {
        const ttl = Math.floor((hit.expiresAt - this.#now()) / 1000);
        const v = hit.value;
        if (v.kind === 'positive') {
          return Promise.resolve({
            name: qname,
            type,
            records: v.records,
            ttl,
            authenticated: v.authenticated,
            fromCache: true,
          });
        }
        return Promise.reject(this.#negativeError(v.kind, qname, type, v.server, ttl, v.authenticated, true));
      }
    }
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const started = this.#resolve(qname, type, key).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** Forgets every cached answer. */
  clearCache(): void {
    this.#cache?.clear();
  }

  /** Cached answers held (expired ones until next looked up). */
  get cacheSize(): number {
    return this.#cache?.size ?? 0;
  }

  async #resolve(qname: string, type: number, key: string): Promise<DnsAnswer> {
    const failures: Failure[] = [];
    const out = new Set<number>();
    for (let round = 0; round <= this.#retries && out.size < this.#servers.length; round++) {
      for (let i = 0; i < this.#servers.length; i++) {
        if (out.has(i)) continue;
        const server = this.#servers[i] as DnsServerAddress;
        const label = serverLabel(server);
        const attempt = await this.#ask(server, qname, type);
        if (attempt.kind === 'no-answer') {
          failures.push({ reason: 'timeout', server: label, detail: attempt.reason, rcode: undefined });
          continue;
        }
        const message = attempt.message;
        const verdict = this.#judge(message, type);
        const rcode = rcodeName(fullRcode(message));
        switch (verdict.kind) {
          case 'positive': {
            const ttl = Math.min(verdict.ttl, this.#maxTtl);
            const authenticated = message.flags.ad;
            this.#cache?.set(key, { kind: 'positive', records: verdict.records, authenticated }, ttl * 1000);
            return { name: qname, type, records: verdict.records, ttl, authenticated, fromCache: false };
          }
          case 'nxdomain':
          case 'nodata': {
            const ttl = verdict.ttl === undefined ? undefined : Math.min(verdict.ttl, this.#maxNegativeTtl);
            const authenticated = message.flags.ad;
            if (ttl !== undefined) {
              const entry: Cached = { kind: verdict.kind, authenticated, server: label };
              this.#cache?.set(verdict.kind === 'nxdomain' ? `*/${qname}` : key, entry, ttl * 1000);
            }
            throw this.#negativeError(verdict.kind, qname, type, label, ttl, authenticated, false);
          }
          case 'servfail':
          case 'refused':
          case 'insecure':
            out.add(i);
            failures.push({ reason: verdict.kind, server: label, detail: verdict.detail, rcode });
        }
      }
    }
    throw this.#failureError(qname, type, failures);
  }

  /** One server, one question: UDP with EDNS, TCP on TC, once more without EDNS on FORMERR. */
  async #ask(server: DnsServerAddress, qname: string, type: number): Promise<Attempt> {
    let attempt = await this.#exchange(server, qname, type, true);
    if (
      attempt.kind === 'message' &&
      attempt.message.flags.rcode === Rcode.FORMERR &&
      readEdns(attempt.message.additionals) === undefined &&
      !this.#requireDnssec
    ) {
      attempt = await this.#exchange(server, qname, type, false);
    }
    return attempt;
  }

  async #exchange(server: DnsServerAddress, qname: string, type: number, edns: boolean): Promise<Attempt> {
    const id = randomInt(0, 0x10000);
    let request: Uint8Array;
    try {
      const m = queryMessage({
        id,
        name: qname,
        type,
        rd: this.#rd,
        ...(edns ? { edns: { udpPayloadSize: this.#udpPayloadSize, dnssecOk: this.#requireDnssec } } : {}),
      });
      // RFC 6840 §5.7: AD in a query asks for AD in the answer, even without DO.
      request = encodeMessage({ ...m, flags: { ...m.flags, ad: true } });
    } catch (error) {
      if (error instanceof DnsWireError) {
        throw new EsonError('invalid-name', `cannot ask DNS for "${qname}": ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
    const check = (packet: Uint8Array): Check<DecodedMessage> => matchAnswer(packet, id, qname, type);
    let result: ExchangeResult<DecodedMessage> = await exchangeUdp(server, request, this.#timeoutMs, check);
    if (result.kind === 'answer' && result.value.flags.tc) {
      result = await exchangeTcp(server, request, this.#timeoutMs, check);
      if (result.kind === 'answer' && result.value.flags.tc) {
        return { kind: 'no-answer', reason: 'the answer over TCP is truncated too' };
      }
    }
    switch (result.kind) {
      case 'answer':
        return { kind: 'message', message: result.value };
      case 'timeout':
        return {
          kind: 'no-answer',
          reason: `no answer within ${this.#timeoutMs} ms${result.reason ? ` (ignored ${result.reason})` : ''}`,
        };
      case 'failed':
        return { kind: 'no-answer', reason: result.reason };
    }
  }

  #judge(m: DecodedMessage, qtype: number): Verdict {
    const rcode = fullRcode(m);
    if (this.#requireDnssec && !m.flags.ad && (rcode === Rcode.NOERROR || rcode === Rcode.NXDOMAIN)) {
      return {
        kind: 'insecure',
        detail:
          `the answer (${rcodeName(rcode)}) is not DNSSEC-validated: no AD bit` +
          (readEdns(m.additionals)?.dnssecOk ? '' : ', and the server ignored the DO bit'),
      };
    }
    switch (rcode) {
      case Rcode.NOERROR: {
        const records = m.answers.filter((rr) => rr.type === qtype && rr.class === RRClass.IN);
        if (records.length > 0) {
          let ttl = Infinity;
          for (const rr of m.answers) {
            if (rr.type === qtype || rr.type === CNAME || rr.type === DNAME)
              ttl = Math.min(ttl, ttlOf(rr.ttl));
          }
          return { kind: 'positive', records, ttl };
        }
        const soa = negativeTtl(m);
        if (soa === undefined && m.authorities.some((rr) => rr.type === RRType.NS) && !m.flags.aa) {
          const ns = m.authorities.find((rr) => rr.type === RRType.NS);
          return {
            kind: 'servfail',
            detail: `the server sent a referral to ${ns?.name ?? '?'} instead of an answer: it does not recurse, so use a recursive resolver`,
          };
        }
        return { kind: 'nodata', ttl: soa };
      }
      case Rcode.NXDOMAIN:
        return { kind: 'nxdomain', ttl: negativeTtl(m) };
      case Rcode.REFUSED:
        return { kind: 'refused', detail: 'the server refused the query (REFUSED)' };
      case Rcode.SERVFAIL:
        return { kind: 'servfail', detail: 'the server failed to answer (SERVFAIL)' };
      default:
        return {
          kind: 'servfail',
          detail: `the server answered ${rcodeName(rcode)}, which is no answer to the question`,
        };
    }
  }

  #negativeError(
    kind: 'nxdomain' | 'nodata',
    qname: string,
    type: number,
    server: string,
    ttl: number | undefined,
    authenticated: boolean,
    cached: boolean,
  ): DnsResolveError {
    const source = `${cached ? 'cached answer of' : 'answer of'} ${server}`;
    const message =
      kind === 'nxdomain'
        ? `${qname} does not exist in DNS (NXDOMAIN, ${source})`
        : `${qname} has no ${typeName(type)} record (NODATA, ${source})`;
    return new DnsResolveError(kind, message, {
      qname,
      qtype: typeName(type),
      server,
      rcode: kind === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR',
      ttl,
      authenticated,
    });
  }

  #failureError(qname: string, type: number, failures: readonly Failure[]): DnsResolveError {
    // An answer says more than a silence: report the last server that answered, if any did.
    const answered = failures.filter((f) => f.reason !== 'timeout');
    const final = answered[answered.length - 1] ?? failures[failures.length - 1];
    const reason: DnsResolveReason = final?.reason ?? 'timeout';
    const tries = new Map<string, string[]>();
    for (const f of failures) tries.set(f.server, [...(tries.get(f.server) ?? []), f.detail]);
    const account = [...tries]
      .map(([server, details]) => {
        const distinct = [...new Set(details)];
        return `${server}: ${distinct.join('; ')}${details.length > 1 ? ` (${details.length} tries)` : ''}`;
      })
      .join('; ');
    const what = `${typeName(type)} ${qname}`;
    let message: string;
    switch (reason) {
      case 'timeout':
        message = `no DNS answer for ${what}: ${account}`;
        break;
      case 'servfail':
        message = `the DNS server failed to resolve ${what}: ${account}`;
        break;
      case 'refused':
        message = `the DNS server refused to resolve ${what}: ${account}`;
        break;
      case 'insecure':
        message =
          `the answer for ${what} is not DNSSEC-validated and requireDnssec is set (${account}); ` +
          'ESON trusts the AD bit of the validating resolver it is configured with (RFC 4035 §4.9.3): ' +
          'point it at a validating resolver, and make sure the zone is signed and its chain of trust complete';
        break;
      case 'nxdomain':
      case 'nodata':
        message = `${what}: ${account}`;
    }
    return new DnsResolveError(reason, message, {
      qname,
      qtype: typeName(type),
      server: final?.server,
      rcode: final?.rcode,
    });
  }
}

/** The header RCODE extended by EDNS (RFC 6891 §6.1.3). */
function fullRcode(m: DecodedMessage): number {
  const edns = readEdns(m.additionals);
  return ((edns?.extendedRcode ?? 0) << 4) | m.flags.rcode;
}

/** RFC 2308 §5: the TTL of a negative answer is min(SOA TTL, SOA MINIMUM), if an SOA came with it. */
function negativeTtl(m: DecodedMessage): number | undefined {
  const soa = m.authorities.find((rr) => rr.type === RRType.SOA);
  if (soa?.data?.kind !== 'SOA') return undefined;
  return Math.min(ttlOf(soa.ttl), ttlOf(soa.data.minimum));
}

/** Accepts only a response to this question (RFC 5452 §9.1: ID, question name, type and class). */
function matchAnswer(packet: Uint8Array, id: number, qname: string, type: number): Check<DecodedMessage> {
  let m: DecodedMessage;
  try {
    m = decodeMessage(packet);
  } catch (error) {
    return { ok: false, reason: `a malformed answer (${(error as Error).message})` };
  }
  if (m.id !== id || !m.flags.qr) return { ok: false, reason: `an answer with ID ${m.id}, not ${id}` };
  if (m.flags.opcode !== Opcode.QUERY)
    return { ok: false, reason: `an answer with opcode ${m.flags.opcode}` };
  const q = m.questions[0];
  // FORMERR may come without the question (RFC 6891 §7).
  if (q === undefined && m.flags.rcode === Rcode.FORMERR) return { ok: true, value: m };
  if (
    m.questions.length !== 1 ||
    q === undefined ||
    q.type !== type ||
    q.class !== RRClass.IN ||
    canonicalQueryName(q.name) !== qname
  ) {
    return { ok: false, reason: 'an answer to another question' };
  }
  return { ok: true, value: m };
}
