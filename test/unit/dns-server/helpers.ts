/**
 * Building blocks for the embedded DNS server's unit tests: records in one line each, zones from
 * them, a presentation dump to compare zones against, and a store holding two participants.
 */
import { RRClass, RRType, typeName } from '../../../src/dns/wire/constants.ts';
import type { RData, WireRecord } from '../../../src/dns/wire/record.ts';
import { txtStrings, utf8Strings } from '../../../src/dns/wire/rdata/txt.ts';
import type { DnsZoneOptions } from '../../../src/dns/server/options.ts';
import { parseZoneOptions } from '../../../src/dns/server/options.ts';
import { ZoneStore } from '../../../src/dns/server/zone-store.ts';
import type { ZoneSnapshot } from '../../../src/dns/server/zone.ts';
import { zoneFromRecords } from '../../../src/dns/server/zone.ts';

export const ORANGE = 'orange.test';
export const BLUE = 'blue.test';
export const ORANGE_SECRET = Buffer.alloc(32, 1).toString('base64');
export const BLUE_SECRET = Buffer.alloc(32, 2).toString('base64');

export function orangeZone(extra: Partial<DnsZoneOptions> = {}): DnsZoneOptions {
  return {
    name: ORANGE,
    keys: [{ name: 'orange-key', algorithm: 'hmac-sha256', secret: ORANGE_SECRET }],
    ...extra,
  };
}

export function blueZone(extra: Partial<DnsZoneOptions> = {}): DnsZoneOptions {
  return {
    name: BLUE,
    keys: [{ name: 'blue-key', algorithm: 'hmac-sha256', secret: BLUE_SECRET }],
    ...extra,
  };
}

/** RDATA from presentation-like text: `10.0.0.1`, `10 10 61000 agent.orange.test`, `"a" "b"`. */
export function rdata(type: string, text: string): RData {
  switch (type) {
    case 'A':
      return { kind: 'A', address: text };
    case 'AAAA':
      return { kind: 'AAAA', address: text };
    case 'NS':
      return { kind: 'NS', target: text };
    case 'PTR':
      return { kind: 'PTR', target: text };
    case 'TXT':
      return txtStrings([...text.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? ''));
    case 'SRV': {
      const [priority, weight, port, target] = text.split(/\s+/);
      return {
        kind: 'SRV',
        priority: Number(priority),
        weight: Number(weight),
        port: Number(port),
        target: target ?? '',
      };
    }
    case 'SOA': {
      const [mname = '', rname = '', ...numbers] = text.split(/\s+/);
      const [serial, refresh, retry, expire, minimum] = numbers.map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      return { kind: 'SOA', mname, rname, serial, refresh, retry, expire, minimum };
    }
  }
  // TYPEnn: RFC 3597 opaque octets, given in hex
  return { kind: 'UNKNOWN', bytes: Buffer.from(text, 'hex') };
}

/** `rr('a.orange.test 60 A 10.0.0.1')`; CLASS IN unless `klass`; `-` as RDATA is empty RDATA. */
export function rr(line: string, klass: number = RRClass.IN): WireRecord {
  const match = /^(\S+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line.trim());
  if (!match) throw new Error(`bad record line: ${line}`);
  const [, name = '', ttl = '0', type = '', rest = ''] = match;
  const code = (RRType as Record<string, number>)[type] ?? Number(type.replace(/^TYPE/, ''));
  const data = rest === '-' || rest === '' ? null : rdata(type, rest);
  return { name, type: code, class: klass, ttl: Number(ttl), data };
}

/** A prerequisite or deletion of CLASS ANY / NONE (TTL 0, empty RDATA unless given). */
export const anyRR = (line: string): WireRecord => rr(line, RRClass.ANY);
export const noneRR = (line: string): WireRecord => rr(line, RRClass.NONE);

const SOA_LINE = 'orange.test 300 SOA ns1.orange.test hostmaster.orange.test 10 3600 600 86400 60';

/** orange.test with its SOA (serial 10) and NS, plus `lines`. */
export function zoneOf(lines: readonly string[], origin = ORANGE): ZoneSnapshot {
  const apex =
    origin === ORANGE
      ? [SOA_LINE, 'orange.test 300 NS ns1.orange.test']
      : [
          `${origin} 300 SOA ns1.${origin} hostmaster.${origin} 10 3600 600 86400 60`,
          `${origin} 300 NS ns1.${origin}`,
        ];
  return zoneFromRecords(
    origin,
    [...apex, ...lines].map((l) => rr(l)),
  );
}

function show(data: RData | null): string {
  switch (data?.kind) {
    case undefined:
      return '-';
    case 'A':
    case 'AAAA':
      return data.address;
    case 'NS':
    case 'PTR':
      return data.target;
    case 'SRV':
      return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case 'TXT':
      return utf8Strings(data)
        .map((s) => `"${s}"`)
        .join(' ');
    case 'SOA':
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case 'OPT':
    case 'RRSIG':
    case 'TSIG':
    case 'UNKNOWN':
      return data.kind;
  }
}

/** One line per record: `name ttl TYPE rdata`, sorted. */
export function dump(records: readonly WireRecord[]): string[] {
  return records.map((r) => `${r.name} ${r.ttl} ${typeName(r.type)} ${show(r.data)}`).sort();
}

/** The dump of a zone without its SOA and NS at the apex (the tables' concern is the rest). */
export function body(zone: ZoneSnapshot): string[] {
  return dump(
    zone
      .records()
      .filter((r) => !(r.name === zone.origin && (r.type === RRType.SOA || r.type === RRType.NS))),
  );
}

/** A store with orange.test and blue.test, each holding `contents` if given. */
export function storeWith(
  contents: { orange?: readonly string[]; blue?: readonly string[] } = {},
  stateFile?: string,
): ZoneStore {
  const store = new ZoneStore({ stateFile, maxPendingUpdatesPerZone: 64 });
  store.addZone(parseZoneOptions(orangeZone()));
  store.addZone(parseZoneOptions(blueZone()));
  store.load(
    new Map([
      [ORANGE, zoneOf(contents.orange ?? [])],
      [BLUE, zoneOf(contents.blue ?? [], BLUE)],
    ]),
  );
  return store;
}
