/**
 * Numeric codes of the DNS wire format, from the IANA "Domain Name System (DNS) Parameters"
 * registry. Plain objects, not enums (erasable syntax); `*Name` functions give the mnemonic
 * used in messages and logs.
 */

/** RR TYPEs this codec knows (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 4034, RFC 6891, RFC 8945). */
export const RRType = {
  A: 1,
  NS: 2,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  RRSIG: 46,
  TSIG: 250,
  /** QTYPE and RFC 2136 "all RRsets" (*) */
  ANY: 255,
} as const;

/** RFC 1035 §3.2.4, RFC 2136 §1.3 (NONE). */
export const RRClass = {
  IN: 1,
  /** RFC 2136: "delete an RR from an RRset" and "RRset does not exist" */
  NONE: 254,
  /** RFC 2136: "delete an RRset" and "RRset exists"; TSIG records */
  ANY: 255,
} as const;

/** RFC 1035 §4.1.1, RFC 2136 §1.3. */
export const Opcode = {
  QUERY: 0,
  NOTIFY: 4,
  UPDATE: 5,
} as const;

/** Header RCODEs (4 bits; RFC 1035, RFC 2136 §2.2) and TSIG error codes (RFC 8945 §3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
  BADCOOKIE: 23,
} as const;

function reverse(table: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}

const TYPE_NAMES = reverse(RRType);
const CLASS_NAMES = reverse(RRClass);
const OPCODE_NAMES = reverse(Opcode);
const RCODE_NAMES = reverse(Rcode);

/** `SRV`, or `TYPE65` for types without a mnemonic here (RFC 3597 §5). */
export const typeName = (type: number): string => TYPE_NAMES.get(type) ?? `TYPE${type}`;
export const className = (klass: number): string => CLASS_NAMES.get(klass) ?? `CLASS${klass}`;
export const opcodeName = (opcode: number): string => OPCODE_NAMES.get(opcode) ?? `OPCODE${opcode}`;
export const rcodeName = (rcode: number): string => RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
