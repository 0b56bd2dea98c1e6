/**
 * The embedded DNS server's configuration: one typed object, validated once by the constructor
 * (unknown keys refused), turned into the resolved form the server runs with.
 */
import net from 'node:net';
import { z } from 'zod';
import { invalidArgument } from '../../core/errors.ts';
import type { Logger } from '../../log/logger.ts';
import type { TsigKey } from '../tsig.ts';
import { tsigKey, TSIG_ALGORITHM } from '../tsig.ts';
import { DnsWireError } from '../wire/errors.ts';
import type { DnsServerLimits } from './limits.ts';
import { DEFAULT_DNS_SERVER_LIMITS } from './limits.ts';
import { childKey, nameKey } from './names.ts';
import type { ZoneDefaults } from './zone.ts';

export interface DnsZoneKeyOptions {
  /** the key name, as in `nsupdate -y hmac-sha256:<name>:<secret>` */
  readonly name: string;
  readonly algorithm: typeof TSIG_ALGORITHM;
  /** base64, as `tsig-keygen` prints it */
  readonly secret: string;
}

/** Values of the zone's SOA record when the zone is created (a state file's zone keeps its own). */
export interface DnsSoaOptions {
  /** default `ns1.<zone>` */
  readonly mname?: string;
  /** default `hostmaster.<zone>` */
  readonly rname?: string;
  /** default 1 */
  readonly serial?: number;
  /** default 3600 */
  readonly refresh?: number;
  /** default 600 */
  readonly retry?: number;
  /** default 86400 */
  readonly expire?: number;
  /** negative-caching TTL (RFC 2308); default 60 */
  readonly minimum?: number;
  /** TTL of the SOA and NS records; default 300 */
  readonly ttl?: number;
}

export interface DnsZoneOptions {
  /** the zone's apex, e.g. `orange.test` */
  readonly name: string;
  /** the keys that may update this zone (RFC 2136 UPDATE signed with TSIG); each only this zone */
  readonly keys: readonly DnsZoneKeyOptions[];
  readonly soa?: DnsSoaOptions;
  /** NS targets of the apex; default [`ns1.<zone>`] */
  readonly ns?: readonly string[];
}

export interface EmbeddedDnsServerOptions {
  /** an IP address to listen on (UDP and TCP), e.g. `127.0.0.1` */
  readonly host: string;
  /** 0 picks a port free for both UDP and TCP */
  readonly port: number;
  readonly zones: readonly DnsZoneOptions[];
  /** where the zones' contents persist; none: in memory only */
  readonly stateFile?: string;
  readonly log?: Logger;
  readonly limits?: Partial<DnsServerLimits>;
}

const u32 = z.number().int().min(0).max(0xffff_ffff);
const ttl = z.number().int().min(0).max(0x7fff_ffff);

const keySchema = z
  .object({ name: z.string().min(1), algorithm: z.literal(TSIG_ALGORITHM), secret: z.string().min(1) })
  .strict();

const soaSchema = z
  .object({
    mname: z.string().min(1),
    rname: z.string().min(1),
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
    ttl,
  })
  .partial()
  .strict();

export const zoneSchema = z
  .object({
    name: z.string().min(1),
    keys: z.array(keySchema),
    soa: soaSchema.optional(),
    ns: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const positive = z.number().int().positive();

const limitsSchema = z
  .object({
    maxUdpPayloadOctets: z.number().int().min(512).max(0xffff),
    maxMessageOctets: z.number().int().min(512).max(0xffff),
    maxTcpConnections: positive,
    tcpIdleTimeoutMs: positive,
    maxTcpPipelinedMessages: positive,
    maxRecordsPerZone: positive,
    maxPendingUpdatesPerZone: positive,
  })
  .partial()
  .strict();

const optionsSchema = z
  .object({
    host: z.string().refine((h) => net.isIP(h) !== 0, 'must be an IPv4 or IPv6 address'),
    port: z.number().int().min(0).max(0xffff),
    zones: z.array(zoneSchema),
    stateFile: z.string().min(1).optional(),
    log: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'info' in v).optional(),
    limits: limitsSchema.optional(),
  })
  .strict();

/** A zone as the server runs it: its apex key, its keys, and what it holds when new. */
export interface ZoneConfig {
  readonly origin: string;
  readonly keys: readonly TsigKey[];
  readonly defaults: ZoneDefaults;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly zones: readonly ZoneConfig[];
  readonly stateFile: string | undefined;
  readonly log: Logger | undefined;
  readonly limits: DnsServerLimits;
}

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

function key(text: string, what: string): string {
  try {
    return nameKey(text);
  } catch (error) {
    if (error instanceof DnsWireError)
      throw invalidArgument(`${what} "${text}" is not a domain name: ${error.message}`);
    throw error;
  }
}

/** Validates one zone's options (constructor and addZone). */
export function parseZoneOptions(options: DnsZoneOptions): ZoneConfig {
  const parsed = zoneSchema.safeParse(options);
  if (!parsed.success) throw invalidArgument(`invalid DNS zone options: ${problems(parsed.error)}`);
  const z = parsed.data;
  const origin = key(z.name, 'zone name');
  if (origin === '') throw invalidArgument('a zone of the embedded DNS server cannot be the root');
  const soa = z.soa ?? {};
  const defaults: ZoneDefaults = {
    ttl: soa.ttl ?? 300,
    soa: {
      kind: 'SOA',
      mname: key(soa.mname ?? childKey('ns1', origin), 'SOA mname'),
      rname: key(soa.rname ?? childKey('hostmaster', origin), 'SOA rname'),
      serial: soa.serial ?? 1,
      refresh: soa.refresh ?? 3600,
      retry: soa.retry ?? 600,
      expire: soa.expire ?? 86400,
      minimum: soa.minimum ?? 60,
    },
    ns: (z.ns ?? [childKey('ns1', origin)]).map((ns) => key(ns, 'NS target')),
  };
  const keys = z.keys.map((k) => tsigKey(k.name, k.algorithm, k.secret));
  return { origin, keys, defaults };
}

export function parseServerOptions(options: EmbeddedDnsServerOptions): ServerConfig {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success)
    throw invalidArgument(`invalid embedded DNS server options: ${problems(parsed.error)}`);
  const o = parsed.data;
  return {
    host: o.host,
    port: o.port,
    zones: options.zones.map(parseZoneOptions),
    stateFile: o.stateFile,
    log: options.log,
    limits: { ...DEFAULT_DNS_SERVER_LIMITS, ...o.limits },
  };
}
