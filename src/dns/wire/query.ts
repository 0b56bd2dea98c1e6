/**
 * The standard query (RFC 1035 §4.1, opcode 0): one question, optionally EDNS (RFC 6891) with
 * the DO bit (RFC 3225) to ask for RRSIGs.
 */
import { Opcode, RRClass } from './constants.ts';
import { QUERY_FLAGS } from './header.ts';
import type { DnsMessage } from './message.ts';
import type { Edns } from './rdata/opt.ts';
import { ednsRecord } from './rdata/opt.ts';

export interface QueryRequest {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly class?: number;
  /** recursion desired; default false (ESON asks authoritative servers) */
  readonly rd?: boolean;
  readonly edns?: Partial<Edns>;
}

export function queryMessage(q: QueryRequest): DnsMessage {
  return {
    id: q.id,
    flags: { ...QUERY_FLAGS, opcode: Opcode.QUERY, rd: q.rd ?? false },
    questions: [{ name: q.name, type: q.type, class: q.class ?? RRClass.IN }],
    answers: [],
    authorities: [],
    additionals: q.edns ? [ednsRecord(q.edns)] : [],
  };
}
