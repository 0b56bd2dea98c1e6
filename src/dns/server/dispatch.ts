/**
 * One request in, at most one answer out: the server's fixed order of guards before a handler
 * runs, and the one place that turns a handler's Reply into octets.
 *
 *   1. under 12 octets (no header to answer)           dropped
 *   2. QR set (a response, not a request)              dropped (no answer loops)
 *   3. does not decode (wire/message.ts is strict)     FORMERR, header only
 *   4. TSIG present and not valid                      its RFC 8945 answer (request-tsig.ts)
 *   5. opcode other than QUERY and UPDATE              NOTIMP
 *   6. OPT of an EDNS version other than 0             BADVERS (RFC 6891 §6.1.3)
 *   7. QUERY: QDCOUNT other than 1                     FORMERR
 *   8. handler: answerQuery / handleUpdate; an exception there is SERVFAIL for that request only
 *
 * The answer echoes ID, opcode, RD and CD; carries an OPT when the request had one (our UDP
 * payload size, the DO bit echoed, the upper RCODE bits); and, from guard 5 on, is signed when
 * the request's TSIG verified (RFC 8945 §5.3). Over UDP it must fit the client's payload size
 * (512 without EDNS, RFC 6891 §6.2.5, at most our own maximum): first the additional section
 * goes (RFC 2181 §9), then every record with TC set, so that the client asks again over TCP
 * (RFC 1035 §4.2.1). Over TCP the bound is the 65535 octets a length prefix can announce.
 */
import type { Logger } from '../../log/logger.ts';
import { Opcode, Rcode, rcodeName, typeName } from '../wire/constants.ts';
import { DnsWireError } from '../wire/errors.ts';
import type { HeaderFlags } from '../wire/header.ts';
import { decodeFlags, HEADER_OCTETS } from '../wire/header.ts';
import type { DecodedMessage } from '../wire/message.ts';
import { decodeMessage, encodeMessage } from '../wire/message.ts';
import type { Edns } from '../wire/rdata/opt.ts';
import { ednsRecord, readEdns } from '../wire/rdata/opt.ts';
import type { WireRecord } from '../wire/record.ts';
import type { Transport } from './answer-query.ts';
import { answerQuery } from './answer-query.ts';
import { handleUpdate } from './handle-update.ts';
import type { DnsServerLimits } from './limits.ts';
import { MIN_UDP_PAYLOAD_OCTETS } from './limits.ts';
import type { Reply } from './reply.ts';
import { bare } from './reply.ts';
import type { ResponseTsig } from './request-tsig.ts';
import { applyResponseTsig, checkRequestTsig } from './request-tsig.ts';
import type { ZoneStore } from './zone-store.ts';

export interface DispatchContext {
  readonly store: ZoneStore;
  readonly limits: DnsServerLimits;
  readonly log: Logger;
  /** seconds since the epoch (TSIG) */
  readonly now: () => number;
}

/** EDNS version 0 is the only one (RFC 6891 §6.1.3); BADVERS is RCODE 16. */
const BADVERS = 16;

interface Framing {
  readonly request: Pick<DecodedMessage, 'id' | 'flags'>;
  readonly edns: Edns | undefined;
  readonly tsig: ResponseTsig | undefined;
  readonly limit: number;
}

function responseFlags(request: HeaderFlags, reply: Reply, tc: boolean): HeaderFlags {
  return {
    qr: true,
    opcode: request.opcode,
    aa: reply.aa,
    tc,
    rd: request.rd,
    ra: false,
    z: false,
    ad: false,
    cd: request.cd,
    rcode: reply.rcode & 0xf,
  };
}

/** The reply as octets within `limit`: whole, without the additional section, or truncated. */
export function encodeReply(
  reply: Reply,
  framing: Framing,
  limits: DnsServerLimits,
  now: number,
): Uint8Array {
  const { request, edns, tsig, limit } = framing;
  const opt: WireRecord[] = edns
    ? [
        ednsRecord({
          udpPayloadSize: limits.maxUdpPayloadOctets,
          extendedRcode: reply.rcode >>> 4,
          dnssecOk: edns.dnssecOk,
        }),
      ]
    : [];
  const encode = (
    answers: readonly WireRecord[],
    authorities: readonly WireRecord[],
    additionals: readonly WireRecord[],
    tc: boolean,
  ): Uint8Array => {
    const unsigned = encodeMessage({
      id: request.id,
      flags: responseFlags(request.flags, reply, tc),
      questions: reply.questions,
      answers,
      authorities,
      additionals: [...additionals, ...opt],
    });
    return tsig ? applyResponseTsig(unsigned, tsig, now) : unsigned;
  };
  const whole = encode(reply.answers, reply.authorities, reply.additionals, false);
  if (whole.length <= limit) return whole;
  if (reply.additionals.length > 0) {
    const lean = encode(reply.answers, reply.authorities, [], false);
    if (lean.length <= limit) return lean;
  }
  return encode([], [], [], true);
}

function udpLimit(edns: Edns | undefined, limits: DnsServerLimits): number {
  if (edns === undefined) return MIN_UDP_PAYLOAD_OCTETS;
  return Math.min(Math.max(edns.udpPayloadSize, MIN_UDP_PAYLOAD_OCTETS), limits.maxUdpPayloadOctets);
}

/** The answer to one request (undefined: send nothing). Never throws. */
export async function dispatch(
  packet: Uint8Array,
  transport: Transport,
  ctx: DispatchContext,
): Promise<Uint8Array | undefined> {
  if (packet.length < HEADER_OCTETS) return undefined;
  const flags = decodeFlags(((packet[2] as number) << 8) | (packet[3] as number));
  if (flags.qr) return undefined;
  const id = ((packet[0] as number) << 8) | (packet[1] as number);
  const now = ctx.now();
  const { limits, log } = ctx;
  let request: DecodedMessage;
  try {
    request = decodeMessage(packet);
  } catch (error) {
    if (!(error instanceof DnsWireError)) {
      log.error({ transport, id, err: (error as Error).message }, 'DNS: decoding failed unexpectedly');
      return undefined;
    }
    log.debug({ transport, id, err: error.message }, 'DNS: malformed request, FORMERR');
    return encodeReply(
      bare(Rcode.FORMERR),
      { request: { id, flags }, edns: undefined, tsig: undefined, limit: MIN_UDP_PAYLOAD_OCTETS },
      limits,
      now,
    );
  }
  const edns = readEdns(request.additionals);
  const limit = transport === 'tcp' ? limits.maxMessageOctets : udpLimit(edns, limits);
  const framing = (tsig: ResponseTsig | undefined): Framing => ({ request, edns, tsig, limit });
  const questions = request.questions.slice(0, 1);
  try {
    const check = checkRequestTsig(packet, request, ctx.store.keyNamed, now);
    if (check.kind === 'rejected') {
      log.info({ transport, id, rcode: rcodeName(check.rcode), reason: check.reason }, 'DNS: TSIG rejected');
      return encodeReply(bare(check.rcode, questions), framing(check.tsig), limits, now);
    }
    const signer = check.kind === 'verified' ? check.signer : undefined;
    const tsig: ResponseTsig | undefined = signer ? { kind: 'signed', signer } : undefined;
    const opcode = request.flags.opcode;
    if (opcode !== Opcode.QUERY && opcode !== Opcode.UPDATE) {
      return encodeReply(bare(Rcode.NOTIMP, questions), framing(tsig), limits, now);
    }
    if (edns !== undefined && edns.version !== 0) {
      return encodeReply(bare(BADVERS, questions), framing(tsig), limits, now);
    }
    try {
      if (opcode === Opcode.QUERY) {
        const question = request.questions[0];
        if (request.questions.length !== 1 || question === undefined) {
          return encodeReply(bare(Rcode.FORMERR), framing(tsig), limits, now);
        }
        const reply = answerQuery(question, ctx.store.zoneFor, transport);
        log.debug(
          { transport, qname: question.name, qtype: typeName(question.type), rcode: rcodeName(reply.rcode) },
          'DNS query',
        );
        return encodeReply(reply, framing(tsig), limits, ctx.now());
      }
      const answer = await handleUpdate(request, signer, ctx.store, limits.maxRecordsPerZone);
      log.info(
        {
          transport,
          zone: answer.zone,
          key: signer?.key.name,
          rcode: rcodeName(answer.reply.rcode),
          reason: answer.reason,
        },
        'DNS update',
      );
      return encodeReply(answer.reply, framing(tsig), limits, ctx.now());
    } catch (error) {
      log.error({ transport, id, err: (error as Error).message }, 'DNS: request failed, SERVFAIL');
      return encodeReply(bare(Rcode.SERVFAIL, questions), framing(tsig), limits, ctx.now());
    }
  } catch (error) {
    // Encoding our own answer failed: nothing sensible can be sent.
    log.error({ transport, id, err: (error as Error).message }, 'DNS: could not encode an answer');
    return undefined;
  }
}
