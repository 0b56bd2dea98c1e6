/**
 * NameServiceWriter over RFC 2136 dynamic update signed with TSIG (RFC 8945, HMAC-SHA256): what
 * BIND9 and every other RFC 2136 server accepts.
 *
 * Each call is one UPDATE message, so the server applies all of it or none of it (RFC 2136 §3.4);
 * flow-updates.ts decides the prerequisites that keep two agents from taking the same flow.
 * A message goes over UDP, or over TCP when it is over 512 octets or the UDP answer is truncated.
 * An answer counts only if its ID and zone match and its TSIG verifies over our request's MAC;
 * others are ignored (UDP) as RFC 8945 §5.3 asks, so a forged datagram cannot confirm an update.
 * RCODEs and TSIG errors become EsonErrors through the one table in rcode-errors.ts; those marked
 * retriable (SERVFAIL, no answer) are tried again `retries` more times, each with a new ID and a
 * fresh signature, and end as 'unavailable'.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { ErrorKind } from '../../../core/errors.ts';
import { EsonError, invalidArgument } from '../../../core/errors.ts';
import { canonicalName } from '../../../core/names.ts';
import type {
  FlowRegistration,
  NamespaceRegistration,
  NameServiceWriter,
} from '../../../ports/name-service.ts';
import {
  registerAddressRequest,
  registerFlowRequest,
  registerNamespaceRequest,
  unregisterFlowRequest,
  unregisterNamespaceRequest,
  updateFlowRequest,
} from './flow-updates.ts';
import type { RcodeOutcome } from '../../../dns/rcode-errors.ts';
import { NO_ANSWER, rcodeOutcome } from '../../../dns/rcode-errors.ts';
import type { DnsServerAddress, Check } from '../../../dns/transport.ts';
import { exchangeTcp, exchangeUdp, MAX_UDP_MESSAGE_OCTETS } from '../../../dns/transport.ts';
import type { TsigKey } from '../../../dns/tsig.ts';
import { signMessage, tsigKey, TSIG_ALGORITHM, verifyMessage } from '../../../dns/tsig.ts';
import { Opcode, Rcode, RRType, rcodeName } from '../../../dns/wire/constants.ts';
import { DnsWireError } from '../../../dns/wire/errors.ts';
import { decodeMessage, encodeMessage } from '../../../dns/wire/message.ts';
import { sameName } from '../../../dns/wire/name.ts';
import { readEdns } from '../../../dns/wire/rdata/opt.ts';
import type { UpdateRequest } from '../../../dns/wire/update.ts';
import { updateMessage } from '../../../dns/wire/update.ts';

export interface Rfc2136WriterOptions {
  /** the zone's primary server */
  readonly server: DnsServerAddress;
  /** the zone that holds every name this writer writes */
  readonly zone: string;
  /** as `tsig-keygen -a hmac-sha256 <name>` prints it: the secret in base64 */
  readonly key: { readonly name: string; readonly algorithm: typeof TSIG_ALGORITHM; readonly secret: string };
  /** how long to wait for each attempt's answer */
  readonly timeoutMs: number;
  /** attempts after the first, for retriable outcomes (no answer, SERVFAIL) */
  readonly retries: number;
  /** milliseconds since the epoch; TSIG's Time Signed and the check of answers use it (tests skew it) */
  readonly clock?: () => number;
  /** message IDs; random by default */
  readonly nextId?: () => number;
}

const optionsSchema = z
  .object({
    server: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).strict(),
    zone: z.string().min(1),
    key: z
      .object({ name: z.string().min(1), algorithm: z.literal(TSIG_ALGORITHM), secret: z.string().min(1) })
      .strict(),
    timeoutMs: z.number().int().positive(),
    retries: z.number().int().nonnegative().max(10),
    clock: z.custom<() => number>((v) => typeof v === 'function').optional(),
    nextId: z.custom<() => number>((v) => typeof v === 'function').optional(),
  })
  .strict();

/** RFC 1035 §4.2.2: the TCP length prefix is 16 bits. */
const MAX_MESSAGE_OCTETS = 0xffff;

interface Answer {
  readonly truncated: boolean;
  /** header RCODE extended by EDNS, or the TSIG error the server reported */
  readonly rcode: number;
  /** BADTIME: the server's clock, seconds */
  readonly serverTime: number | undefined;
}

type AttemptResult =
  | { readonly kind: 'answer'; readonly answer: Answer }
  | { readonly kind: 'no-answer'; readonly reason: string };

export class Rfc2136Writer implements NameServiceWriter {
  readonly #server: DnsServerAddress;
  readonly #zone: string;
  readonly #key: TsigKey;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #clock: () => number;
  readonly #nextId: () => number;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: Rfc2136WriterOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
      );
      throw invalidArgument(`invalid RFC 2136 writer options: ${problems.join('; ')}`);
    }
    const o = parsed.data;
    this.#server = o.server;
    this.#zone = canonicalName(o.zone, 'zone');
    this.#key = tsigKey(o.key.name, o.key.algorithm, o.key.secret);
    this.#timeoutMs = o.timeoutMs;
    this.#retries = o.retries;
    this.#clock = o.clock ?? Date.now;
    this.#nextId = o.nextId ?? (() => randomInt(0, 0x10000));
  }

  registerFlow(r: FlowRegistration): Promise<void> {
    return this.#update(`flow ${r.flow}`, (id) => registerFlowRequest(this.#zone, r, id));
  }

  updateFlow(r: FlowRegistration): Promise<void> {
    return this.#update(`flow ${r.flow}`, (id) => updateFlowRequest(this.#zone, r, id));
  }

  unregisterFlow(r: FlowRegistration): Promise<void> {
    return this.#update(`flow ${r.flow}`, (id) => unregisterFlowRequest(this.#zone, r, id));
  }

  registerNamespace(r: NamespaceRegistration): Promise<void> {
    return this.#update(`namespace ${r.namespace}`, (id) => registerNamespaceRequest(this.#zone, r, id));
  }

  unregisterNamespace(r: NamespaceRegistration): Promise<void> {
    return this.#update(`namespace ${r.namespace}`, (id) => unregisterNamespaceRequest(this.#zone, r, id));
  }

  /** Replaces the A/AAAA records of a host of the zone (not part of the port: `eson dev` uses it). */
  registerAddress(host: string, addresses: readonly string[], ttl: number): Promise<void> {
    return this.#update(`host ${host}`, (id) => registerAddressRequest(this.#zone, host, addresses, ttl, id));
  }

  /** Waits for the updates under way; later calls fail. No socket outlives a call. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #update(what: string, build: (id: number) => UpdateRequest): Promise<void> {
    if (this.#closed) throw new EsonError('unavailable', 'the RFC 2136 writer is closed');
    // Built once before anything is sent, so that a bad record (a TXT string over 255 octets, a
    // name outside the zone) fails here without touching the network.
    build(0);
    const run = this.#run(what, build);
    this.#inFlight.add(run);
    try {
      await run;
    } finally {
      this.#inFlight.delete(run);
    }
  }

  async #run(what: string, build: (id: number) => UpdateRequest): Promise<void> {
    let lastReason = '';
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      const result = await this.#attempt(build);
      const outcome: RcodeOutcome = result.kind === 'answer' ? rcodeOutcome(result.answer.rcode) : NO_ANSWER;
      if (outcome.kind === 'ok') return;
      if (!outcome.retriable && result.kind === 'answer') throw this.#error(what, outcome, result.answer);
      lastReason =
        result.kind === 'answer' ? `${rcodeName(result.answer.rcode)}: ${outcome.meaning}` : result.reason;
      if (result.kind === 'answer' && attempt < this.#retries) await delay(Math.min(1000, 50 * 2 ** attempt));
    }
    const { host, port } = this.#server;
    throw new EsonError(
      'unavailable',
      `the DNS server ${host}:${port} did not apply the update of ${what} after ${this.#retries + 1} attempts (${lastReason})`,
      { context: { server: `${host}:${port}`, zone: this.#zone } },
    );
  }

  async #attempt(build: (id: number) => UpdateRequest): Promise<AttemptResult> {
    const id = this.#nextId();
    let unsigned: Uint8Array;
    try {
      unsigned = encodeMessage(updateMessage(build(id)));
    } catch (error) {
      if (error instanceof DnsWireError) {
        throw invalidArgument(`cannot encode the DNS update: ${error.message}`);
      }
      throw error;
    }
    const signed = signMessage(unsigned, this.#key, { timeSigned: this.#seconds() });
    if (signed.bytes.length > MAX_MESSAGE_OCTETS) {
      throw invalidArgument(`the DNS update is ${signed.bytes.length} octets, over ${MAX_MESSAGE_OCTETS}`);
    }
    const check = (packet: Uint8Array): Check<Answer> => this.#check(packet, id, signed.mac);
    let result =
      signed.bytes.length > MAX_UDP_MESSAGE_OCTETS
        ? await exchangeTcp(this.#server, signed.bytes, this.#timeoutMs, check)
        : await exchangeUdp(this.#server, signed.bytes, this.#timeoutMs, check);
    if (result.kind === 'answer' && result.value.truncated) {
      result = await exchangeTcp(this.#server, signed.bytes, this.#timeoutMs, check);
    }
    switch (result.kind) {
      case 'answer':
        if (result.value.truncated) return { kind: 'no-answer', reason: 'the TCP answer is truncated' };
        return { kind: 'answer', answer: result.value };
      case 'timeout':
        return {
          kind: 'no-answer',
          reason: `no answer in ${this.#timeoutMs} ms${result.reason ? `; ignored: ${result.reason}` : ''}`,
        };
      case 'failed':
        return { kind: 'no-answer', reason: result.reason };
    }
  }

  #seconds(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** Accepts only the server's signed answer to this request (ID, opcode, zone, TSIG). */
  #check(packet: Uint8Array, id: number, requestMac: Uint8Array): Check<Answer> {
    let m;
    try {
      m = decodeMessage(packet);
    } catch (error) {
      return { ok: false, reason: `a malformed answer (${(error as Error).message})` };
    }
    if (m.id !== id || !m.flags.qr) return { ok: false, reason: `an answer with ID ${m.id}, not ${id}` };
    if (m.flags.opcode !== Opcode.UPDATE) {
      return { ok: false, reason: `an answer with opcode ${m.flags.opcode}` };
    }
    const zone = m.questions[0];
    if (m.questions.length > 1 || (zone && (zone.type !== RRType.SOA || !sameName(zone.name, this.#zone)))) {
      return { ok: false, reason: 'an answer for another zone' };
    }
    if (m.flags.tc) {
      // Not verified: a truncated answer only sends the same request again over TCP.
      return { ok: true, value: { truncated: true, rcode: m.flags.rcode, serverTime: undefined } };
    }
    const verified = verifyMessage(packet, m, this.#key, { now: this.#seconds(), requestMac });
    if (!verified.ok) {
      if (verified.code === 'peer-error') {
        // BADSIG/BADKEY answers carry no MAC (RFC 8945 §5.3.2): a forged one can only make this
        // call fail, never confirm an update.
        return {
          ok: true,
          value: { truncated: false, rcode: verified.error, serverTime: verified.peerTime },
        };
      }
      return {
        ok: false,
        reason: `an answer (${rcodeName(m.flags.rcode)}) whose TSIG failed: ${verified.code}, ${verified.message}`,
      };
    }
    const edns = readEdns(m.additionals);
    const rcode = (edns ? edns.extendedRcode << 4 : 0) | m.flags.rcode;
    return { ok: true, value: { truncated: false, rcode, serverTime: undefined } };
  }

  #error(what: string, outcome: RcodeOutcome, answer: Answer): EsonError {
    const code = rcodeName(answer.rcode);
    const context = { rcode: code, server: `${this.#server.host}:${this.#server.port}`, zone: this.#zone };
    const kind = outcome.kind as ErrorKind;
    let message: string;
    switch (kind) {
      case 'exists':
        message = `${what} is already in DNS: the server answered ${code} (${outcome.meaning})`;
        break;
      case 'not-found':
        message = `${what} is not in DNS: the server answered ${code} (${outcome.meaning})`;
        break;
      case 'forbidden':
        message = `the DNS server refused the TSIG key ${this.#key.name}: ${code} (${outcome.meaning}; zone ${this.#zone}, ${what})`;
        if (answer.rcode === Rcode.BADTIME) {
          const ours = this.#seconds();
          const theirs = answer.serverTime;
          message += theirs === undefined ? '' : `; our clock is ${ours - theirs} s off the server's`;
        }
        break;
      case 'invalid-argument':
      case 'invalid-name':
      case 'rejected':
      case 'unavailable':
        message = `the DNS server answered ${code} to the update of ${what} (${outcome.meaning})`;
    }
    return new EsonError(kind, message, { context });
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
