/**
 * TSIG, RFC 8945, with HMAC-SHA256 (the algorithm BIND's `tsig-keygen` uses by default).
 *
 * Signing (§4.3): the MAC is HMAC(secret, digest) where the digest is, in order,
 *
 *   [request MAC size (16 bits) + request MAC]   responses only (§4.3.1)
 *   the DNS message, header ID = Original ID, without the TSIG record (ARCOUNT not counting it)
 *   the TSIG variables (§4.3.3):
 *     key NAME (canonical wire form) | CLASS (ANY) | TTL (0) | Algorithm Name (canonical)
 *     | Time Signed (48 bits) | Fudge | Error | Other Len | Other Data
 *
 * then the TSIG record is appended as the last additional record and ARCOUNT incremented.
 *
 * Verifying (§5.2 on a server, §5.3 on a client) recomputes that MAC over the message as it came
 * (with the request MAC first for a response) and checks that Time Signed is within Fudge of
 * the receiver's clock. A response whose TSIG carries an error (the server's BADSIG, BADKEY,
 * BADTIME, BADTRUNC about our request) is reported as the peer's error, as its MAC is empty
 * (§5.3.2) or, for BADTIME, beside the point.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeBase64Strict } from '../auth/base64.ts';
import { invalidArgument } from '../core/errors.ts';
import { RRClass, RRType, Rcode, rcodeName } from './wire/constants.ts';
import { DnsWireError } from './wire/errors.ts';
import type { DecodedMessage } from './wire/message.ts';
import { canonicalWireName, normalizeName, sameName } from './wire/name.ts';
import { encodeRecord } from './wire/record.ts';
import type { TsigData } from './wire/rdata/tsig.ts';
import { WireReader } from './wire/reader.ts';
import { WireWriter } from './wire/writer.ts';

export const TSIG_ALGORITHM = 'hmac-sha256';
/** RFC 8945 §10: 300 seconds is the recommended fudge. */
export const DEFAULT_FUDGE_SECONDS = 300;
const MAC_OCTETS = 32;
/** §5.2.2.1: a MAC shorter than the larger of 10 octets and half the hash is malformed. */
const MIN_MAC_OCTETS = 16;

export interface TsigKey {
  /** key name, as in the `key "<name>"` clause */
  readonly name: string;
  readonly algorithm: typeof TSIG_ALGORITHM;
  readonly secret: Uint8Array;
}

/** A key from its name, algorithm and base64 secret (the three parts of `nsupdate -y`). */
export function tsigKey(name: string, algorithm: string, secretBase64: string): TsigKey {
  if (algorithm.toLowerCase() !== TSIG_ALGORITHM) {
    throw invalidArgument(
      `TSIG key ${name}: algorithm ${algorithm} is not supported (use ${TSIG_ALGORITHM})`,
    );
  }
  let normalized: string;
  try {
    normalized = normalizeName(name);
  } catch (error) {
    throw invalidArgument(`TSIG key name "${name}" is not a domain name: ${(error as Error).message}`);
  }
  if (normalized === '') throw invalidArgument('TSIG key name is empty');
  const secret = decodeBase64Strict(secretBase64.trim());
  if (secret.length === 0) throw invalidArgument(`TSIG key ${name} has an empty secret`);
  return { name: normalized, algorithm: TSIG_ALGORITHM, secret };
}

const KEY_CLAUSE = /key\s+"([^"]+)"\s*\{([^}]*)\}\s*;/g;

/**
 * The keys of a BIND key file, as `tsig-keygen -a hmac-sha256 <name>` writes it:
 *
 *   key "<name>" {
 *           algorithm hmac-sha256;
 *           secret "<base64>";
 *   };
 */
export function parseTsigKeyFile(text: string): TsigKey[] {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)(#|\/\/).*$/gm, '$1');
  const keys: TsigKey[] = [];
  for (const match of withoutComments.matchAll(KEY_CLAUSE)) {
    const [, name = '', body = ''] = match;
    const algorithm = /algorithm\s+"?([A-Za-z0-9.-]+)"?\s*;/.exec(body)?.[1];
    const secret = /secret\s+"([^"]*)"\s*;/.exec(body)?.[1];
    if (algorithm === undefined || secret === undefined) {
      throw invalidArgument(`key "${name}" needs both "algorithm" and "secret"`);
    }
    keys.push(tsigKey(name, algorithm, secret));
  }
  if (keys.length === 0)
    throw invalidArgument('no key "<name>" { algorithm ...; secret "..."; }; clause found');
  return keys;
}

export interface SignOptions {
  /** seconds since the epoch */
  readonly timeSigned: number;
  readonly fudge?: number;
  /** a response's TSIG covers the request's MAC (§4.3.1) */
  readonly requestMac?: Uint8Array;
  /** a server's TSIG error for the request (BADTIME with `otherData` = its time) */
  readonly error?: number;
  readonly otherData?: Uint8Array;
}

export interface SignedMessage {
  /** the message with its TSIG record */
  readonly bytes: Uint8Array;
  /** the MAC, which the response's TSIG covers */
  readonly mac: Uint8Array;
}

function u16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

function u48(value: number): Uint8Array {
  const high = Math.floor(value / 0x1_0000_0000);
  const low = value % 0x1_0000_0000;
  return Uint8Array.of(
    high >>> 8,
    high & 0xff,
    low >>> 24,
    (low >>> 16) & 0xff,
    (low >>> 8) & 0xff,
    low & 0xff,
  );
}

/** The TSIG variables of §4.3.3 for `key` and `tsig`. */
function tsigVariables(keyName: string, tsig: Omit<TsigData, 'kind' | 'mac' | 'originalId'>): Uint8Array[] {
  return [
    canonicalWireName(keyName),
    u16(RRClass.ANY),
    new Uint8Array(4),
    canonicalWireName(tsig.algorithm),
    u48(tsig.timeSigned),
    u16(tsig.fudge),
    u16(tsig.error),
    u16(tsig.otherData.length),
    tsig.otherData,
  ];
}

function hmac(key: TsigKey, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key.secret);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

function requestMacPrefix(requestMac: Uint8Array | undefined): Uint8Array[] {
  return requestMac === undefined ? [] : [u16(requestMac.length), requestMac];
}

/**
 * Signs an encoded message that has no TSIG yet: returns it with the TSIG record appended.
 * Original ID is the message's own ID.
 */
export function signMessage(message: Uint8Array, key: TsigKey, options: SignOptions): SignedMessage {
  if (message.length < 12)
    throw new DnsWireError('truncated', 'a message to sign needs its 12-octet header', 0);
  const fields = {
    algorithm: key.algorithm,
    timeSigned: options.timeSigned,
    fudge: options.fudge ?? DEFAULT_FUDGE_SECONDS,
    error: options.error ?? 0,
    otherData: options.otherData ?? new Uint8Array(0),
  };
  const originalId = ((message[0] as number) << 8) | (message[1] as number);
  const mac = hmac(key, [
    ...requestMacPrefix(options.requestMac),
    message,
    ...tsigVariables(key.name, fields),
  ]);
  const w = new WireWriter();
  w.bytes(message);
  encodeRecord(w, {
    name: key.name,
    type: RRType.TSIG,
    class: RRClass.ANY,
    ttl: 0,
    data: { kind: 'TSIG', ...fields, mac, originalId },
  });
  const arcount = (((message[10] as number) << 8) | (message[11] as number)) + 1;
  w.patchU16(10, arcount, 'ARCOUNT');
  return { bytes: w.finish(), mac };
}

/** Why a TSIG did not verify, as the RFC 8945 error it corresponds to. */
export type TsigFailure =
  /** the message has no TSIG record */
  | { readonly ok: false; readonly code: 'missing'; readonly message: string }
  /** the TSIG is malformed (wrong class/TTL, MAC too short or long): FORMERR */
  | { readonly ok: false; readonly code: 'FORMERR'; readonly message: string }
  /** detected here: the record names another key or algorithm, the MAC differs, the time is off */
  | {
      readonly ok: false;
      readonly code: 'BADKEY' | 'BADSIG' | 'BADTIME' | 'BADTRUNC';
      readonly peer: false;
      readonly message: string;
    }
  /** reported by the peer in its TSIG's Error field */
  | {
      readonly ok: false;
      readonly code: 'peer-error';
      readonly peer: true;
      /** the TSIG error code (16..22) */
      readonly error: number;
      /** BADTIME: the peer's clock, seconds since the epoch */
      readonly peerTime: number | undefined;
      readonly message: string;
    };

export type TsigVerification = { readonly ok: true; readonly tsig: TsigData } | TsigFailure;

export interface VerifyOptions {
  /** the receiver's clock, seconds since the epoch */
  readonly now: number;
  /** for a response: the MAC of the request it answers */
  readonly requestMac?: Uint8Array;
}

/**
 * Verifies the TSIG of `packet` (decoded as `decoded`) with `key`. Pure: the result says what is
 * wrong; nothing is thrown for a bad signature.
 */
export function verifyMessage(
  packet: Uint8Array,
  decoded: DecodedMessage,
  key: TsigKey,
  options: VerifyOptions,
): TsigVerification {
  const record = decoded.additionals.at(-1);
  if (decoded.tsigOffset === undefined || record?.data?.kind !== 'TSIG') {
    return { ok: false, code: 'missing', message: 'the message has no TSIG record' };
  }
  const tsig = record.data;
  if (record.class !== RRClass.ANY || record.ttl !== 0) {
    return { ok: false, code: 'FORMERR', message: 'the TSIG record must have CLASS ANY and TTL 0' };
  }
  if (tsig.error !== 0) {
    const peerTime =
      tsig.error === Rcode.BADTIME && tsig.otherData.length === 6
        ? new WireReader(tsig.otherData).u48('BADTIME server time')
        : undefined;
    return {
      ok: false,
      code: 'peer-error',
      peer: true,
      error: tsig.error,
      peerTime,
      message: `the peer answered with TSIG error ${rcodeName(tsig.error)}`,
    };
  }
  if (!sameName(record.name, key.name)) {
    return {
      ok: false,
      code: 'BADKEY',
      peer: false,
      message: `the TSIG names key ${record.name}, not ${key.name}`,
    };
  }
  if (!sameName(tsig.algorithm, key.algorithm)) {
    return { ok: false, code: 'BADKEY', peer: false, message: `the TSIG uses algorithm ${tsig.algorithm}` };
  }
  if (tsig.mac.length > MAC_OCTETS || tsig.mac.length < MIN_MAC_OCTETS) {
    return { ok: false, code: 'FORMERR', message: `a TSIG MAC of ${tsig.mac.length} octets is malformed` };
  }
  if (tsig.mac.length < MAC_OCTETS) {
    return {
      ok: false,
      code: 'BADTRUNC',
      peer: false,
      message: `the TSIG MAC is truncated to ${tsig.mac.length} octets`,
    };
  }
  // A copy (Buffer#slice would alias the packet): the ID and ARCOUNT are rewritten below.
  const unsigned = new Uint8Array(packet.subarray(0, decoded.tsigOffset));
  unsigned[0] = tsig.originalId >>> 8;
  unsigned[1] = tsig.originalId & 0xff;
  const arcount = (((unsigned[10] as number) << 8) | (unsigned[11] as number)) - 1;
  unsigned[10] = arcount >>> 8;
  unsigned[11] = arcount & 0xff;
  const expected = hmac(key, [
    ...requestMacPrefix(options.requestMac),
    unsigned,
    ...tsigVariables(record.name, tsig),
  ]);
  if (!timingSafeEqual(expected, tsig.mac)) {
    return { ok: false, code: 'BADSIG', peer: false, message: 'the TSIG MAC does not verify' };
  }
  // §5.2.3: checked after the MAC, so that a forged time cannot provoke a signed BADTIME.
  if (Math.abs(options.now - tsig.timeSigned) > tsig.fudge) {
    return {
      ok: false,
      code: 'BADTIME',
      peer: false,
      message: `the TSIG was signed at ${tsig.timeSigned}, more than ${tsig.fudge}s from ${options.now}`,
    };
  }
  return { ok: true, tsig };
}
