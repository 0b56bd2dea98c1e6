/**
 * The Flow Name Service records (built by core/fns-records.ts) in Route 53's terms: resource record
 * sets, one per name and type, with values in Route 53's presentation syntax.
 *
 * - Names are absolute, with the trailing dot.
 * - PTR: `target.`; SRV: `priority weight port target.`; A/AAAA: the address.
 * - TXT: each character-string in double quotes, separated by a space; `"` and `\` are escaped with
 *   a backslash and octets outside printable ASCII as `\ooo` (three octal digits), as the Route 53
 *   developer guide asks ("TXT record type", special characters).
 */
import type { ResourceRecordSet, RRType } from '@aws-sdk/client-route-53';
import type { RecordType, ResourceRecord } from '../../../ports/name-service.ts';
import { invalidArgument } from '../../../core/errors.ts';

/** `a.example.com` -> `a.example.com.` (an absolute name is left as it is). */
export function absoluteName(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * A name as Route 53 returns it -> the port's form: lower case, no trailing dot, `\ooo` octal
 * escapes (Route 53 returns e.g. `\052` for `*`) decoded.
 */
export function normalizeName(name: string): string {
  const decoded = name.replace(/\\([0-7]{3})/g, (_m, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
  const lower = decoded.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** One TXT character-string in Route 53 syntax, quotes included. */
export function quoteTxtString(value: string): string {
  let out = '"';
  for (const octet of Buffer.from(value, 'utf8')) {
    if (octet === 0x22) out += '\\"';
    else if (octet === 0x5c) out += '\\\\';
    else if (octet < 0x20 || octet >= 0x7f) out += `\\${octet.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(octet);
  }
  return `${out}"`;
}

/** The value of one TXT record (several character-strings, RFC 6763 §6) in Route 53 syntax. */
export function txtValue(strings: readonly string[]): string {
  return strings.map(quoteTxtString).join(' ');
}

/**
 * Parses a TXT value as Route 53 returns it back into its character-strings: quoted strings with
 * `\"`, `\\`, `\ooo` escapes, and unquoted words (Route 53 accepts both).
 */
export function parseTxtValue(value: string): string[] {
  const strings: string[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === ' ' || c === '\t') {
      i += 1;
      continue;
    }
    const quoted = c === '"';
    if (quoted) i += 1;
    const octets: number[] = [];
    let closed = !quoted;
    while (i < value.length) {
      const ch = value[i] as string;
      if (quoted && ch === '"') {
        i += 1;
        closed = true;
        break;
      }
      if (!quoted && (ch === ' ' || ch === '\t')) break;
      if (ch === '\\') {
        const octal = /^[0-7]{3}/.exec(value.slice(i + 1, i + 4));
        if (octal) {
          octets.push(parseInt(octal[0], 8));
          i += 4;
          continue;
        }
        const next = value[i + 1];
        if (next === undefined) throw invalidArgument(`TXT value ${value} ends with a lone backslash`);
        octets.push(...Buffer.from(next, 'utf8'));
        i += 2;
        continue;
      }
      octets.push(...Buffer.from(ch, 'utf8'));
      i += 1;
    }
    if (!closed) throw invalidArgument(`TXT value ${value} has an unterminated quoted string`);
    strings.push(Buffer.from(octets).toString('utf8'));
  }
  return strings;
}

/** The value of one record (its RDATA) in Route 53 syntax. */
export function recordValue(record: ResourceRecord): string {
  switch (record.type) {
    case 'PTR':
      return absoluteName(record.target);
    case 'SRV':
      return `${record.priority} ${record.weight} ${record.port} ${absoluteName(record.target)}`;
    case 'TXT':
      return txtValue(record.strings);
    case 'A':
    case 'AAAA':
      return record.address;
  }
}

/** A record set as the writer handles it: Route 53's shape narrowed to what ESON writes. */
export interface Route53RecordSet extends ResourceRecordSet {
  readonly Name: string;
  readonly Type: RecordType & RRType;
  readonly TTL: number;
  readonly ResourceRecords: { Value: string }[];
}

/**
 * Groups records into Route 53 record sets: one set per name and type, in the order in which each
 * name and type first appears. A set's TTL is the smallest TTL of its records (Route 53 has one TTL
 * per set). A value given twice is written once.
 */
export function toResourceRecordSets(records: readonly ResourceRecord[]): Route53RecordSet[] {
  const sets = new Map<
    string,
    { Name: string; Type: RecordType; TTL: number; ResourceRecords: { Value: string }[] }
  >();
  for (const record of records) {
    if (!Number.isInteger(record.ttl) || record.ttl < 0 || record.ttl > 2147483647) {
      throw invalidArgument(
        `TTL ${record.ttl} of ${record.name} ${record.type} is not an integer from 0 to 2147483647`,
      );
    }
    const name = absoluteName(record.name);
    const key = `${name.toLowerCase()} ${record.type}`;
    const value = recordValue(record);
    const set = sets.get(key);
    if (!set) {
      sets.set(key, { Name: name, Type: record.type, TTL: record.ttl, ResourceRecords: [{ Value: value }] });
      continue;
    }
    set.TTL = Math.min(set.TTL, record.ttl);
    if (!set.ResourceRecords.some((r) => r.Value === value)) set.ResourceRecords.push({ Value: value });
  }
  return [...sets.values()];
}

/** `name type` of a set, in normalized form: the key of one record set in a zone. */
export function setKey(set: Pick<ResourceRecordSet, 'Name' | 'Type'>): string {
  return `${normalizeName(set.Name ?? '')} ${set.Type ?? ''}`;
}

/** One value in a form that compares equal however Route 53 spelled it back. */
function canonicalValue(type: string, value: string): string {
  switch (type) {
    case 'TXT':
      return JSON.stringify(parseTxtValue(value));
    case 'PTR':
    case 'SRV':
      return absoluteName(value.trim().replace(/\s+/g, ' ').toLowerCase());
    default:
      return value.trim().toLowerCase();
  }
}

/**
 * True when two record sets hold the same name, type and values (in any order). TTLs are compared
 * only when `compareTtl` is set: a TTL is configuration, not whose records these are.
 */
export function sameRecordSet(
  a: ResourceRecordSet,
  b: ResourceRecordSet,
  options: { readonly compareTtl?: boolean } = {},
): boolean {
  if (setKey(a) !== setKey(b)) return false;
  if (options.compareTtl && a.TTL !== b.TTL) return false;
  const type = a.Type ?? '';
  const values = (set: ResourceRecordSet): string[] =>
    (set.ResourceRecords ?? []).map((r) => canonicalValue(type, r.Value ?? '')).sort();
  const va = values(a);
  const vb = values(b);
  return va.length === vb.length && va.every((v, i) => v === vb[i]);
}
