/**
 * Answers a standard query (opcode 0) from the zones the server holds, as an authoritative-only
 * server (RFC 1034 §4.3.2 steps 1-3, without recursion; RFC 2308 for negative answers):
 *
 *   no zone holds QNAME           REFUSED (not a resolver; RFC 8906 §3.1.3.1)
 *   QNAME owns an RRset of QTYPE  NOERROR, AA, the RRset
 *   QNAME exists otherwise        NODATA: NOERROR, AA, no answer, the SOA in authority
 *     (owns other types, or is an empty non-terminal, RFC 8020)
 *   QNAME does not exist          a wildcard `*.<closest encloser>` answers (RFC 4592 §4.3),
 *                                 else NXDOMAIN, AA, the SOA in authority
 *
 * The SOA of a negative answer has TTL min(SOA TTL, MINIMUM) (RFC 2308 §3). QTYPE ANY gets every
 * RRset over TCP and one over UDP (RFC 8482 §4.1). SRV and NS answers carry the A/AAAA records of
 * their targets, when a zone here holds them, in the additional section.
 */
import { RRClass, RRType, Rcode } from '../wire/constants.ts';
import type { Question } from '../wire/question.ts';
import type { WireRecord } from '../wire/record.ts';
import { childKey, nameKey, parentKey } from './names.ts';
import type { Reply } from './reply.ts';
import { bare } from './reply.ts';
import type { RRset, ZoneNode, ZoneSnapshot } from './zone.ts';

export type Transport = 'udp' | 'tcp';

/** The most specific zone the server holds that contains a name (key). */
export type ZoneFor = (name: string) => ZoneSnapshot | undefined;

const TKEY = 249;
const IXFR = 251;
const AXFR = 252;
const MAILB = 253;
const MAILA = 254;

const recordsOf = (owner: string, type: number, set: RRset): WireRecord[] =>
  set.rdata.map((data) => ({ name: owner, type, class: RRClass.IN, ttl: set.ttl, data }));

function negativeSoa(zone: ZoneSnapshot): WireRecord {
  const soa = zone.soa();
  return {
    name: zone.origin,
    type: RRType.SOA,
    class: RRClass.IN,
    ttl: Math.min(soa.ttl, soa.data.minimum),
    data: soa.data,
  };
}

/** A and AAAA of the SRV and NS targets among `answers`, from any zone held here. */
function additionalAddresses(answers: readonly WireRecord[], zoneFor: ZoneFor): WireRecord[] {
  const targets = new Set<string>();
  for (const rr of answers) {
    if (rr.data?.kind === 'SRV' && rr.data.target !== '') targets.add(nameKey(rr.data.target));
    if (rr.data?.kind === 'NS') targets.add(nameKey(rr.data.target));
  }
  const out: WireRecord[] = [];
  for (const target of targets) {
    const node = zoneFor(target)?.nodes.get(target);
    for (const type of [RRType.A, RRType.AAAA]) {
      const set = node?.get(type);
      if (set) out.push(...recordsOf(target, type, set));
    }
  }
  return out;
}

/** The records of `node` that answer QTYPE (ANY: every RRset over TCP, the first over UDP). */
function matching(owner: string, node: ZoneNode, qtype: number, transport: Transport): WireRecord[] {
  if (qtype !== RRType.ANY) {
    const set = node.get(qtype);
    return set ? recordsOf(owner, qtype, set) : [];
  }
  const types = [...node.keys()].sort((a, b) => a - b);
  return (transport === 'tcp' ? types : types.slice(0, 1)).flatMap((type) =>
    recordsOf(owner, type, node.get(type) as RRset),
  );
}

/** The wildcard node that covers a name that does not exist, and its owner key (RFC 4592 §3.3.1). */
function wildcardFor(zone: ZoneSnapshot, name: string): ZoneNode | undefined {
  let encloser = parentKey(name);
  while (encloser !== undefined && !zone.nameExists(encloser)) encloser = parentKey(encloser);
  if (encloser === undefined) return undefined;
  return zone.nodes.get(childKey('*', encloser));
}

export function answerQuery(question: Question, zoneFor: ZoneFor, transport: Transport): Reply {
  const questions = [question];
  const qtype = question.type;
  if (qtype === RRType.OPT || qtype === RRType.TSIG || qtype === TKEY || qtype === 0) {
    return bare(Rcode.FORMERR, questions);
  }
  if (qtype === MAILA || qtype === MAILB) return bare(Rcode.NOTIMP, questions);
  if (question.class !== RRClass.IN) return bare(Rcode.REFUSED, questions);
  const name = nameKey(question.name);
  const zone = zoneFor(name);
  if (zone === undefined) return bare(Rcode.REFUSED, questions);
  // Zone transfers are not offered.
  if (qtype === AXFR || qtype === IXFR) return bare(Rcode.REFUSED, questions);
  const negative = (rcode: number): Reply => ({
    ...bare(rcode, questions, true),
    authorities: [negativeSoa(zone)],
  });
  let node = zone.nodes.get(name);
  if (node === undefined) {
    if (zone.nameExists(name)) return negative(Rcode.NOERROR);
    node = wildcardFor(zone, name);
    if (node === undefined) return negative(Rcode.NXDOMAIN);
  }
  const answers = matching(name, node, qtype, transport);
  if (answers.length === 0) return negative(Rcode.NOERROR);
  return {
    rcode: Rcode.NOERROR,
    aa: true,
    questions,
    answers,
    authorities: [],
    additionals: additionalAddresses(answers, zoneFor),
  };
}
