/**
 * RDATA of a type this codec does not interpret (RFC 3597): kept as opaque octets, so that a
 * message with it still decodes and re-encodes unchanged.
 */
import type { WireReader } from '../reader.ts';
import type { WireWriter } from '../writer.ts';

export interface UnknownData {
  readonly kind: 'UNKNOWN';
  readonly bytes: Uint8Array;
}

export const unknownCodec = {
  kind: 'UNKNOWN',
  encode(w: WireWriter, data: UnknownData): void {
    w.bytes(data.bytes);
  },
  decode(r: WireReader): UnknownData {
    return { kind: 'UNKNOWN', bytes: r.bytes(r.remaining, 'RDATA') };
  },
} as const;
