/**
 * Answers an UPDATE (opcode 5, RFC 2136 §3), in this order:
 *
 *   zone section not exactly one RR of TYPE SOA      FORMERR   (§3.1.1)
 *   ZNAME not a zone held here, or ZCLASS not IN     NOTAUTH   (§3.1.2)
 *   request not signed with TSIG                     REFUSED   (§3.3: the server's policy)
 *   the key may not update ZNAME                     REFUSED   (each key its own zone only)
 *   prerequisites, prescan, update                   update-rules.ts, serialised per zone
 *
 * The key is checked before the prerequisites (the RFC lists §3.2 first), so that a key cannot
 * use prerequisites to learn what another participant's zone holds. The answer echoes the zone
 * section (§3.8); the dispatcher signs it over the request's MAC.
 */
import { RRClass, RRType, Rcode } from '../wire/constants.ts';
import type { DecodedMessage } from '../wire/message.ts';
import { nameKey } from './names.ts';
import type { Reply } from './reply.ts';
import { bare } from './reply.ts';
import type { RequestSigner } from './request-tsig.ts';
import { evaluateUpdate } from './update-rules.ts';
import type { ZoneStore } from './zone-store.ts';

export interface UpdateAnswer {
  readonly reply: Reply;
  /** for the log: the zone, and why the update was not applied */
  readonly zone: string | undefined;
  readonly reason: string | undefined;
}

export async function handleUpdate(
  request: DecodedMessage,
  signer: RequestSigner | undefined,
  store: ZoneStore,
  maxRecordsPerZone: number,
): Promise<UpdateAnswer> {
  const zone = request.questions[0];
  if (request.questions.length !== 1 || zone === undefined || zone.type !== RRType.SOA) {
    return {
      reply: bare(Rcode.FORMERR),
      zone: undefined,
      reason: 'the zone section must be one RR of TYPE SOA',
    };
  }
  const questions = [zone];
  const origin = nameKey(zone.name);
  const answer = (rcode: number, reason: string | undefined): UpdateAnswer => ({
    reply: bare(rcode, questions),
    zone: origin,
    reason,
  });
  if (zone.class !== RRClass.IN || store.zone(origin) === undefined) {
    return answer(Rcode.NOTAUTH, `not authoritative for ${zone.name} (class ${zone.class})`);
  }
  if (signer === undefined) return answer(Rcode.REFUSED, 'the update is not signed with TSIG');
  if (!store.mayUpdate(signer.key.name, origin)) {
    return answer(Rcode.REFUSED, `TSIG key ${signer.key.name} may not update ${origin}`);
  }
  const result = await store.update(origin, (snapshot) =>
    evaluateUpdate(snapshot, request.answers, request.authorities, store.zoneOf, maxRecordsPerZone),
  );
  return result.ok ? answer(Rcode.NOERROR, undefined) : answer(result.rcode, result.reason);
}
