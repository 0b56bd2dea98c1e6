/**
 * A minimal stub that asks one server one question (RFC 1035 §4.2), UDP first and TCP when the
 * answer is truncated. Used to read back records from an authoritative server (tests, the BIND9
 * harness's readiness check); it does not recurse, cache or validate DNSSEC.
 */
import { randomInt } from 'node:crypto';
import { unavailable } from '../core/errors.ts';
import type { Check, DnsServerAddress, ExchangeResult } from './transport.ts';
import { exchangeTcp, exchangeUdp } from './transport.ts';
import type { DecodedMessage } from './wire/message.ts';
import { decodeMessage, encodeMessage } from './wire/message.ts';
import { sameName } from './wire/name.ts';
import { queryMessage } from './wire/query.ts';

export interface QueryOptions {
  readonly timeoutMs?: number;
  /** EDNS with the DO bit: ask for RRSIGs (RFC 3225) */
  readonly dnssecOk?: boolean;
  /** skip UDP */
  readonly tcp?: boolean;
}

export async function queryDns(
  server: DnsServerAddress,
  name: string,
  type: number,
  options: QueryOptions = {},
): Promise<DecodedMessage> {
  const id = randomInt(0, 0x10000);
  const request = encodeMessage(
    queryMessage({
      id,
      name,
      type,
      ...(options.dnssecOk ? { edns: { dnssecOk: true, udpPayloadSize: 1232 } } : {}),
    }),
  );
  const timeoutMs = options.timeoutMs ?? 2000;
  const check = (packet: Uint8Array): Check<DecodedMessage> => {
    let m: DecodedMessage;
    try {
      m = decodeMessage(packet);
    } catch (error) {
      return { ok: false, reason: `a malformed answer (${(error as Error).message})` };
    }
    const q = m.questions[0];
    if (m.id !== id || !m.flags.qr || !q || q.type !== type || !sameName(q.name, name)) {
      return { ok: false, reason: 'an answer to another question' };
    }
    return { ok: true, value: m };
  };
  let result: ExchangeResult<DecodedMessage> = options.tcp
    ? await exchangeTcp(server, request, timeoutMs, check)
    : await exchangeUdp(server, request, timeoutMs, check);
  if (result.kind === 'answer' && result.value.flags.tc && !options.tcp) {
    result = await exchangeTcp(server, request, timeoutMs, check);
  }
  if (result.kind !== 'answer') {
    throw unavailable(
      `no answer from ${server.host}:${server.port} for ${name}: ${result.reason ?? 'timeout'}`,
    );
  }
  return result.value;
}
