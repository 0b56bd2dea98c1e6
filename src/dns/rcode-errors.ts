/**
 * What each answer of a DNS server to an UPDATE means for ESON: the one table from RCODEs (RFC
 * 1035 §4.1.1, RFC 2136 §2.2) and TSIG errors (RFC 8945 §3) to an EsonError kind, and whether
 * sending the same update again later may succeed. The retry loop reads `retriable` and nothing
 * else; the error messages read `meaning`.
 */
import type { ErrorKind } from '../core/errors.ts';
import { Rcode } from './wire/constants.ts';

export interface RcodeOutcome {
  readonly kind: ErrorKind | 'ok';
  /** set only where an attempt with the same request may succeed */
  readonly retriable: boolean;
  readonly meaning: string;
}

const TABLE: ReadonlyMap<number, RcodeOutcome> = new Map<number, RcodeOutcome>([
  [Rcode.NOERROR, { kind: 'ok', retriable: false, meaning: 'the update was applied' }],
  [Rcode.FORMERR, { kind: 'rejected', retriable: false, meaning: 'the server could not parse the update' }],
  [Rcode.SERVFAIL, { kind: 'unavailable', retriable: true, meaning: 'the server failed internally' }],
  [Rcode.NXDOMAIN, { kind: 'not-found', retriable: false, meaning: 'a name that must be in use is not' }],
  [Rcode.NOTIMP, { kind: 'rejected', retriable: false, meaning: 'the server does not implement UPDATE' }],
  [Rcode.REFUSED, { kind: 'forbidden', retriable: false, meaning: 'the server refused the update (policy)' }],
  [Rcode.YXDOMAIN, { kind: 'exists', retriable: false, meaning: 'a name that must not be in use is' }],
  [Rcode.YXRRSET, { kind: 'exists', retriable: false, meaning: 'an RRset that must not exist does' }],
  [Rcode.NXRRSET, { kind: 'not-found', retriable: false, meaning: 'an RRset that must exist does not' }],
  [
    Rcode.NOTAUTH,
    {
      kind: 'forbidden',
      retriable: false,
      meaning: 'the server is not authoritative or the key is not authorised',
    },
  ],
  [Rcode.NOTZONE, { kind: 'forbidden', retriable: false, meaning: 'a name is outside the zone' }],
  [
    Rcode.BADSIG,
    { kind: 'forbidden', retriable: false, meaning: 'the request signature did not verify (wrong secret?)' },
  ],
  [Rcode.BADKEY, { kind: 'forbidden', retriable: false, meaning: 'the server does not know the key' }],
  [
    Rcode.BADTIME,
    { kind: 'forbidden', retriable: false, meaning: "the request's time is outside the fudge (clock skew)" },
  ],
  [Rcode.BADMODE, { kind: 'forbidden', retriable: false, meaning: 'bad TKEY mode' }],
  [Rcode.BADNAME, { kind: 'forbidden', retriable: false, meaning: 'duplicate key name' }],
  [
    Rcode.BADALG,
    { kind: 'forbidden', retriable: false, meaning: 'the server does not support the algorithm' },
  ],
  [Rcode.BADTRUNC, { kind: 'forbidden', retriable: false, meaning: 'the server refused a truncated MAC' }],
]);

const UNKNOWN: RcodeOutcome = {
  kind: 'rejected',
  retriable: false,
  meaning: 'an RCODE this client does not know',
};

/** The outcome of an RCODE (header RCODE, extended by EDNS) or a TSIG error code. */
export function rcodeOutcome(rcode: number): RcodeOutcome {
  return TABLE.get(rcode) ?? UNKNOWN;
}

/** Transport outcomes, in the same terms: no answer, or a broken connection, may pass. */
export const NO_ANSWER: RcodeOutcome = {
  kind: 'unavailable',
  retriable: true,
  meaning: 'no verifiable answer in time',
};
