/**
 * The UPDATE message (RFC 2136 §2): opcode 5, and the sections of a query renamed.
 *
 *   Zone          ZNAME, ZTYPE SOA, ZCLASS (exactly one)
 *   Prerequisite  RRs, read with the table of §2.4:
 *
 *       CLASS    TYPE     RDATA    Meaning
 *       ------------------------------------------------------------
 *       ANY      ANY      empty    Name is in use
 *       ANY      rrset    empty    RRset exists (value independent)
 *       NONE     ANY      empty    Name is not in use
 *       NONE     rrset    empty    RRset does not exist
 *       zone     rrset    rr       RRset exists (value dependent)
 *
 *   Update        RRs, read with the table of §2.5.1-4:
 *
 *       CLASS    TYPE     RDATA    Meaning
 *       ---------------------------------------------------------
 *       ANY      ANY      empty    Delete all RRsets from a name
 *       ANY      rrset    empty    Delete an RRset
 *       NONE     rrset    rr       Delete an RR from an RRset
 *       zone     rrset    rr       Add to an RRset
 *
 *   Additional    OPT / TSIG
 *
 * Prerequisite and deletion RRs have TTL 0. The server applies all of it or none of it (§3.4).
 */
import { Opcode, RRClass, RRType } from './constants.ts';
import { DnsWireError } from './errors.ts';
import { QUERY_FLAGS } from './header.ts';
import type { DnsMessage } from './message.ts';
import type { RData, WireRecord } from './record.ts';

export interface RecordValue {
  readonly name: string;
  readonly type: number;
  readonly data: RData;
}

export type Prerequisite =
  | { readonly kind: 'name-in-use'; readonly name: string }
  | { readonly kind: 'name-not-in-use'; readonly name: string }
  | { readonly kind: 'rrset-exists'; readonly name: string; readonly type: number }
  | { readonly kind: 'rrset-does-not-exist'; readonly name: string; readonly type: number }
  | { readonly kind: 'rrset-exists-value'; readonly record: RecordValue };

export type UpdateOperation =
  | { readonly kind: 'add'; readonly record: RecordValue; readonly ttl: number }
  | { readonly kind: 'delete-rrset'; readonly name: string; readonly type: number }
  | { readonly kind: 'delete-name'; readonly name: string }
  | { readonly kind: 'delete-rr'; readonly record: RecordValue };

export interface UpdateRequest {
  readonly id: number;
  readonly zone: string;
  readonly prerequisites: readonly Prerequisite[];
  readonly updates: readonly UpdateOperation[];
  /** OPT and TSIG, if any, are added by their own code */
  readonly additionals?: readonly WireRecord[];
}

const ZONE_CLASS = RRClass.IN;

const empty = (name: string, type: number, klass: number): WireRecord => ({
  name,
  type,
  class: klass,
  ttl: 0,
  data: null,
});

function prerequisiteRecord(p: Prerequisite): WireRecord {
  switch (p.kind) {
    case 'name-in-use':
      return empty(p.name, RRType.ANY, RRClass.ANY);
    case 'name-not-in-use':
      return empty(p.name, RRType.ANY, RRClass.NONE);
    case 'rrset-exists':
      return empty(p.name, p.type, RRClass.ANY);
    case 'rrset-does-not-exist':
      return empty(p.name, p.type, RRClass.NONE);
    case 'rrset-exists-value':
      return { ...p.record, class: ZONE_CLASS, ttl: 0 };
  }
}

function updateRecord(u: UpdateOperation): WireRecord {
  switch (u.kind) {
    case 'add':
      return { ...u.record, class: ZONE_CLASS, ttl: u.ttl };
    case 'delete-rrset':
      return empty(u.name, u.type, RRClass.ANY);
    case 'delete-name':
      return empty(u.name, RRType.ANY, RRClass.ANY);
    case 'delete-rr':
      return { ...u.record, class: RRClass.NONE, ttl: 0 };
  }
}

/** The message for an update request (unsigned; see tsig.ts). */
export function updateMessage(req: UpdateRequest): DnsMessage {
  return {
    id: req.id,
    flags: { ...QUERY_FLAGS, opcode: Opcode.UPDATE },
    questions: [{ name: req.zone, type: RRType.SOA, class: ZONE_CLASS }],
    answers: req.prerequisites.map(prerequisiteRecord),
    authorities: req.updates.map(updateRecord),
    additionals: req.additionals ?? [],
  };
}

const bad = (message: string): DnsWireError => new DnsWireError('bad-layout', message);

function readPrerequisite(rr: WireRecord): Prerequisite {
  if (rr.ttl !== 0) throw bad(`prerequisite for ${rr.name} has TTL ${rr.ttl}, not 0`);
  if (rr.class === RRClass.ANY || rr.class === RRClass.NONE) {
    if (rr.data !== null) throw bad(`prerequisite for ${rr.name} with CLASS ANY/NONE has RDATA`);
    const any = rr.type === RRType.ANY;
    if (rr.class === RRClass.ANY) {
      return any
        ? { kind: 'name-in-use', name: rr.name }
        : { kind: 'rrset-exists', name: rr.name, type: rr.type };
    }
    return any
      ? { kind: 'name-not-in-use', name: rr.name }
      : { kind: 'rrset-does-not-exist', name: rr.name, type: rr.type };
  }
  if (rr.class !== ZONE_CLASS || rr.data === null) throw bad(`prerequisite for ${rr.name} is malformed`);
  return { kind: 'rrset-exists-value', record: { name: rr.name, type: rr.type, data: rr.data } };
}

function readOperation(rr: WireRecord): UpdateOperation {
  if (rr.class === RRClass.ANY) {
    if (rr.ttl !== 0 || rr.data !== null) throw bad(`deletion at ${rr.name} must have TTL 0 and no RDATA`);
    return rr.type === RRType.ANY
      ? { kind: 'delete-name', name: rr.name }
      : { kind: 'delete-rrset', name: rr.name, type: rr.type };
  }
  if (rr.data === null) throw bad(`update at ${rr.name} has no RDATA`);
  if (rr.class === RRClass.NONE) {
    if (rr.ttl !== 0) throw bad(`deletion at ${rr.name} must have TTL 0`);
    return { kind: 'delete-rr', record: { name: rr.name, type: rr.type, data: rr.data } };
  }
  if (rr.class !== ZONE_CLASS) throw bad(`update at ${rr.name} has CLASS ${rr.class}`);
  return { kind: 'add', record: { name: rr.name, type: rr.type, data: rr.data }, ttl: rr.ttl };
}

/** Reads an UPDATE message back into its request (what a server, or a golden test, sees). */
export function readUpdate(m: DnsMessage): UpdateRequest {
  if (m.flags.opcode !== Opcode.UPDATE) throw bad(`opcode ${m.flags.opcode} is not UPDATE`);
  const zone = m.questions[0];
  if (m.questions.length !== 1 || zone?.type !== RRType.SOA) {
    throw bad('an UPDATE has exactly one zone, of TYPE SOA');
  }
  return {
    id: m.id,
    zone: zone.name,
    prerequisites: m.answers.map(readPrerequisite),
    updates: m.authorities.map(readOperation),
    additionals: m.additionals,
  };
}
