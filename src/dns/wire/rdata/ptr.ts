/**
 * PTR (RFC 1035 §3.3.12)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                   PTRDNAME                    /   a domain name, compressible
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface PtrData {
  readonly kind: 'PTR';
  readonly target: string;
}

export const ptrCodec: RDataCodec<PtrData> = {
  type: RRType.PTR,
  kind: 'PTR',
  encode(w, data) {
    writeName(w, data.target, true);
  },
  decode(r) {
    return { kind: 'PTR', target: readName(r) };
  },
};
