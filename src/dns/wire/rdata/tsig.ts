/**
 * TSIG RDATA (RFC 8945 §4.2). The record itself has CLASS ANY and TTL 0 and is the last record of
 * the additional section; its owner name is the key name.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                         Algorithm Name                        /   never compressed
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   |          Time Signed          +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   48 bits, seconds
 *   |                               |            Fudge              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          MAC Size             |                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+             MAC               /
 *   /                                                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Original ID          |            Error              |
 *   |          Other Len            |                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+           Other Data          /
 *   /                                                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface TsigData {
  readonly kind: 'TSIG';
  readonly algorithm: string;
  /** seconds since the epoch */
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Uint8Array;
  readonly originalId: number;
  /** 0, or a TSIG error code (BADSIG 16, BADKEY 17, BADTIME 18, BADTRUNC 22) */
  readonly error: number;
  /** empty, or with BADTIME the server's current time as 48 bits */
  readonly otherData: Uint8Array;
}

export const tsigCodec: RDataCodec<TsigData> = {
  type: RRType.TSIG,
  kind: 'TSIG',
  encode(w, data) {
    writeName(w, data.algorithm, false);
    w.u48(data.timeSigned, 'TSIG time signed');
    w.u16(data.fudge, 'TSIG fudge');
    w.u16(data.mac.length, 'TSIG MAC size');
    w.bytes(data.mac);
    w.u16(data.originalId, 'TSIG original ID');
    w.u16(data.error, 'TSIG error');
    w.u16(data.otherData.length, 'TSIG other length');
    w.bytes(data.otherData);
  },
  decode(r) {
    const algorithm = readName(r);
    const timeSigned = r.u48('TSIG time signed');
    const fudge = r.u16('TSIG fudge');
    const mac = r.bytes(r.u16('TSIG MAC size'), 'TSIG MAC');
    const originalId = r.u16('TSIG original ID');
    const error = r.u16('TSIG error');
    const otherData = r.bytes(r.u16('TSIG other length'), 'TSIG other data');
    return { kind: 'TSIG', algorithm, timeSigned, fudge, mac, originalId, error, otherData };
  },
};
