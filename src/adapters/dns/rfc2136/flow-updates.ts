/**
 * The RFC 2136 requests that carry the Flow Name Service records, one request per call so that
 * each change is all or nothing. The records themselves come from core/fns-records.ts; this file
 * only decides the prerequisites and the order of deletions and additions. Pure: golden tests
 * compare its output byte for byte.
 *
 *   registerFlow    prerequisites: "RRset does not exist" PTR at F  (YXRRSET when taken)
 *                                   "name is not in use" _flow._tcp.F (YXDOMAIN when taken)
 *                   updates:        add every record of F
 *   updateFlow      prerequisite:  "RRset exists" PTR at F           (NXRRSET when absent)
 *                   updates:        delete each RRset of the layout, then add every record
 *   unregisterFlow  updates:        delete each RRset of the layout (nothing else at those names)
 *   registerNamespace / unregisterNamespace: the same without prerequisites at _flow._tcp.N
 *
 * "Each RRset of the layout" is every (name, type) that fns-records can produce for the flow,
 * including the agent's TXT "tls" that a registration without TLS lacks, so that an update that
 * turns TLS off removes it.
 */
import { isIPv6 } from 'node:net';
import { invalidArgument, invalidName } from '../../../core/errors.ts';
import { flowRecords, flowServiceName, namespaceRecords } from '../../../core/fns-records.ts';
import { isWithin } from '../../../core/names.ts';
import type { FlowRegistration, NamespaceRegistration, ResourceRecord } from '../../../ports/name-service.ts';
import { RRType } from '../../../dns/wire/constants.ts';
import { DnsWireError } from '../../../dns/wire/errors.ts';
import type { RecordValue, UpdateOperation, UpdateRequest } from '../../../dns/wire/update.ts';
import type { RData } from '../../../dns/wire/record.ts';
import { parseIpv4 } from '../../../dns/wire/rdata/a.ts';
import { parseIpv6 } from '../../../dns/wire/rdata/aaaa.ts';
import { txtStrings } from '../../../dns/wire/rdata/txt.ts';

const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

function rdataOf(rr: ResourceRecord): RData {
  switch (rr.type) {
    case 'PTR':
      return { kind: 'PTR', target: rr.target };
    case 'SRV':
      return { kind: 'SRV', priority: rr.priority, weight: rr.weight, port: rr.port, target: rr.target };
    case 'TXT':
      return txtStrings(rr.strings);
    case 'A':
      parseIpv4(rr.address);
      return { kind: 'A', address: rr.address };
    case 'AAAA':
      parseIpv6(rr.address);
      return { kind: 'AAAA', address: rr.address };
  }
}

/** The wire form of one port record; values the wire cannot carry are 'invalid-argument'. */
export function recordValue(rr: ResourceRecord): RecordValue {
  try {
    return { name: rr.name, type: RRType[rr.type], data: rdataOf(rr) };
  } catch (error) {
    if (error instanceof DnsWireError)
      throw invalidArgument(`${rr.type} record of ${rr.name}: ${error.message}`);
    throw error;
  }
}

interface RRsetKey {
  readonly name: string;
  readonly type: number;
}

function rrsetsOf(records: readonly ResourceRecord[]): RRsetKey[] {
  const seen = new Map<string, RRsetKey>();
  for (const rr of records)
    seen.set(`${asciiLower(rr.name)} ${rr.type}`, { name: rr.name, type: RRType[rr.type] });
  return [...seen.values()];
}

function checkZone(zone: string, records: readonly ResourceRecord[]): void {
  for (const rr of records) {
    if (!isWithin(asciiLower(rr.name), zone)) {
      throw invalidName(`${rr.name} is outside the zone ${zone} that this DNS writer updates`);
    }
  }
}

/** Every RRset the layout can hold for this flow, whatever the registration's TLS settings. */
function flowLayout(r: FlowRegistration): RRsetKey[] {
  return rrsetsOf(
    flowRecords({ ...r, agent: { ...r.agent, tls: true }, broker: { ...r.broker, tls: true } }),
  );
}

function namespaceLayout(r: NamespaceRegistration): RRsetKey[] {
  return rrsetsOf(namespaceRecords({ ...r, agent: { ...r.agent, tls: true } }));
}

const additions = (records: readonly ResourceRecord[]): UpdateOperation[] =>
  records.map((rr) => ({ kind: 'add', record: recordValue(rr), ttl: rr.ttl }));

const deletions = (rrsets: readonly RRsetKey[]): UpdateOperation[] =>
  rrsets.map((k) => ({ kind: 'delete-rrset', name: k.name, type: k.type }));

/** Builds the records first: a TXT string over 255 octets fails here, before anything is sent. */
export function registerFlowRequest(zone: string, r: FlowRegistration, id: number): UpdateRequest {
  const records = flowRecords(r);
  checkZone(zone, records);
  return {
    id,
    zone,
    prerequisites: [
      { kind: 'rrset-does-not-exist', name: r.flow, type: RRType.PTR },
      { kind: 'name-not-in-use', name: flowServiceName(r.flow) },
    ],
    updates: additions(records),
  };
}

export function updateFlowRequest(zone: string, r: FlowRegistration, id: number): UpdateRequest {
  const records = flowRecords(r);
  checkZone(zone, records);
  return {
    id,
    zone,
    prerequisites: [{ kind: 'rrset-exists', name: r.flow, type: RRType.PTR }],
    updates: [...deletions(flowLayout(r)), ...additions(records)],
  };
}

export function unregisterFlowRequest(zone: string, r: FlowRegistration, id: number): UpdateRequest {
  const layout = flowLayout(r);
  checkZone(zone, flowRecords(r));
  return { id, zone, prerequisites: [], updates: deletions(layout) };
}

export function registerNamespaceRequest(zone: string, r: NamespaceRegistration, id: number): UpdateRequest {
  const records = namespaceRecords(r);
  checkZone(zone, records);
  return { id, zone, prerequisites: [], updates: [...deletions(namespaceLayout(r)), ...additions(records)] };
}

export function unregisterNamespaceRequest(
  zone: string,
  r: NamespaceRegistration,
  id: number,
): UpdateRequest {
  const records = namespaceRecords(r);
  checkZone(zone, records);
  return { id, zone, prerequisites: [], updates: deletions(namespaceLayout(r)) };
}

/**
 * The address records of a host in the zone (the agent's own name in `eson dev`): replaces the
 * host's A and AAAA RRsets with `addresses`.
 */
export function registerAddressRequest(
  zone: string,
  host: string,
  addresses: readonly string[],
  ttl: number,
  id: number,
): UpdateRequest {
  const records: ResourceRecord[] = addresses.map((address) => ({
    name: host,
    ttl,
    type: isIPv6(address) ? 'AAAA' : 'A',
    address,
  }));
  checkZone(zone, records);
  return {
    id,
    zone,
    prerequisites: [],
    updates: [
      { kind: 'delete-rrset', name: host, type: RRType.A },
      { kind: 'delete-rrset', name: host, type: RRType.AAAA },
      ...additions(records),
    ],
  };
}
