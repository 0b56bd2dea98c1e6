/**
 * A resource record (RFC 1035 §4.1.3)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                      NAME                     /
 *   |                      TYPE                     |
 *   |                     CLASS                     |
 *   |                      TTL                      |   32 bits
 *   |                   RDLENGTH                    |
 *   /                     RDATA                     /
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * RDATA of zero length decodes to `data: null` and `null` encodes to it: RFC 2136 uses that for
 * its CLASS ANY / NONE prerequisites and deletions (§2.4, §2.5) whatever the TYPE. OPT is the
 * exception: its empty RDATA is an empty option list.
 */
import { RRType } from './constants.ts';
import { DnsWireError, invalidValue } from './errors.ts';
import { readName, writeName } from './name.ts';
import type { WireReader } from './reader.ts';
import type { WireWriter } from './writer.ts';
import type { AData } from './rdata/a.ts';
import { aCodec } from './rdata/a.ts';
import type { AaaaData } from './rdata/aaaa.ts';
import { aaaaCodec } from './rdata/aaaa.ts';
import type { RDataCodec } from './rdata/codec.ts';
import type { NsData } from './rdata/ns.ts';
import { nsCodec } from './rdata/ns.ts';
import type { OptData } from './rdata/opt.ts';
import { optCodec } from './rdata/opt.ts';
import type { PtrData } from './rdata/ptr.ts';
import { ptrCodec } from './rdata/ptr.ts';
import type { RrsigData } from './rdata/rrsig.ts';
import { rrsigCodec } from './rdata/rrsig.ts';
import type { SoaData } from './rdata/soa.ts';
import { soaCodec } from './rdata/soa.ts';
import type { SrvData } from './rdata/srv.ts';
import { srvCodec } from './rdata/srv.ts';
import type { TsigData } from './rdata/tsig.ts';
import { tsigCodec } from './rdata/tsig.ts';
import type { TxtData } from './rdata/txt.ts';
import { txtCodec } from './rdata/txt.ts';
import type { UnknownData } from './rdata/unknown.ts';
import { unknownCodec } from './rdata/unknown.ts';

export type RData =
  | AData
  | AaaaData
  | NsData
  | PtrData
  | SoaData
  | TxtData
  | SrvData
  | OptData
  | RrsigData
  | TsigData
  | UnknownData;

export interface WireRecord {
  /** owner name, text form without the trailing dot; '' is the root */
  readonly name: string;
  readonly type: number;
  /** CLASS; for OPT the UDP payload size */
  readonly class: number;
  /** TTL; for OPT the extended RCODE, version and flags */
  readonly ttl: number;
  /** null: zero-length RDATA */
  readonly data: RData | null;
}

type AnyCodec = RDataCodec<Exclude<RData, UnknownData>>;

const CODECS: ReadonlyMap<number, AnyCodec> = new Map(
  (
    [
      aCodec,
      aaaaCodec,
      nsCodec,
      ptrCodec,
      soaCodec,
      txtCodec,
      srvCodec,
      optCodec,
      rrsigCodec,
      tsigCodec,
    ] as AnyCodec[]
  ).map((codec) => [codec.type, codec]),
);

export function encodeRecord(w: WireWriter, rr: WireRecord): void {
  writeName(w, rr.name, rr.type !== RRType.TSIG);
  w.u16(rr.type, 'TYPE');
  w.u16(rr.class, 'CLASS');
  w.u32(rr.ttl, 'TTL');
  const lengthAt = w.length;
  w.u16(0, 'RDLENGTH');
  const data = rr.data;
  if (data !== null) {
    if (data.kind === 'UNKNOWN') {
      unknownCodec.encode(w, data);
    } else {
      const codec = CODECS.get(rr.type);
      if (codec?.kind !== data.kind) {
        throw invalidValue(`a record of TYPE ${rr.type} cannot carry ${data.kind} RDATA`);
      }
      codec.encode(w, data);
    }
  }
  const rdlength = w.length - lengthAt - 2;
  if (rdlength > 0xffff) throw invalidValue(`RDATA of ${rdlength} octets is over 65535`);
  w.patchU16(lengthAt, rdlength, 'RDLENGTH');
}

export function decodeRecord(r: WireReader): WireRecord {
  const name = readName(r);
  const type = r.u16('TYPE');
  const klass = r.u16('CLASS');
  const ttl = r.u32('TTL');
  const rdlength = r.u16('RDLENGTH');
  const rdata = r.limit(rdlength, 'RDATA');
  const codec = CODECS.get(type);
  let data: RData | null;
  if (rdlength === 0 && type !== RRType.OPT) data = null;
  else if (codec) data = codec.decode(rdata);
  else data = unknownCodec.decode(rdata);
  if (rdata.remaining !== 0) {
    throw new DnsWireError('bad-rdata', `${rdata.remaining} octets left over in the RDATA`, rdata.offset);
  }
  return { name, type, class: klass, ttl, data };
}
