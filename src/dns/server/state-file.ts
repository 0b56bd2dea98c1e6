/**
 * The zones' contents on disk, so that `eson dev` keeps every record across restarts. One JSON
 * file for all zones, rewritten whole after each update that changed something: written to a
 * temporary file in the same directory, flushed (fsync), then renamed over the old one, so that a
 * crash leaves either the old contents or the new, never a mix.
 *
 *   {
 *     "format": "eson-embedded-dns", "version": 1,
 *     "zones": [
 *       { "origin": "orange.test",
 *         "records": [
 *           { "name": "orange.test", "ttl": 300, "type": "SOA", "mname": "ns1.orange.test", ... },
 *           { "name": "_queue._flow._tcp.orders.flows.orange.test", "ttl": 60, "type": "TXT",
 *             "strings": ["broker-type=kafka", "queue=orders"] }, ...
 *
 * Names are in the codec's text form; each TXT string holds one character per octet (Latin-1),
 * so that any octets survive and ASCII stays readable. A file that does not parse, or holds a
 * record the wire format cannot carry, stops the server from starting rather than losing zones.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RRClass, RRType } from '../wire/constants.ts';
import type { WireRecord } from '../wire/record.ts';
import { nameKey } from './names.ts';
import type { StoredData } from './zone.ts';
import type { ZoneSnapshot } from './zone.ts';
import { rdataKey, zoneFromRecords } from './zone.ts';

const FORMAT = 'eson-embedded-dns';
const VERSION = 1;

const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffff_ffff);
const base = { name: z.string(), ttl: u32 };

const recordSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('A'), address: z.string() }).strict(),
  z.object({ ...base, type: z.literal('AAAA'), address: z.string() }).strict(),
  z.object({ ...base, type: z.literal('NS'), target: z.string() }).strict(),
  z.object({ ...base, type: z.literal('PTR'), target: z.string() }).strict(),
  z
    .object({ ...base, type: z.literal('SRV'), priority: u16, weight: u16, port: u16, target: z.string() })
    .strict(),
  z.object({ ...base, type: z.literal('TXT'), strings: z.array(z.string()).min(1) }).strict(),
  z
    .object({
      ...base,
      type: z.literal('SOA'),
      mname: z.string(),
      rname: z.string(),
      serial: u32,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
    })
    .strict(),
]);

type RecordJson = z.infer<typeof recordSchema>;

const stateSchema = z
  .object({
    format: z.literal(FORMAT),
    version: z.literal(VERSION),
    zones: z.array(z.object({ origin: z.string(), records: z.array(recordSchema) }).strict()),
  })
  .strict();

function toJson(rr: WireRecord): RecordJson {
  const base = { name: rr.name, ttl: rr.ttl };
  const data = rr.data as StoredData;
  switch (data.kind) {
    case 'A':
    case 'AAAA':
      return { ...base, type: data.kind, address: data.address };
    case 'NS':
    case 'PTR':
      return { ...base, type: data.kind, target: data.target };
    case 'SRV':
      return {
        ...base,
        type: 'SRV',
        priority: data.priority,
        weight: data.weight,
        port: data.port,
        target: data.target,
      };
    case 'TXT':
      return { ...base, type: 'TXT', strings: data.strings.map((s) => Buffer.from(s).toString('latin1')) };
    case 'SOA': {
      const { kind: _kind, ...fields } = data;
      return { ...base, type: 'SOA', ...fields };
    }
  }
}

function fromJson(json: RecordJson): WireRecord {
  let data: StoredData;
  switch (json.type) {
    case 'A':
    case 'AAAA':
      data = { kind: json.type, address: json.address };
      break;
    case 'NS':
    case 'PTR':
      data = { kind: json.type, target: json.target };
      break;
    case 'SRV':
      data = {
        kind: 'SRV',
        priority: json.priority,
        weight: json.weight,
        port: json.port,
        target: json.target,
      };
      break;
    case 'TXT':
      if (json.strings.some((s) => [...s].some((c) => (c.codePointAt(0) ?? 0) > 0xff))) {
        throw new Error(`TXT record of ${json.name} holds a character above U+00FF`);
      }
      data = { kind: 'TXT', strings: json.strings.map((s) => new Uint8Array(Buffer.from(s, 'latin1'))) };
      break;
    case 'SOA': {
      const { name: _name, ttl: _ttl, type: _type, ...fields } = json;
      data = { kind: 'SOA', ...fields };
      break;
    }
  }
  const type = RRType[json.type];
  // Encoding checks what the schema cannot: names, addresses, TXT string lengths.
  rdataKey(type, data);
  return { name: nameKey(json.name), type, class: RRClass.IN, ttl: json.ttl, data };
}

/** The zones of a state file, by origin key; none when the file does not exist. */
export async function loadState(file: string): Promise<Map<string, ZoneSnapshot>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const zones = new Map<string, ZoneSnapshot>();
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
      throw new Error(problems.join('; '));
    }
    for (const zone of parsed.data.zones) {
      const origin = nameKey(zone.origin);
      if (zones.has(origin)) throw new Error(`zone ${origin} appears twice`);
      zones.set(origin, zoneFromRecords(origin, zone.records.map(fromJson)));
    }
  } catch (error) {
    throw new Error(`the DNS state file ${file} is not valid: ${(error as Error).message}`, { cause: error });
  }
  return zones;
}

export function serializeState(zones: Iterable<ZoneSnapshot>): string {
  const sorted = [...zones].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
  const state = {
    format: FORMAT,
    version: VERSION,
    zones: sorted.map((zone) => ({ origin: zone.origin, records: zone.records().map(toJson) })),
  };
  return `${JSON.stringify(state, null, 1)}\n`;
}

/** Writes the zones to `file` atomically (temporary file, fsync, rename). */
export async function saveState(file: string, zones: Iterable<ZoneSnapshot>): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(serializeState(zones));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory is flushed (where the platform allows it).
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here (some file systems refuse fsync on a directory)
  }
}
