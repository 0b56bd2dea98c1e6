/**
 * A whole DNS message (RFC 1035 §4.1):
 *
 *   +---------------------+
 *   |        Header       |
 *   +---------------------+
 *   |       Question      |   UPDATE: Zone          (RFC 2136 §2)
 *   +---------------------+
 *   |        Answer       |   UPDATE: Prerequisite
 *   +---------------------+
 *   |      Authority      |   UPDATE: Update
 *   +---------------------+
 *   |      Additional     |   OPT anywhere in it, TSIG last (RFC 8945 §5.1)
 *   +---------------------+
 *
 * encodeMessage and decodeMessage are pure; decoding is strict (every count honoured, no octet
 * left over) and raises only DnsWireError.
 */
import { RRType } from './constants.ts';
import { DnsWireError } from './errors.ts';
import type { HeaderFlags } from './header.ts';
import { decodeHeader, encodeHeader } from './header.ts';
import type { Question } from './question.ts';
import { decodeQuestion, encodeQuestion } from './question.ts';
import { WireReader } from './reader.ts';
import type { WireRecord } from './record.ts';
import { decodeRecord, encodeRecord } from './record.ts';
import { WireWriter } from './writer.ts';

export interface DnsMessage {
  readonly id: number;
  readonly flags: HeaderFlags;
  readonly questions: readonly Question[];
  readonly answers: readonly WireRecord[];
  readonly authorities: readonly WireRecord[];
  readonly additionals: readonly WireRecord[];
}

export interface DecodedMessage extends DnsMessage {
  /** Offset of the TSIG record when the message ends with one (what TSIG verification strips). */
  readonly tsigOffset: number | undefined;
}

export function encodeMessage(m: DnsMessage): Uint8Array {
  const w = new WireWriter();
  encodeHeader(w, {
    id: m.id,
    flags: m.flags,
    qdcount: m.questions.length,
    ancount: m.answers.length,
    nscount: m.authorities.length,
    arcount: m.additionals.length,
  });
  for (const q of m.questions) encodeQuestion(w, q);
  for (const rr of m.answers) encodeRecord(w, rr);
  for (const rr of m.authorities) encodeRecord(w, rr);
  for (const rr of m.additionals) encodeRecord(w, rr);
  return w.finish();
}

export function decodeMessage(packet: Uint8Array): DecodedMessage {
  const r = new WireReader(packet);
  const header = decodeHeader(r);
  const questions: Question[] = [];
  for (let i = 0; i < header.qdcount; i++) questions.push(decodeQuestion(r));
  let tsigOffset: number | undefined;
  let optSeen = false;
  const section = (count: number, name: string, additional: boolean): WireRecord[] => {
    const records: WireRecord[] = [];
    for (let i = 0; i < count; i++) {
      const at = r.offset;
      const rr = decodeRecord(r);
      if (!additional && (rr.type === RRType.OPT || rr.type === RRType.TSIG)) {
        throw new DnsWireError(
          'bad-layout',
          `${rr.type === RRType.OPT ? 'OPT' : 'TSIG'} record in the ${name} section`,
          at,
        );
      }
      if (rr.type === RRType.OPT) {
        if (optSeen) throw new DnsWireError('bad-layout', 'more than one OPT record', at);
        if (rr.name !== '') throw new DnsWireError('bad-layout', 'OPT record owner is not the root', at);
        optSeen = true;
      }
      if (additional && rr.type === RRType.TSIG) {
        if (i !== count - 1) throw new DnsWireError('bad-layout', 'TSIG record is not the last record', at);
        tsigOffset = at;
      }
      records.push(rr);
    }
    return records;
  };
  const answers = section(header.ancount, 'answer', false);
  const authorities = section(header.nscount, 'authority', false);
  const additionals = section(header.arcount, 'additional', true);
  if (r.remaining !== 0) {
    throw new DnsWireError('trailing-data', `${r.remaining} octets after the last record`, r.offset);
  }
  return { id: header.id, flags: header.flags, questions, answers, authorities, additionals, tsigOffset };
}
