/**
 * AAAA (RFC 3596 §2.2)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                    ADDRESS                    |   128 bits, network order
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * Decoded addresses are in RFC 5952 form (lower case, longest run of two or more zero groups as "::").
 */
import { RRType } from '../constants.ts';
import { DnsWireError, invalidValue } from '../errors.ts';
import { parseIpv4 } from './a.ts';
import type { RDataCodec } from './codec.ts';

export interface AaaaData {
  readonly kind: 'AAAA';
  readonly address: string;
}

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 16 octets of an IPv6 address in text form (RFC 4291 §2.2, including a dotted-quad tail). */
export function parseIpv6(text: string): Uint8Array {
  const bad = (): never => {
    throw invalidValue(`"${text}" is not an IPv6 address`);
  };
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const groupsOf = (part: string, last: boolean): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    pieces.forEach((piece, i) => {
      if (last && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        groups.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
      } else if (GROUP.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        bad();
      }
    });
    return groups;
  };
  const head = groupsOf(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string, true) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) bad();
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function formatIpv6(octets: Uint8Array): string {
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((octets[2 * i] as number) << 8) | (octets[2 * i + 1] as number),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export const aaaaCodec: RDataCodec<AaaaData> = {
  type: RRType.AAAA,
  kind: 'AAAA',
  encode(w, data) {
    w.bytes(parseIpv6(data.address));
  },
  decode(r) {
    if (r.remaining !== 16) {
      throw new DnsWireError('bad-rdata', `AAAA RDATA is ${r.remaining} octets, not 16`, r.offset);
    }
    return { kind: 'AAAA', address: formatIpv6(r.bytes(16, 'AAAA address')) };
  },
};
