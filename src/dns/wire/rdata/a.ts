/**
 * A (RFC 1035 §3.4.1)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                    ADDRESS                    |   32 bits
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { RRType } from '../constants.ts';
import { DnsWireError, invalidValue } from '../errors.ts';
import type { RDataCodec } from './codec.ts';

export interface AData {
  readonly kind: 'A';
  /** dotted quad */
  readonly address: string;
}

const DOTTED_QUAD = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** The four octets of a dotted quad; no leading zeros, each at most 255. */
export function parseIpv4(text: string): Uint8Array {
  const m = DOTTED_QUAD.exec(text);
  const octets = m?.slice(1).map(Number);
  if (!octets || octets.some((n) => n > 255)) throw invalidValue(`"${text}" is not an IPv4 address`);
  return Uint8Array.from(octets);
}

export const aCodec: RDataCodec<AData> = {
  type: RRType.A,
  kind: 'A',
  encode(w, data) {
    w.bytes(parseIpv4(data.address));
  },
  decode(r) {
    if (r.remaining !== 4)
      throw new DnsWireError('bad-rdata', `A RDATA is ${r.remaining} octets, not 4`, r.offset);
    return { kind: 'A', address: Array.from(r.bytes(4, 'A address')).join('.') };
  },
};
