/**
 * SOA (RFC 1035 §3.3.13)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                     MNAME                     /   compressible
 *   /                     RNAME                     /   compressible
 *   |                    SERIAL                     |   32 bits
 *   |                    REFRESH                    |   32 bits
 *   |                     RETRY                     |   32 bits
 *   |                    EXPIRE                     |   32 bits
 *   |                    MINIMUM                    |   32 bits
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface SoaData {
  readonly kind: 'SOA';
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export const soaCodec: RDataCodec<SoaData> = {
  type: RRType.SOA,
  kind: 'SOA',
  encode(w, data) {
    writeName(w, data.mname, true);
    writeName(w, data.rname, true);
    w.u32(data.serial, 'SOA serial');
    w.u32(data.refresh, 'SOA refresh');
    w.u32(data.retry, 'SOA retry');
    w.u32(data.expire, 'SOA expire');
    w.u32(data.minimum, 'SOA minimum');
  },
  decode(r) {
    const mname = readName(r);
    const rname = readName(r);
    return {
      kind: 'SOA',
      mname,
      rname,
      serial: r.u32('SOA serial'),
      refresh: r.u32('SOA refresh'),
      retry: r.u32('SOA retry'),
      expire: r.u32('SOA expire'),
      minimum: r.u32('SOA minimum'),
    };
  },
};
