/**
 * RRSIG (RFC 4034 §3.1), decoded so that a signed answer can be recognised; ESON never signs.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Type Covered           |  Algorithm    |     Labels    |
 *   |                         Original TTL                          |
 *   |                      Signature Expiration                     |
 *   |                      Signature Inception                      |
 *   |            Key Tag            |                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+         Signer's Name         /
 *   /                                    (never compressed)         /
 *   /                            Signature                          /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface RrsigData {
  readonly kind: 'RRSIG';
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  /** seconds since the epoch, modulo 2^32 (RFC 4034 §3.1.5) */
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  readonly signerName: string;
  readonly signature: Uint8Array;
}

export const rrsigCodec: RDataCodec<RrsigData> = {
  type: RRType.RRSIG,
  kind: 'RRSIG',
  encode(w, data) {
    w.u16(data.typeCovered, 'RRSIG type covered');
    w.u8(data.algorithm, 'RRSIG algorithm');
    w.u8(data.labels, 'RRSIG labels');
    w.u32(data.originalTtl, 'RRSIG original TTL');
    w.u32(data.expiration, 'RRSIG expiration');
    w.u32(data.inception, 'RRSIG inception');
    w.u16(data.keyTag, 'RRSIG key tag');
    writeName(w, data.signerName, false);
    w.bytes(data.signature);
  },
  decode(r) {
    const typeCovered = r.u16('RRSIG type covered');
    const algorithm = r.u8('RRSIG algorithm');
    const labels = r.u8('RRSIG labels');
    const originalTtl = r.u32('RRSIG original TTL');
    const expiration = r.u32('RRSIG expiration');
    const inception = r.u32('RRSIG inception');
    const keyTag = r.u16('RRSIG key tag');
    const signerName = readName(r);
    const signature = r.bytes(r.remaining, 'RRSIG signature');
    return {
      kind: 'RRSIG',
      typeCovered,
      algorithm,
      labels,
      originalTtl,
      expiration,
      inception,
      keyTag,
      signerName,
      signature,
    };
  },
};
