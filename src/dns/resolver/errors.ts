/**
 * The errors of the resolver: one class for what a DNS lookup ended with (DnsResolveError, one
 * `reason` per outcome a caller may want to tell apart), one for what the records of a flow or
 * namespace lacked (FlowResolveError). Both are EsonErrors, so the protocol layer and the CLI map
 * them like every other domain error:
 *
 *   reason      kind          meaning
 *   nxdomain    not-found     the name does not exist (RCODE 3)
 *   nodata      not-found     the name exists, without records of the type asked (RFC 2308 §2.2)
 *   servfail    unavailable   the server failed (RCODE 2, or another RCODE that is no answer)
 *   timeout     unavailable   no answer from any server in time (or a socket error)
 *   refused     forbidden     every server refused the query by policy (RCODE 5)
 *   insecure    rejected      DNSSEC was required and the answer was not validated (no AD bit)
 */
import type { ErrorKind } from '../../core/errors.ts';
import { EsonError } from '../../core/errors.ts';

export type DnsResolveReason = 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'insecure';

const KIND: Readonly<Record<DnsResolveReason, ErrorKind>> = {
  nxdomain: 'not-found',
  nodata: 'not-found',
  servfail: 'unavailable',
  timeout: 'unavailable',
  refused: 'forbidden',
  insecure: 'rejected',
};

export interface DnsResolveErrorDetails {
  /** the name asked, canonical (lower case, no trailing dot) */
  readonly qname: string;
  /** the type asked, as a mnemonic (`SRV`) */
  readonly qtype: string;
  /** `host:port` of the server that gave the final answer, when one did */
  readonly server?: string | undefined;
  /** the RCODE's mnemonic, when a server answered */
  readonly rcode?: string | undefined;
  /** nxdomain/nodata: seconds the negative answer stays valid (RFC 2308 §5), when the answer said */
  readonly ttl?: number | undefined;
  /** nxdomain/nodata: the answer carried the AD bit */
  readonly authenticated?: boolean | undefined;
  readonly cause?: unknown;
}

export class DnsResolveError extends EsonError {
  readonly reason: DnsResolveReason;
  readonly qname: string;
  readonly qtype: string;
  readonly server: string | undefined;
  readonly rcode: string | undefined;
  readonly ttl: number | undefined;
  readonly authenticated: boolean;

  constructor(reason: DnsResolveReason, message: string, details: DnsResolveErrorDetails) {
    const context: Record<string, string | number | boolean> = {
      reason,
      qname: details.qname,
      qtype: details.qtype,
    };
    if (details.server !== undefined) context.server = details.server;
    if (details.rcode !== undefined) context.rcode = details.rcode;
    super(KIND[reason], message, { context, cause: details.cause });
    this.name = 'DnsResolveError';
    this.reason = reason;
    this.qname = details.qname;
    this.qtype = details.qtype;
    this.server = details.server;
    this.rcode = details.rcode;
    this.ttl = details.ttl;
    this.authenticated = details.authenticated ?? false;
  }

  /** True for an answer that says the records are not there (as opposed to no usable answer). */
  get negative(): boolean {
    return this.reason === 'nxdomain' || this.reason === 'nodata';
  }
}

export function isDnsResolveError(error: unknown): error is DnsResolveError {
  return error instanceof DnsResolveError;
}

/** True for an NXDOMAIN or NODATA DnsResolveError. */
export function isNegativeAnswer(error: unknown): error is DnsResolveError {
  return error instanceof DnsResolveError && error.negative;
}

/** What the records of a flow or namespace lacked, or held that does not parse. */
export type FlowResolveProblem =
  /** neither the flow nor any namespace above it is in DNS */
  | 'unknown-flow'
  /** the namespace has no `_flow._tcp` SRV */
  | 'no-agent'
  /** a PTR whose target has no SRV */
  | 'no-srv'
  /** every SRV target lacks an A and AAAA record */
  | 'no-address'
  /** the SRV RRset is the single "." record of RFC 2782: the service is decidedly not available */
  | 'service-unavailable'
  /** the flow has no `_queue._flow._tcp` SRV */
  | 'no-broker'
  /** a TXT string that does not parse, or a required attribute that is missing */
  | 'bad-txt'
  /** a PTR RRset that does not say which service name to follow */
  | 'bad-ptr';

const PROBLEM_KIND: Readonly<Record<FlowResolveProblem, ErrorKind>> = {
  'unknown-flow': 'not-found',
  'no-agent': 'not-found',
  'no-srv': 'not-found',
  'no-address': 'not-found',
  'service-unavailable': 'not-found',
  'no-broker': 'not-found',
  'bad-txt': 'rejected',
  'bad-ptr': 'rejected',
};

export class FlowResolveError extends EsonError {
  readonly problem: FlowResolveProblem;
  /** the DNS name whose records are at fault */
  readonly at: string;

  constructor(problem: FlowResolveProblem, at: string, message: string, cause?: unknown) {
    super(PROBLEM_KIND[problem], message, { cause, context: { problem, at } });
    this.name = 'FlowResolveError';
    this.problem = problem;
    this.at = at;
  }
}
