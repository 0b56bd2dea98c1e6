/**
 * A zone's contents as the server holds them: an immutable snapshot, owner name -> TYPE -> RRset.
 * Queries read the committed snapshot; an update builds a new one from a draft (update-rules.ts)
 * and the store swaps it in only once it is on disk, so nobody ever sees half an update.
 *
 * Every record of an RRset has the RRset's TTL (RFC 2181 §5.2). Two RDATA are the same record
 * when their canonical wire forms are equal (RFC 2136 §1.1, RFC 4034 §6.2: domain names inside
 * PTR, NS, SRV and SOA RDATA compared without regard to ASCII case).
 */
import { RRClass, RRType } from '../wire/constants.ts';
import type { RData, WireRecord } from '../wire/record.ts';
import { encodeRecord } from '../wire/record.ts';
import type { SoaData } from '../wire/rdata/soa.ts';
import { WireWriter } from '../wire/writer.ts';
import { isAtOrBelow, nameKey, parentKey } from './names.ts';

/** The RDATA this server stores: the types the codec decodes and fns-records.md needs. */
export type StoredData = Extract<RData, { kind: 'A' | 'AAAA' | 'NS' | 'PTR' | 'SOA' | 'SRV' | 'TXT' }>;

/** TYPE -> RDATA kind of the types a zone may hold; an UPDATE adding any other type is REFUSED. */
export const STORED_TYPES: ReadonlyMap<number, StoredData['kind']> = new Map([
  [RRType.A, 'A'],
  [RRType.NS, 'NS'],
  [RRType.SOA, 'SOA'],
  [RRType.PTR, 'PTR'],
  [RRType.TXT, 'TXT'],
  [RRType.AAAA, 'AAAA'],
  [RRType.SRV, 'SRV'],
]);

export function isStoredData(type: number, data: RData | null): data is StoredData {
  return data !== null && STORED_TYPES.get(type) === data.kind;
}

export interface RRset {
  readonly ttl: number;
  readonly rdata: readonly StoredData[];
}

export type ZoneNode = ReadonlyMap<number, RRset>;

function canonicalData(data: StoredData): StoredData {
  switch (data.kind) {
    case 'NS':
    case 'PTR':
      return { ...data, target: nameKey(data.target) };
    case 'SRV':
      return { ...data, target: nameKey(data.target) };
    case 'SOA':
      return { ...data, mname: nameKey(data.mname), rname: nameKey(data.rname) };
    case 'A':
    case 'AAAA':
    case 'TXT':
      return data;
  }
}

/** A string equal for two RDATA exactly when they are the same record (hex of the canonical wire form). */
export function rdataKey(type: number, data: StoredData): string {
  const w = new WireWriter();
  encodeRecord(w, { name: '', type, class: RRClass.IN, ttl: 0, data: canonicalData(data) });
  return Buffer.from(w.finish()).toString('hex');
}

/** The same set of records, whatever the order and the TTL (RFC 2136 §2.4.2 "value dependent"). */
export function sameRdataSet(type: number, a: readonly StoredData[], b: readonly StoredData[]): boolean {
  const left = new Set(a.map((d) => rdataKey(type, d)));
  const right = new Set(b.map((d) => rdataKey(type, d)));
  return left.size === right.size && [...left].every((k) => right.has(k));
}

export class ZoneSnapshot {
  /** the apex, as a name key */
  readonly origin: string;
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  #existing: Set<string> | undefined;
  #recordCount: number | undefined;

  /** `nodes` must be keyed by name keys inside `origin`, with no empty node or RRset. */
  constructor(origin: string, nodes: ReadonlyMap<string, ZoneNode>) {
    this.origin = origin;
    this.nodes = nodes;
  }

  rrset(name: string, type: number): RRset | undefined {
    return this.nodes.get(name)?.get(type);
  }

  /** RFC 2136 §2.4.4: at least one RR with this owner name. */
  nameInUse(name: string): boolean {
    return this.nodes.has(name);
  }

  /** The name owns records or is an empty non-terminal (RFC 8020: then no NXDOMAIN). */
  nameExists(name: string): boolean {
    if (this.#existing === undefined) {
      const existing = new Set<string>();
      for (const owner of this.nodes.keys()) {
        for (let at: string | undefined = owner; at !== undefined && !existing.has(at); at = parentKey(at)) {
          existing.add(at);
          if (at === this.origin) break;
        }
      }
      this.#existing = existing;
    }
    return this.#existing.has(name);
  }

  get recordCount(): number {
    if (this.#recordCount === undefined) {
      let count = 0;
      for (const node of this.nodes.values()) for (const set of node.values()) count += set.rdata.length;
      this.#recordCount = count;
    }
    return this.#recordCount;
  }

  /** The apex SOA (every zone has one: the store never lets an update remove it). */
  soa(): { readonly ttl: number; readonly data: SoaData } {
    const set = this.rrset(this.origin, RRType.SOA);
    const data = set?.rdata[0];
    if (set === undefined || data?.kind !== 'SOA') throw new Error(`zone ${this.origin} has no SOA`);
    return { ttl: set.ttl, data };
  }

  contains(name: string): boolean {
    return isAtOrBelow(name, this.origin);
  }

  /** Every record, owner names in key form, sorted by name then TYPE (state file, ANY, tests). */
  records(): WireRecord[] {
    const out: WireRecord[] = [];
    for (const name of [...this.nodes.keys()].sort()) {
      const node = this.nodes.get(name) as ZoneNode;
      for (const type of [...node.keys()].sort((a, b) => a - b)) {
        const set = node.get(type) as RRset;
        for (const data of set.rdata) out.push({ name, type, class: RRClass.IN, ttl: set.ttl, data });
      }
    }
    return out;
  }
}

export interface ZoneDefaults {
  readonly soa: SoaData;
  /** TTL of the SOA and NS records */
  readonly ttl: number;
  readonly ns: readonly string[];
}

/** A new zone holding only its SOA and NS records. */
export function newZone(origin: string, defaults: ZoneDefaults): ZoneSnapshot {
  const apex = new Map<number, RRset>([
    [RRType.SOA, { ttl: defaults.ttl, rdata: [defaults.soa] }],
    [RRType.NS, { ttl: defaults.ttl, rdata: defaults.ns.map((target) => ({ kind: 'NS' as const, target })) }],
  ]);
  return new ZoneSnapshot(origin, new Map([[origin, apex]]));
}

/**
 * A snapshot from records (the state file): owner names become keys, each RRset takes the TTL
 * of its last record, duplicates collapse. Throws when a record is outside the zone or the apex
 * has no single SOA.
 */
export function zoneFromRecords(origin: string, records: readonly WireRecord[]): ZoneSnapshot {
  const nodes = new Map<string, Map<number, RRset>>();
  for (const rr of records) {
    const name = nameKey(rr.name);
    if (!isAtOrBelow(name, origin)) throw new Error(`record ${rr.name} is outside the zone ${origin}`);
    if (!isStoredData(rr.type, rr.data))
      throw new Error(`record ${rr.name} has a type this server does not hold`);
    const node = nodes.get(name) ?? new Map<number, RRset>();
    nodes.set(name, node);
    const set = node.get(rr.type);
    const key = rdataKey(rr.type, rr.data);
    const rdata = (set?.rdata ?? []).filter((d) => rdataKey(rr.type, d) !== key);
    node.set(rr.type, { ttl: rr.ttl, rdata: [...rdata, rr.data] });
  }
  const zone = new ZoneSnapshot(origin, nodes);
  if (zone.rrset(origin, RRType.SOA)?.rdata.length !== 1)
    throw new Error(`zone ${origin} needs exactly one SOA at its apex`);
  for (const [name, node] of nodes) {
    if (name !== origin && node.has(RRType.SOA))
      throw new Error(`SOA record at ${name}, below the apex of ${origin}`);
  }
  return zone;
}
