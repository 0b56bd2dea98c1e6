/**
 * RFC 2136 on the server side, pure: the prerequisite section evaluated as §3.2 prescribes, the
 * update section prescanned (§3.4.1) and applied (§3.4.2) to a draft of the zone, and the SOA
 * serial moved on (§3.6, serial arithmetic of RFC 1982). The store (zone-store.ts) runs this on
 * the committed snapshot and commits the result only when all of it succeeded, so an UPDATE
 * changes all of the zone or none of it (§3.4).
 *
 * §3.2 pseudocode, followed line by line in checkPrerequisites (the first failing RR decides):
 *
 *   for rr in prerequisites
 *        if (rr.ttl != 0)                               return (FORMERR)
 *        if (zone_of(rr.name) != ZNAME)                 return (NOTZONE)
 *        if (rr.class == ANY)
 *             if (rr.rdlength != 0)                     return (FORMERR)
 *             if (rr.type == ANY)
 *                  if (!zone_name<rr.name>)             return (NXDOMAIN)
 *             else if (!zone_rrset<rr.name, rr.type>)   return (NXRRSET)
 *        if (rr.class == NONE)
 *             if (rr.rdlength != 0)                     return (FORMERR)
 *             if (rr.type == ANY)
 *                  if (zone_name<rr.name>)              return (YXDOMAIN)
 *             else if (zone_rrset<rr.name, rr.type>)    return (YXRRSET)
 *        if (rr.class == zclass)                        temp<rr.name, rr.type> += rr
 *        else                                           return (FORMERR)
 *   for rrset in temp
 *        if (zone_rrset<rrset.name, rrset.type> != rrset)  return (NXRRSET)
 *
 * §3.4.1.3 prescan (prescanUpdates), then this server's policy (REFUSED): it stores only the
 * types of STORED_TYPES and NS only at the apex (it serves no delegations).
 *
 *   for rr in updates
 *        if (zone_of(rr.name) != ZNAME)                 return (NOTZONE)
 *        if (rr.class == zclass)
 *             if (rr.type & ANY|AXFR|MAILA|MAILB)       return (FORMERR)
 *        elsif (rr.class == ANY)
 *             if (rr.ttl != 0 or rr.rdlength != 0
 *                 or rr.type & AXFR|MAILA|MAILB)        return (FORMERR)
 *        elsif (rr.class == NONE)
 *             if (rr.ttl != 0 or rr.type & ANY|AXFR|MAILA|MAILB)  return (FORMERR)
 *        else                                           return (FORMERR)
 *
 * §3.4.2 (applyUpdates): adds replace an equal RR (SOA: only by a serial not lower, RFC 1982),
 * deletions of the apex SOA and of the apex NS RRset are ignored, and so is deleting the last
 * apex NS. CNAME is not a stored type, so its rules (§3.4.2.2) never apply.
 */
import { RRClass, RRType, Rcode, typeName } from '../wire/constants.ts';
import type { WireRecord } from '../wire/record.ts';
import type { SoaData } from '../wire/rdata/soa.ts';
import { nameKey } from './names.ts';
import type { RRset, StoredData } from './zone.ts';
import { isStoredData, rdataKey, sameRdataSet, STORED_TYPES, ZoneSnapshot } from './zone.ts';

export type Verdict =
  { readonly ok: true } | { readonly ok: false; readonly rcode: number; readonly reason: string };

const OK: Verdict = { ok: true };
const fail = (rcode: number, reason: string): Verdict => ({ ok: false, rcode, reason });

/** The most specific zone the server holds that contains a name (key), if any. */
export type ZoneOf = (name: string) => string | undefined;

const ZONE_CLASS = RRClass.IN;
const AXFR = 252;
const MAILB = 253;
const MAILA = 254;
const isTransferOrMail = (type: number): boolean => type === AXFR || type === MAILA || type === MAILB;

/** RFC 2136 §3.2. `zone` is the committed snapshot of ZNAME. */
export function checkPrerequisites(
  zone: ZoneSnapshot,
  prerequisites: readonly WireRecord[],
  zoneOf: ZoneOf,
): Verdict {
  const temp = new Map<string, { name: string; type: number; rdata: WireRecord['data'][] }>();
  for (const rr of prerequisites) {
    const name = nameKey(rr.name);
    const what = `prerequisite ${rr.name} ${typeName(rr.type)}`;
    if (rr.ttl !== 0) return fail(Rcode.FORMERR, `${what} has TTL ${rr.ttl}, not 0`);
    if (zoneOf(name) !== zone.origin)
      return fail(Rcode.NOTZONE, `${what} is outside the zone ${zone.origin}`);
    if (rr.class === RRClass.ANY) {
      if (rr.data !== null) return fail(Rcode.FORMERR, `${what} of CLASS ANY has RDATA`);
      if (rr.type === RRType.ANY) {
        if (!zone.nameInUse(name)) return fail(Rcode.NXDOMAIN, `${rr.name} is not in use`);
      } else if (!zone.rrset(name, rr.type)) {
        return fail(Rcode.NXRRSET, `no ${typeName(rr.type)} RRset at ${rr.name}`);
      }
    } else if (rr.class === RRClass.NONE) {
      if (rr.data !== null) return fail(Rcode.FORMERR, `${what} of CLASS NONE has RDATA`);
      if (rr.type === RRType.ANY) {
        if (zone.nameInUse(name)) return fail(Rcode.YXDOMAIN, `${rr.name} is in use`);
      } else if (zone.rrset(name, rr.type)) {
        return fail(Rcode.YXRRSET, `a ${typeName(rr.type)} RRset exists at ${rr.name}`);
      }
    } else if (rr.class === ZONE_CLASS) {
      const key = `${name} ${rr.type}`;
      const entry = temp.get(key) ?? { name, type: rr.type, rdata: [] };
      entry.rdata.push(rr.data);
      temp.set(key, entry);
    } else {
      return fail(Rcode.FORMERR, `${what} has CLASS ${rr.class}`);
    }
  }
  for (const { name, type, rdata } of temp.values()) {
    const set = zone.rrset(name, type);
    // RDATA that no stored record can equal (empty, or a type this server does not hold).
    const stored = rdata.filter((d): d is StoredData => isStoredData(type, d));
    if (!set || stored.length !== rdata.length || !sameRdataSet(type, set.rdata, stored)) {
      return fail(Rcode.NXRRSET, `the ${typeName(type)} RRset at ${name} is not the one required`);
    }
  }
  return OK;
}

/** RFC 2136 §3.4.1.3, then this server's policy. `origin` is ZNAME (a key). */
export function prescanUpdates(origin: string, updates: readonly WireRecord[], zoneOf: ZoneOf): Verdict {
  for (const rr of updates) {
    const what = `update ${rr.name} ${typeName(rr.type)}`;
    if (zoneOf(nameKey(rr.name)) !== origin)
      return fail(Rcode.NOTZONE, `${what} is outside the zone ${origin}`);
    if (rr.class === ZONE_CLASS) {
      if (rr.type === RRType.ANY || isTransferOrMail(rr.type)) {
        return fail(Rcode.FORMERR, `${what}: that TYPE cannot be added`);
      }
    } else if (rr.class === RRClass.ANY) {
      if (rr.ttl !== 0 || rr.data !== null || isTransferOrMail(rr.type)) {
        return fail(Rcode.FORMERR, `${what}: a deletion of CLASS ANY needs TTL 0, no RDATA and a real TYPE`);
      }
    } else if (rr.class === RRClass.NONE) {
      if (rr.ttl !== 0 || rr.type === RRType.ANY || isTransferOrMail(rr.type)) {
        return fail(Rcode.FORMERR, `${what}: a deletion of CLASS NONE needs TTL 0 and a real TYPE`);
      }
    } else {
      return fail(Rcode.FORMERR, `${what} has CLASS ${rr.class}`);
    }
  }
  for (const rr of updates) {
    if (rr.class !== ZONE_CLASS) continue;
    const what = `update ${rr.name} ${typeName(rr.type)}`;
    if (!STORED_TYPES.has(rr.type)) {
      return fail(
        Rcode.REFUSED,
        `${what}: this server holds only ${[...STORED_TYPES.keys()].map(typeName).join(', ')}`,
      );
    }
    if (!isStoredData(rr.type, rr.data)) return fail(Rcode.FORMERR, `${what} has no RDATA`);
    if (rr.type === RRType.NS && nameKey(rr.name) !== origin) {
      return fail(Rcode.REFUSED, `${what}: NS records only at the apex (this server serves no delegations)`);
    }
  }
  return OK;
}

/** RFC 1982 §3.2: `a` is greater than `b` in serial number arithmetic (32 bits). */
export function serialGreater(a: number, b: number): boolean {
  return (a < b && b - a > 0x8000_0000) || (a > b && a - b < 0x8000_0000);
}

/** RFC 1982 §3.1: the serial after `serial` (wraps from 2^32 - 1 to 0). */
export const nextSerial = (serial: number): number => (serial + 1) % 0x1_0000_0000;

/** A mutable copy of a snapshot's nodes; RRsets themselves are replaced, never changed in place. */
class Draft {
  readonly nodes: Map<string, Map<number, RRset>>;
  changed = false;

  constructor(zone: ZoneSnapshot) {
    this.nodes = new Map([...zone.nodes].map(([name, node]) => [name, new Map(node)]));
  }

  get(name: string, type: number): RRset | undefined {
    return this.nodes.get(name)?.get(type);
  }

  set(name: string, type: number, set: RRset | undefined): void {
    const node = this.nodes.get(name) ?? new Map<number, RRset>();
    if (set === undefined || set.rdata.length === 0) node.delete(type);
    else node.set(type, set);
    if (node.size === 0) this.nodes.delete(name);
    else this.nodes.set(name, node);
    this.changed = true;
  }
}

function add(draft: Draft, name: string, type: number, ttl: number, data: StoredData): void {
  const set = draft.get(name, type);
  if (type === RRType.SOA) {
    // Only the apex has an SOA (an SOA elsewhere is ignored); a lower serial is ignored too.
    const current = set?.rdata[0];
    if (set === undefined || current?.kind !== 'SOA' || data.kind !== 'SOA') return;
    if (serialGreater(current.serial, data.serial)) return;
    if (set.ttl !== ttl || rdataKey(type, current) !== rdataKey(type, data))
      draft.set(name, type, { ttl, rdata: [data] });
    return;
  }
  const key = rdataKey(type, data);
  const present = set?.rdata.some((d) => rdataKey(type, d) === key) ?? false;
  if (present && set?.ttl === ttl) return;
  // RFC 2181 §5.2: one TTL per RRset; the record added last sets it.
  draft.set(name, type, { ttl, rdata: present ? (set?.rdata ?? []) : [...(set?.rdata ?? []), data] });
}

function deleteRRset(draft: Draft, name: string, type: number): void {
  if (draft.get(name, type) !== undefined) draft.set(name, type, undefined);
}

function deleteName(draft: Draft, origin: string, name: string): void {
  const node = draft.nodes.get(name);
  if (node === undefined) return;
  for (const type of [...node.keys()]) {
    if (name === origin && (type === RRType.SOA || type === RRType.NS)) continue;
    deleteRRset(draft, name, type);
  }
}

function deleteRR(draft: Draft, origin: string, name: string, type: number, data: WireRecord['data']): void {
  if (type === RRType.SOA || !isStoredData(type, data)) return;
  const set = draft.get(name, type);
  if (set === undefined) return;
  const key = rdataKey(type, data);
  const rdata = set.rdata.filter((d) => rdataKey(type, d) !== key);
  if (rdata.length === set.rdata.length) return;
  // The apex keeps at least one NS.
  if (type === RRType.NS && name === origin && rdata.length === 0) return;
  draft.set(name, type, { ttl: set.ttl, rdata });
}

export type UpdateResult =
  | { readonly ok: true; readonly changed: false }
  | { readonly ok: true; readonly changed: true; readonly zone: ZoneSnapshot }
  | { readonly ok: false; readonly rcode: number; readonly reason: string };

/** RFC 2136 §3.4.2 and §3.6 on a prescanned update section. */
export function applyUpdates(
  zone: ZoneSnapshot,
  updates: readonly WireRecord[],
  maxRecords: number,
): UpdateResult {
  const origin = zone.origin;
  const draft = new Draft(zone);
  for (const rr of updates) {
    const name = nameKey(rr.name);
    if (rr.class === ZONE_CLASS) {
      if (isStoredData(rr.type, rr.data)) add(draft, name, rr.type, rr.ttl, rr.data);
    } else if (rr.class === RRClass.ANY) {
      if (rr.type === RRType.ANY) deleteName(draft, origin, name);
      else if (!(name === origin && (rr.type === RRType.SOA || rr.type === RRType.NS))) {
        deleteRRset(draft, name, rr.type);
      }
    } else if (rr.class === RRClass.NONE) {
      deleteRR(draft, origin, name, rr.type, rr.data);
    }
  }
  if (!draft.changed) return { ok: true, changed: false };
  const before = zone.soa();
  const afterSet = draft.get(origin, RRType.SOA) as RRset;
  const after = afterSet.rdata[0] as SoaData;
  if (!serialGreater(after.serial, before.data.serial)) {
    draft.set(origin, RRType.SOA, {
      ttl: afterSet.ttl,
      rdata: [{ ...after, serial: nextSerial(before.data.serial) }],
    });
  }
  const next = new ZoneSnapshot(origin, draft.nodes);
  if (next.recordCount > maxRecords) {
    return {
      ok: false,
      rcode: Rcode.REFUSED,
      reason: `the zone would hold ${next.recordCount} records, over the limit of ${maxRecords}`,
    };
  }
  return { ok: true, changed: true, zone: next };
}

/** Prerequisites, prescan and application, in the RFC's order; the zone is untouched on failure. */
export function evaluateUpdate(
  zone: ZoneSnapshot,
  prerequisites: readonly WireRecord[],
  updates: readonly WireRecord[],
  zoneOf: ZoneOf,
  maxRecords: number,
): UpdateResult {
  const pre = checkPrerequisites(zone, prerequisites, zoneOf);
  if (!pre.ok) return pre;
  const scan = prescanUpdates(zone.origin, updates, zoneOf);
  if (!scan.ok) return scan;
  return applyUpdates(zone, updates, maxRecords);
}
