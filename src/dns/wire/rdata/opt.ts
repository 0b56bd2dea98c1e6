/**
 * OPT pseudo-RR (RFC 6891 §6.1): EDNS(0). The fixed part reuses the RR fields:
 *
 *   NAME   root
 *   TYPE   OPT (41)
 *   CLASS  requestor's UDP payload size
 *   TTL    +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *          |   EXTENDED-RCODE      |       VERSION         |
 *          |DO|                    Z                       |
 *          +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   RDATA  {attribute, value} pairs:
 *          +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *          |                  OPTION-CODE                  |
 *          |                 OPTION-LENGTH                 |
 *          /                  OPTION-DATA                  /
 *          +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * DO is the "DNSSEC OK" bit of RFC 3225.
 */
import { RRType } from '../constants.ts';
import type { WireRecord } from '../record.ts';
import type { RDataCodec } from './codec.ts';

export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface OptData {
  readonly kind: 'OPT';
  readonly options: readonly EdnsOption[];
}

/** The EDNS parameters an OPT record carries in its CLASS and TTL fields. */
export interface Edns {
  readonly udpPayloadSize: number;
  /** upper 8 bits of the 12-bit RCODE */
  readonly extendedRcode: number;
  readonly version: number;
  readonly dnssecOk: boolean;
  readonly options: readonly EdnsOption[];
}

const DO_BIT = 0x8000;

export const optCodec: RDataCodec<OptData> = {
  type: RRType.OPT,
  kind: 'OPT',
  encode(w, data) {
    for (const option of data.options) {
      w.u16(option.code, 'EDNS option code');
      w.u16(option.data.length, 'EDNS option length');
      w.bytes(option.data);
    }
  },
  decode(r) {
    const options: EdnsOption[] = [];
    while (r.remaining > 0) {
      const code = r.u16('EDNS option code');
      options.push({ code, data: r.bytes(r.u16('EDNS option length'), 'EDNS option data') });
    }
    return { kind: 'OPT', options };
  },
};

/** The OPT record for `edns`. */
export function ednsRecord(edns: Partial<Edns> = {}): WireRecord {
  const flags = edns.dnssecOk ? DO_BIT : 0;
  return {
    name: '',
    type: RRType.OPT,
    class: edns.udpPayloadSize ?? 1232,
    ttl: (edns.extendedRcode ?? 0) * 0x1000000 + ((edns.version ?? 0) << 16) + flags,
    data: { kind: 'OPT', options: edns.options ?? [] },
  };
}

/** The EDNS parameters of a message's OPT record, if it has one. */
export function readEdns(additionals: readonly WireRecord[]): Edns | undefined {
  const opt = additionals.find((rr) => rr.type === RRType.OPT);
  if (!opt) return undefined;
  return {
    udpPayloadSize: opt.class,
    extendedRcode: Math.floor(opt.ttl / 0x1000000),
    version: (opt.ttl >>> 16) & 0xff,
    dnssecOk: (opt.ttl & DO_BIT) !== 0,
    options: opt.data?.kind === 'OPT' ? opt.data.options : [],
  };
}
