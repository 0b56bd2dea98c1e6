/**
 * A question (RFC 1035 §4.1.2); in an UPDATE, the zone section (RFC 2136 §2.3: ZNAME, ZTYPE SOA,
 * ZCLASS).
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                     QNAME                     /
 *   |                     QTYPE                     |
 *   |                     QCLASS                    |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
import { readName, writeName } from './name.ts';
import type { WireReader } from './reader.ts';
import type { WireWriter } from './writer.ts';

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export function encodeQuestion(w: WireWriter, q: Question): void {
  writeName(w, q.name, true);
  w.u16(q.type, 'QTYPE');
  w.u16(q.class, 'QCLASS');
}

export function decodeQuestion(r: WireReader): Question {
  const name = readName(r);
  return { name, type: r.u16('QTYPE'), class: r.u16('QCLASS') };
}
