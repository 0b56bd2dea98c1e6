/**
 * NS (RFC 1035 §3.3.11)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                   NSDNAME                     /   a domain name, compressible
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface NsData {
  readonly kind: 'NS';
  readonly target: string;
}

export const nsCodec: RDataCodec<NsData> = {
  type: RRType.NS,
  kind: 'NS',
  encode(w, data) {
    writeName(w, data.target, true);
  },
  decode(r) {
    return { kind: 'NS', target: readName(r) };
  },
};
