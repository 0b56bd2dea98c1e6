/**
 * TSIG on the server side (RFC 8945 §5.2, §5.3): a signed request is verified before anything
 * else is looked at, and what failed becomes the answer the RFC prescribes:
 *
 *   key unknown, or another algorithm   NOTAUTH, TSIG error BADKEY, MAC empty (unsigned)  §5.2.1
 *   MAC does not verify                 NOTAUTH, TSIG error BADSIG, MAC empty (unsigned)  §5.2.2
 *   MAC truncated                       NOTAUTH, TSIG error BADTRUNC, signed              §5.2.4
 *   time outside the fudge              NOTAUTH, TSIG error BADTIME, signed; Time Signed is the
 *                                       request's and Other Data the server's time         §5.2.3
 *   malformed TSIG record               FORMERR, unsigned                                  §5.2.2.1
 *
 * Every other answer to a verified request is signed with the same key over the request's MAC
 * (§5.3). Keys are matched by name without regard to case.
 */
import { RRClass, RRType, Rcode } from '../wire/constants.ts';
import type { DecodedMessage } from '../wire/message.ts';
import type { TsigData } from '../wire/rdata/tsig.ts';
import type { WireRecord } from '../wire/record.ts';
import { encodeRecord } from '../wire/record.ts';
import { WireWriter } from '../wire/writer.ts';
import type { TsigKey } from '../tsig.ts';
import { signMessage, verifyMessage } from '../tsig.ts';

/** The key and MAC of a request whose TSIG verified: what signs the answer. */
export interface RequestSigner {
  readonly key: TsigKey;
  readonly requestMac: Uint8Array;
}

/** How an answer is signed: by a verified request's key, or as a TSIG error (RFC 8945 §5.2). */
export type ResponseTsig =
  | { readonly kind: 'signed'; readonly signer: RequestSigner }
  | {
      readonly kind: 'error';
      readonly error: number;
      readonly request: TsigData;
      readonly keyName: string;
      /** BADTIME, BADTRUNC: signed with the key (the MAC verified or was merely truncated) */
      readonly signer: RequestSigner | undefined;
    };

export type RequestTsigCheck =
  /** no TSIG record */
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'verified'; readonly signer: RequestSigner }
  /** answer with this header RCODE and TSIG */
  | {
      readonly kind: 'rejected';
      readonly rcode: number;
      readonly tsig: ResponseTsig | undefined;
      readonly reason: string;
    };

export function checkRequestTsig(
  packet: Uint8Array,
  request: DecodedMessage,
  keyNamed: (name: string) => TsigKey | undefined,
  now: number,
): RequestTsigCheck {
  if (request.tsigOffset === undefined) return { kind: 'unsigned' };
  const record = request.additionals.at(-1) as WireRecord;
  const data = record.data;
  if (data?.kind !== 'TSIG') {
    return { kind: 'rejected', rcode: Rcode.FORMERR, tsig: undefined, reason: 'a TSIG record without RDATA' };
  }
  const key = keyNamed(record.name);
  const error = (code: number, signer: RequestSigner | undefined, reason: string): RequestTsigCheck => ({
    kind: 'rejected',
    rcode: Rcode.NOTAUTH,
    tsig: { kind: 'error', error: code, request: data, keyName: record.name, signer },
    reason,
  });
  if (key === undefined) return error(Rcode.BADKEY, undefined, `unknown TSIG key ${record.name}`);
  const verdict = verifyMessage(packet, request, key, { now });
  if (verdict.ok) return { kind: 'verified', signer: { key, requestMac: data.mac } };
  switch (verdict.code) {
    case 'BADKEY':
      return error(Rcode.BADKEY, undefined, verdict.message);
    case 'BADSIG':
      return error(Rcode.BADSIG, undefined, verdict.message);
    case 'BADTIME':
      return error(Rcode.BADTIME, { key, requestMac: data.mac }, verdict.message);
    case 'BADTRUNC':
      return error(Rcode.BADTRUNC, { key, requestMac: data.mac }, verdict.message);
    case 'missing':
    case 'FORMERR':
    case 'peer-error':
      // A request has no business carrying a TSIG error of its own.
      return { kind: 'rejected', rcode: Rcode.FORMERR, tsig: undefined, reason: verdict.message };
  }
}

const u48 = (value: number): Uint8Array => {
  const out = new Uint8Array(6);
  const high = Math.floor(value / 0x1_0000_0000);
  const low = value % 0x1_0000_0000;
  out[0] = high >>> 8;
  out[1] = high & 0xff;
  out[2] = low >>> 24;
  out[3] = (low >>> 16) & 0xff;
  out[4] = (low >>> 8) & 0xff;
  out[5] = low & 0xff;
  return out;
};

/**
 * `unsigned` (an encoded answer without TSIG) with the TSIG `how` asks for. An unsigned TSIG error
 * carries the request's key name, algorithm, time and fudge and an empty MAC.
 */
export function applyResponseTsig(unsigned: Uint8Array, how: ResponseTsig, now: number): Uint8Array {
  if (how.kind === 'signed') {
    return signMessage(unsigned, how.signer.key, { timeSigned: now, requestMac: how.signer.requestMac })
      .bytes;
  }
  const { request } = how;
  if (how.signer !== undefined) {
    const badTime = how.error === Rcode.BADTIME;
    return signMessage(unsigned, how.signer.key, {
      timeSigned: badTime ? request.timeSigned : now,
      fudge: request.fudge,
      requestMac: how.signer.requestMac,
      error: how.error,
      ...(badTime ? { otherData: u48(now) } : {}),
    }).bytes;
  }
  return appendRecord(unsigned, {
    name: how.keyName,
    type: RRType.TSIG,
    class: RRClass.ANY,
    ttl: 0,
    data: {
      kind: 'TSIG',
      algorithm: request.algorithm,
      timeSigned: request.timeSigned,
      fudge: request.fudge,
      mac: new Uint8Array(0),
      originalId: ((unsigned[0] as number) << 8) | (unsigned[1] as number),
      error: how.error,
      otherData: new Uint8Array(0),
    },
  });
}

/** The message with one more additional record (uncompressed names: TSIG allows none). */
function appendRecord(message: Uint8Array, rr: WireRecord): Uint8Array {
  const w = new WireWriter();
  w.bytes(message);
  encodeRecord(w, rr);
  w.patchU16(10, (((message[10] as number) << 8) | (message[11] as number)) + 1, 'ARCOUNT');
  return w.finish();
}
