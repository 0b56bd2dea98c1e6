/**
 * Flow name resolution (seed §2.1.2, shared/product/fns-records.md): from `flow://F` to the agent
 * that serves F and the broker that holds its events.
 *
 *   1. F PTR                   -> the service name, `_flow._tcp.F` in the standard layout
 *   2. <service> SRV and TXT   -> the agent's host and port (RFC 2782 order), and "tls"
 *   3. <agent host> A and AAAA -> its addresses; the next SRV target if it has none
 *   4. _queue._flow._tcp.F SRV and TXT -> the broker: host, port, broker-type, queue, queue-url, tls
 *
 * The queries of steps 1, 2 (for `_flow._tcp.F`) and 4 go out together: when the PTR points at
 * `_flow._tcp.F`, as every ESON writer makes it, the answers of step 2 are already there, so an
 * uncached resolution costs two round trips, not four. When the PTR points elsewhere, step 2 asks
 * that name; the speculative answers are dropped.
 *
 * A flow without a PTR (NXDOMAIN or NODATA) is not an error yet: the namespace's agent may still
 * serve it. The parents of F (closest first, down to two labels) are tried at `_flow._tcp.<parent>`
 * and the closest with an SRV gives a result of kind 'namespace', which says that the flow itself
 * is unknown to DNS. Only when no parent has an agent does resolution fail ('unknown-flow').
 *
 * Failures say which record is missing or wrong (FlowResolveError: a PTR without SRV, an SRV whose
 * targets have no address, a TXT string that does not parse, a flow without broker records);
 * DNS failures (SERVFAIL, timeout, insecure) pass through as DnsResolveErrors. `ttl` is the
 * smallest TTL of every answer used, negative ones included (RFC 2308): how long the result holds.
 */
import { flowServiceName, queueServiceName } from '../../core/fns-records.ts';
import { parentName, parseFlowName, parseNamespaceName } from '../../core/names.ts';
import { RRType } from '../wire/constants.ts';
import type { WireRecord } from '../wire/record.ts';
import { utf8Strings } from '../wire/rdata/txt.ts';
import type { SrvData } from '../wire/rdata/srv.ts';
import type { DnsResolveError } from './errors.ts';
import { FlowResolveError, isNegativeAnswer } from './errors.ts';
import { canonicalQueryName } from './name.ts';
import type { RandomSource, SrvCandidate } from './srv.ts';
import { isServiceUnavailable, orderSrv } from './srv.ts';
import type { DnsAnswer, DnsQuerier } from './stub-resolver.ts';
import { parseAgentTxt, parseBrokerTxt } from './txt.ts';

export interface ResolvedAgent {
  /** the SRV target chosen: the first, in RFC 2782 order, that has an address */
  readonly host: string;
  readonly port: number;
  /** the agent's TXT has "tls" */
  readonly tls: boolean;
  /** A records, then AAAA records, of `host` */
  readonly addresses: readonly string[];
  /** every SRV target, in the order a client tries them (the chosen one first unless earlier ones had no address) */
  readonly candidates: readonly SrvCandidate[];
  /** the name whose SRV and TXT these come from */
  readonly service: string;
}

export interface ResolvedBroker {
  /** `broker-type=`: kafka, sqs, local... */
  readonly type: string;
  /** the first SRV target in RFC 2782 order (addresses are the broker client's business) */
  readonly host: string;
  readonly port: number;
  /** `queue=`, or the flow's FQDN (the name ESON's agents give a flow's queue) */
  readonly queue: string;
  readonly queueUrl?: string;
  readonly tls: boolean;
  readonly candidates: readonly SrvCandidate[];
}

interface ResolutionBase {
  /** the flow's canonical FQDN */
  readonly flow: string;
  readonly agent: ResolvedAgent;
  /** seconds the result holds: the smallest TTL of the answers used */
  readonly ttl: number;
  /** every answer used carried the AD bit */
  readonly authenticated: boolean;
}

/** The flow is in DNS: its PTR, agent and broker records resolved. */
export interface RegisteredFlowResolution extends ResolutionBase {
  readonly kind: 'flow';
  readonly broker: ResolvedBroker;
}

/** The flow is unknown to DNS (no PTR); `agent` serves the closest namespace above it. */
export interface NamespaceFallbackResolution extends ResolutionBase {
  readonly kind: 'namespace';
  readonly broker: undefined;
  readonly namespace: string;
  /** why the flow itself did not resolve (the PTR query's NXDOMAIN or NODATA) */
  readonly unknownFlow: string;
}

export type FlowResolution = RegisteredFlowResolution | NamespaceFallbackResolution;

export interface NamespaceResolution {
  readonly namespace: string;
  readonly agent: ResolvedAgent;
  readonly ttl: number;
  readonly authenticated: boolean;
}

export interface FlowResolverOptions {
  /** a DnsResolver, usually */
  readonly resolver: DnsQuerier;
  /** the SRV weighted draw (RFC 2782); default Math.random */
  readonly random?: RandomSource;
}

type Settled =
  { readonly ok: true; readonly value: DnsAnswer } | { readonly ok: false; readonly error: unknown };

const settle = (p: Promise<DnsAnswer>): Promise<Settled> =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

/** The smallest TTL and the conjunction of AD bits over the answers a result rests on. */
class Validity {
  ttl = Infinity;
  authenticated = true;

  answer(a: DnsAnswer): void {
    if (a.ttl < this.ttl) this.ttl = a.ttl;
    if (!a.authenticated) this.authenticated = false;
  }

  negative(e: DnsResolveError): void {
    // A negative answer without an SOA may not be cached (RFC 2308 §5): it holds for no time.
    const ttl = e.ttl ?? 0;
    if (ttl < this.ttl) this.ttl = ttl;
    if (!e.authenticated) this.authenticated = false;
  }

  get seconds(): number {
    return Number.isFinite(this.ttl) ? Math.max(0, this.ttl) : 0;
  }
}

function srvRecords(records: readonly WireRecord[]): SrvData[] {
  const out: SrvData[] = [];
  for (const rr of records) if (rr.data?.kind === 'SRV') out.push(rr.data);
  return out;
}

function txtRecords(records: readonly WireRecord[]): string[][] {
  const out: string[][] = [];
  for (const rr of records) if (rr.data?.kind === 'TXT') out.push(utf8Strings(rr.data));
  return out;
}

export class FlowResolver {
  readonly #dns: DnsQuerier;
  readonly #random: RandomSource;

  constructor(options: FlowResolverOptions) {
    this.#dns = options.resolver;
    this.#random = options.random ?? Math.random;
  }

  /** Resolves `flow://F` (or the FQDN F); see the module comment. */
  async resolveFlow(uri: string): Promise<FlowResolution> {
    const flow = parseFlowName(uri);
    const service = flowServiceName(flow);
    const queue = queueServiceName(flow);
    const ptrQuery = settle(this.#dns.query(flow, RRType.PTR));
    let srvQuery = settle(this.#dns.query(service, RRType.SRV));
    let txtQuery = settle(this.#dns.query(service, RRType.TXT));
    const queueSrvQuery = settle(this.#dns.query(queue, RRType.SRV));
    const queueTxtQuery = settle(this.#dns.query(queue, RRType.TXT));
    const validity = new Validity();

    const ptr = await ptrQuery;
    if (!ptr.ok) {
      if (isNegativeAnswer(ptr.error)) {
        validity.negative(ptr.error);
        return this.#namespaceFallback(flow, ptr.error, validity);
      }
      throw ptr.error;
    }
    validity.answer(ptr.value);
    const target = this.#ptrTarget(flow, service, ptr.value);
    if (target !== service) {
      srvQuery = settle(this.#dns.query(target, RRType.SRV));
      txtQuery = settle(this.#dns.query(target, RRType.TXT));
    }
    const [agent, broker] = await Promise.all([
      this.#agent(target, srvQuery, txtQuery, validity, (cause) =>
        missing(
          'no-srv',
          target,
          `flow ${flow} has a PTR to ${target}, but ${target} has no SRV record (${cause.message})`,
          cause,
        ),
      ),
      this.#broker(flow, queue, queueSrvQuery, queueTxtQuery, validity),
    ]);
    return {
      kind: 'flow',
      flow,
      agent,
      broker,
      ttl: validity.seconds,
      authenticated: validity.authenticated,
    };
  }

  /** The agent serving namespace `ns`, from `_flow._tcp.<ns>` SRV and TXT and its addresses. */
  async resolveNamespace(ns: string): Promise<NamespaceResolution> {
    const namespace = parseNamespaceName(ns);
    const service = flowServiceName(namespace);
    const validity = new Validity();
    const agent = await this.#agent(
      service,
      settle(this.#dns.query(service, RRType.SRV)),
      settle(this.#dns.query(service, RRType.TXT)),
      validity,
      (cause) =>
        missing(
          'no-agent',
          service,
          `namespace ${namespace} has no agent in DNS: no SRV record at ${service} (${cause.message})`,
          cause,
        ),
    );
    return { namespace, agent, ttl: validity.seconds, authenticated: validity.authenticated };
  }

  #ptrTarget(flow: string, service: string, ptr: DnsAnswer): string {
    const targets = [
      ...new Set(
        ptr.records.flatMap((rr) => (rr.data?.kind === 'PTR' ? [canonicalQueryName(rr.data.target)] : [])),
      ),
    ];
    if (targets.includes(service)) return service;
    const [only] = targets;
    if (targets.length === 1 && only !== undefined && only !== '') return only;
    throw new FlowResolveError(
      'bad-ptr',
      flow,
      targets.length === 0 || only === ''
        ? `the PTR record of flow ${flow} has no target`
        : `flow ${flow} has ${targets.length} PTR records (${targets.join(', ')}) and none is ${service}: which service to follow is ambiguous`,
    );
  }

  async #namespaceFallback(
    flow: string,
    cause: DnsResolveError,
    validity: Validity,
  ): Promise<NamespaceFallbackResolution> {
    const parents: string[] = [];
    for (let name = parentName(flow); name?.includes('.'); name = parentName(name)) parents.push(name);
    const lookups = parents.map((namespace) => {
      const service = flowServiceName(namespace);
      return {
        namespace,
        service,
        srv: settle(this.#dns.query(service, RRType.SRV)),
        txt: settle(this.#dns.query(service, RRType.TXT)),
      };
    });
    const by = cause.server === undefined ? '' : ` from ${cause.server}`;
    const unknownFlow =
      cause.reason === 'nxdomain'
        ? `flow ${flow} is not in DNS: the name does not exist (NXDOMAIN${by})`
        : `flow ${flow} is not in DNS: the name has no PTR record (NODATA${by})`;
    for (const lookup of lookups) {
      const srv = await lookup.srv;
      if (!srv.ok && isNegativeAnswer(srv.error)) {
        validity.negative(srv.error);
        continue;
      }
      // Anything else (SERVFAIL, timeout) leaves open whether this closer namespace exists: fail.
      const agent = await this.#agent(lookup.service, Promise.resolve(srv), lookup.txt, validity, (e) => e);
      return {
        kind: 'namespace',
        flow,
        namespace: lookup.namespace,
        unknownFlow,
        agent,
        broker: undefined,
        ttl: validity.seconds,
        authenticated: validity.authenticated,
      };
    }
    throw new FlowResolveError(
      'unknown-flow',
      flow,
      `${unknownFlow}; and no namespace above it has an agent (no SRV record at ${
        lookups.map((l) => l.service).join(', ') || 'any parent name'
      })`,
      cause,
    );
  }

  async #agent(
    service: string,
    srvQuery: Promise<Settled>,
    txtQuery: Promise<Settled>,
    validity: Validity,
    noSrv: (cause: DnsResolveError) => Error,
  ): Promise<ResolvedAgent> {
    const [srv, txt] = await Promise.all([srvQuery, txtQuery]);
    if (!srv.ok) {
      if (isNegativeAnswer(srv.error)) throw noSrv(srv.error);
      throw srv.error;
    }
    validity.answer(srv.value);
    const records = srvRecords(srv.value.records);
    if (isServiceUnavailable(records)) {
      throw new FlowResolveError(
        'service-unavailable',
        service,
        `the SRV record at ${service} has the target ".": the agent says the service is not available there (RFC 2782)`,
      );
    }
    let tls = false;
    if (txt.ok) {
      validity.answer(txt.value);
      tls = parseAgentTxt(txtRecords(txt.value.records), service).tls;
    } else if (isNegativeAnswer(txt.error)) {
      validity.negative(txt.error);
    } else {
      throw txt.error;
    }
    const candidates = orderSrv(records, this.#random);
    const tried: string[] = [];
    for (const candidate of candidates) {
      const addresses = await this.#addresses(candidate.host, validity);
      if (addresses.length > 0) {
        return { host: candidate.host, port: candidate.port, tls, addresses, candidates, service };
      }
      tried.push(candidate.host);
    }
    throw new FlowResolveError(
      'no-address',
      service,
      `the SRV record at ${service} points at ${tried.join(', ')}, which has no A or AAAA record`,
    );
  }

  /** A then AAAA addresses of `host`; [] when DNS says it has neither. */
  async #addresses(host: string, validity: Validity): Promise<string[]> {
    const [a, aaaa] = await Promise.all([
      settle(this.#dns.query(host, RRType.A)),
      settle(this.#dns.query(host, RRType.AAAA)),
    ]);
    const addresses: string[] = [];
    let failure: Error | undefined;
    for (const result of [a, aaaa]) {
      if (result.ok) {
        validity.answer(result.value);
        for (const rr of result.value.records) {
          if (rr.data?.kind === 'A' || rr.data?.kind === 'AAAA') addresses.push(rr.data.address);
        }
      } else if (isNegativeAnswer(result.error)) {
        validity.negative(result.error);
      } else {
        failure ??= result.error as Error;
      }
    }
    // One family answered: use it. Neither did and one failed: whether there is an address is unknown.
    if (addresses.length === 0 && failure !== undefined) throw failure;
    return addresses;
  }

  async #broker(
    flow: string,
    queue: string,
    srvQuery: Promise<Settled>,
    txtQuery: Promise<Settled>,
    validity: Validity,
  ): Promise<ResolvedBroker> {
    const [srv, txt] = await Promise.all([srvQuery, txtQuery]);
    if (!srv.ok) {
      if (isNegativeAnswer(srv.error)) {
        throw missing(
          'no-broker',
          queue,
          `flow ${flow} has no broker in DNS: no SRV record at ${queue} (${srv.error.message})`,
          srv.error,
        );
      }
      throw srv.error;
    }
    validity.answer(srv.value);
    const records = srvRecords(srv.value.records);
    const candidates = orderSrv(records, this.#random);
    const first = candidates[0];
    if (isServiceUnavailable(records) || first === undefined) {
      throw new FlowResolveError(
        'service-unavailable',
        queue,
        `the SRV record at ${queue} has the target ".": the flow's broker is not available (RFC 2782)`,
      );
    }
    if (!txt.ok) {
      if (isNegativeAnswer(txt.error)) {
        throw missing(
          'bad-txt',
          queue,
          `flow ${flow} has a broker SRV but no TXT record at ${queue}, which must say "broker-type=<type>" (${txt.error.message})`,
          txt.error,
        );
      }
      throw txt.error;
    }
    validity.answer(txt.value);
    const attributes = parseBrokerTxt(txtRecords(txt.value.records), queue);
    return {
      type: attributes.type,
      host: first.host,
      port: first.port,
      queue: attributes.queue ?? flow,
      ...(attributes.queueUrl !== undefined ? { queueUrl: attributes.queueUrl } : {}),
      tls: attributes.tls,
      candidates,
    };
  }
}

function missing(
  problem: 'no-srv' | 'no-agent' | 'no-broker' | 'bad-txt',
  at: string,
  message: string,
  cause: DnsResolveError,
): FlowResolveError {
  return new FlowResolveError(problem, at, message, cause);
}
