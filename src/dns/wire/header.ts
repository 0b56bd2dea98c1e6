/**
 * The message header (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2; UPDATE names the counts
 * ZOCOUNT, PRCOUNT, UPCOUNT, ADCOUNT, RFC 2136 §2.2).
 *
 *                                   1  1  1  1  1  1
 *     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import type { WireReader } from './reader.ts';
import type { WireWriter } from './writer.ts';
import { checkUint } from './writer.ts';

export const HEADER_OCTETS = 12;

export interface HeaderFlags {
  /** true in a response */
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** the reserved bit, kept so that a message re-encodes unchanged */
  readonly z: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  /** the header's 4 bits; EDNS extends it (readEdns) */
  readonly rcode: number;
}

export interface Header {
  readonly id: number;
  readonly flags: HeaderFlags;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

export const QUERY_FLAGS: HeaderFlags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
  rcode: 0,
};

const bit = (on: boolean, shift: number): number => (on ? 1 << shift : 0);

export function encodeFlags(f: HeaderFlags): number {
  return (
    bit(f.qr, 15) |
    ((f.opcode & 0xf) << 11) |
    bit(f.aa, 10) |
    bit(f.tc, 9) |
    bit(f.rd, 8) |
    bit(f.ra, 7) |
    bit(f.z, 6) |
    bit(f.ad, 5) |
    bit(f.cd, 4) |
    (f.rcode & 0xf)
  );
}

export function decodeFlags(v: number): HeaderFlags {
  return {
    qr: (v & 0x8000) !== 0,
    opcode: (v >>> 11) & 0xf,
    aa: (v & 0x0400) !== 0,
    tc: (v & 0x0200) !== 0,
    rd: (v & 0x0100) !== 0,
    ra: (v & 0x0080) !== 0,
    z: (v & 0x0040) !== 0,
    ad: (v & 0x0020) !== 0,
    cd: (v & 0x0010) !== 0,
    rcode: v & 0xf,
  };
}

export function encodeHeader(w: WireWriter, h: Header): void {
  checkUint(h.flags.opcode, 15, 'opcode');
  checkUint(h.flags.rcode, 15, 'header RCODE (extended RCODEs go in OPT)');
  w.u16(h.id, 'ID');
  w.u16(encodeFlags(h.flags), 'flags');
  w.u16(h.qdcount, 'QDCOUNT');
  w.u16(h.ancount, 'ANCOUNT');
  w.u16(h.nscount, 'NSCOUNT');
  w.u16(h.arcount, 'ARCOUNT');
}

export function decodeHeader(r: WireReader): Header {
  r.need(HEADER_OCTETS, 'header');
  return {
    id: r.u16('ID'),
    flags: decodeFlags(r.u16('flags')),
    qdcount: r.u16('QDCOUNT'),
    ancount: r.u16('ANCOUNT'),
    nscount: r.u16('NSCOUNT'),
    arcount: r.u16('ARCOUNT'),
  };
}
