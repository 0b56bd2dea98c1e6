/**
 * SRV (RFC 2782)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                   PRIORITY                    |
 *   |                    WEIGHT                     |
 *   |                     PORT                      |
 *   /                    TARGET                     /   a domain name, never compressed
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { RRType } from '../constants.ts';
import { readName, writeName } from '../name.ts';
import type { RDataCodec } from './codec.ts';

export interface SrvData {
  readonly kind: 'SRV';
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

export const srvCodec: RDataCodec<SrvData> = {
  type: RRType.SRV,
  kind: 'SRV',
  encode(w, data) {
    w.u16(data.priority, 'SRV priority');
    w.u16(data.weight, 'SRV weight');
    w.u16(data.port, 'SRV port');
    writeName(w, data.target, false);
  },
  decode(r) {
    const priority = r.u16('SRV priority');
    const weight = r.u16('SRV weight');
    const port = r.u16('SRV port');
    return { kind: 'SRV', priority, weight, port, target: readName(r) };
  },
};
