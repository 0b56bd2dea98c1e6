/**
 * Test doubles for the resolver: record builders, a zone in memory that answers like an
 * authoritative server (NOERROR, NODATA with the SOA, NXDOMAIN with the SOA), a DnsQuerier over
 * that zone for FlowResolver tests, and a scripted DNS server (test/support/fake-dns-server.ts: UDP
 * and TCP on one port) answering with ESON's codec for DnsResolver tests.
 */
import dgram from 'node:dgram';
import { DnsResolveError } from '../../../src/dns/resolver/errors.ts';
import type { DnsAnswer, DnsQuerier } from '../../../src/dns/resolver/stub-resolver.ts';
import { RRClass, RRType, Rcode, typeName } from '../../../src/dns/wire/constants.ts';
import { QUERY_FLAGS } from '../../../src/dns/wire/header.ts';
import type { DecodedMessage } from '../../../src/dns/wire/message.ts';
import { decodeMessage, encodeMessage } from '../../../src/dns/wire/message.ts';
import type { Edns } from '../../../src/dns/wire/rdata/opt.ts';
import { ednsRecord, readEdns } from '../../../src/dns/wire/rdata/opt.ts';
import { txtStrings } from '../../../src/dns/wire/rdata/txt.ts';
import type { WireRecord } from '../../../src/dns/wire/record.ts';
import type { ScriptedDnsServer, Transport } from '../../support/fake-dns-server.ts';
import { startScriptedDnsServer } from '../../support/fake-dns-server.ts';

// ---------------------------------------------------------------------------------------------
// Records

const record = (name: string, type: number, ttl: number, data: WireRecord['data']): WireRecord => ({
  name,
  type,
  class: RRClass.IN,
  ttl,
  data,
});

export const rr = {
  ptr: (name: string, target: string, ttl = 60) => record(name, RRType.PTR, ttl, { kind: 'PTR', target }),
  srv: (name: string, priority: number, weight: number, port: number, target: string, ttl = 60) =>
    record(name, RRType.SRV, ttl, { kind: 'SRV', priority, weight, port, target }),
  txt: (name: string, strings: readonly string[], ttl = 60) =>
    record(name, RRType.TXT, ttl, txtStrings(strings)),
  a: (name: string, address: string, ttl = 60) => record(name, RRType.A, ttl, { kind: 'A', address }),
  aaaa: (name: string, address: string, ttl = 60) =>
    record(name, RRType.AAAA, ttl, { kind: 'AAAA', address }),
  soa: (zone: string, ttl: number, minimum: number) =>
    record(zone, RRType.SOA, ttl, {
      kind: 'SOA',
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    }),
};

/** The records of a flow in the fns-records.md layout, with the agent's A record. */
export function flowZone(
  flow: string,
  options: { agentTls?: boolean; brokerTxt?: string[] } = {},
): WireRecord[] {
  const service = `_flow._tcp.${flow}`;
  const queue = `_queue._flow._tcp.${flow}`;
  return [
    rr.ptr(flow, service),
    rr.srv(service, 10, 10, 61000, 'agent.orange.test'),
    ...(options.agentTls === false ? [] : [rr.txt(service, ['tls'])]),
    rr.srv(queue, 10, 10, 9092, 'kafka.orange.test'),
    rr.txt(queue, options.brokerTxt ?? ['broker-type=kafka', 'queue=orders']),
    rr.a('agent.orange.test', '192.0.2.10'),
    rr.aaaa('agent.orange.test', '2001:db8::10'),
    rr.a('kafka.orange.test', '192.0.2.20'),
  ];
}

// ---------------------------------------------------------------------------------------------
// A zone in memory

export interface ZoneAnswer {
  readonly rcode: number;
  readonly answers: WireRecord[];
  readonly authorities: WireRecord[];
}

/** How an authoritative server for `zone` holding `records` answers `name`/`type`. */
export function answerFromZone(
  records: readonly WireRecord[],
  name: string,
  type: number,
  soa: WireRecord = rr.soa('orange.test', 300, 60),
): ZoneAnswer {
  const lower = name.toLowerCase();
  const atName = records.filter((r) => r.name.toLowerCase() === lower);
  const matching = atName.filter((r) => r.type === type);
  if (matching.length > 0) return { rcode: Rcode.NOERROR, answers: matching, authorities: [] };
  // An empty non-terminal (a name with records below it) exists: NODATA (RFC 8020).
  const exists = atName.length > 0 || records.some((r) => r.name.toLowerCase().endsWith(`.${lower}`));
  return { rcode: exists ? Rcode.NOERROR : Rcode.NXDOMAIN, answers: [], authorities: [soa] };
}

export interface FakeQuerier extends DnsQuerier {
  /** `TYPE name` of every query, in order */
  readonly asked: string[];
}

/**
 * A DnsQuerier over records in memory: NXDOMAIN/NODATA with a negative TTL of `negativeTtl`, and
 * failures scripted per `TYPE name` key.
 */
export function zoneQuerier(
  records: readonly WireRecord[],
  options: { negativeTtl?: number; failures?: Record<string, DnsResolveError>; authenticated?: boolean } = {},
): FakeQuerier {
  const asked: string[] = [];
  return {
    asked,
    query(name: string, type: number): Promise<DnsAnswer> {
      const qname = name.toLowerCase().replace(/\.$/, '');
      const key = `${typeName(type)} ${qname}`;
      asked.push(key);
      const failure = options.failures?.[key];
      if (failure) return Promise.reject(failure);
      const z = answerFromZone(records, qname, type);
      const authenticated = options.authenticated ?? false;
      if (z.answers.length > 0) {
        return Promise.resolve({
          name: qname,
          type,
          records: z.answers,
          ttl: Math.min(...z.answers.map((r) => r.ttl)),
          authenticated,
          fromCache: false,
        });
      }
      const reason = z.rcode === Rcode.NXDOMAIN ? 'nxdomain' : 'nodata';
      return Promise.reject(
        new DnsResolveError(reason, `${qname}: ${reason}`, {
          qname,
          qtype: typeName(type),
          server: 'memory',
          ttl: options.negativeTtl ?? 60,
          authenticated,
        }),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A scripted DNS server

export type { Transport } from '../../support/fake-dns-server.ts';

export interface FakeRequest {
  readonly transport: Transport;
  readonly message: DecodedMessage;
  readonly name: string;
  readonly type: number;
  readonly edns: Edns | undefined;
}

export interface ReplyOptions {
  readonly rcode?: number;
  readonly answers?: readonly WireRecord[];
  readonly authorities?: readonly WireRecord[];
  readonly ad?: boolean;
  readonly aa?: boolean;
  readonly tc?: boolean;
  readonly id?: number;
  /** answer with EDNS (default: when the request had it) */
  readonly edns?: boolean;
  /** the question to put in the answer (default: the request's) */
  readonly question?: { name: string; type: number };
}

export type Behaviour =
  | { readonly drop: true }
  | { readonly reply: ReplyOptions }
  /** datagrams (or TCP frames) to send, in order */
  | { readonly raw: readonly Uint8Array[] };

/** The answer a server sends to `request`. */
export function reply(request: FakeRequest, options: ReplyOptions = {}): Uint8Array {
  const m = request.message;
  const withEdns = options.edns ?? request.edns !== undefined;
  return encodeMessage({
    id: options.id ?? m.id,
    flags: {
      ...QUERY_FLAGS,
      qr: true,
      rd: m.flags.rd,
      ra: true,
      aa: options.aa ?? false,
      ad: options.ad ?? false,
      tc: options.tc ?? false,
      rcode: options.rcode ?? Rcode.NOERROR,
    },
    questions: options.question ? [{ ...options.question, class: RRClass.IN }] : m.questions,
    answers: options.answers ?? [],
    authorities: options.authorities ?? [],
    additionals: withEdns
      ? [ednsRecord({ udpPayloadSize: 1232, dnssecOk: request.edns?.dnssecOk ?? false })]
      : [],
  });
}

/** A behaviour that answers from `records` like an authoritative server (or a resolver, with `ad`). */
export function serveZone(
  records: readonly WireRecord[],
  options: { ad?: boolean; soa?: WireRecord } = {},
): (request: FakeRequest) => Behaviour {
  return (request) => {
    const z = answerFromZone(records, request.name, request.type, options.soa);
    return { reply: { ...z, ad: options.ad ?? false } };
  };
}

export type FakeDnsServer = ScriptedDnsServer<FakeRequest>;

export function startFakeDns(
  behave: (request: FakeRequest, index: number) => Behaviour,
): Promise<FakeDnsServer> {
  return startScriptedDnsServer(
    (bytes, transport): FakeRequest => {
      const message = decodeMessage(bytes);
      const q = message.questions[0];
      return {
        transport,
        message,
        name: q?.name ?? '',
        type: q?.type ?? 0,
        edns: readEdns(message.additionals),
      };
    },
    (request, index) => {
      const action = behave(request, index);
      if ('drop' in action) return [];
      if ('raw' in action) return action.raw;
      return [reply(request, action.reply)];
    },
  );
}

/** A UDP socket on 127.0.0.1 that reads every query and never answers. */
export async function startSilentUdp(): Promise<{
  host: string;
  port: number;
  received: () => number;
  stop(): Promise<void>;
}> {
  const socket = dgram.createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    host: '127.0.0.1',
    port: socket.address().port,
    received: () => count,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A clock the test moves by hand (milliseconds). */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
