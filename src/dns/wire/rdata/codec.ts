/**
 * The shape every RDATA codec has: a pure encoder that appends to a WireWriter and a pure decoder
 * that reads from a reader bounded to exactly RDLENGTH octets (the record codec checks that the
 * decoder consumed them all).
 */
import type { WireReader } from '../reader.ts';
import type { WireWriter } from '../writer.ts';

export interface RDataCodec<T extends { readonly kind: string }> {
  /** RR TYPE number */
  readonly type: number;
  readonly kind: T['kind'];
  encode(w: WireWriter, data: T): void;
  decode(r: WireReader): T;
}
