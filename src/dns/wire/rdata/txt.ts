/**
 * TXT (RFC 1035 §3.3.14)
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /                   TXT-DATA                    /   one or more <character-string>s
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * A <character-string> is a length octet and that many octets (0..255, RFC 1035 §3.3). Strings
 * are kept as octets; `txtStrings`/`utf8Strings` convert at the edges.
 */
import { RRType } from '../constants.ts';
import { DnsWireError, invalidValue } from '../errors.ts';
import type { RDataCodec } from './codec.ts';

export const MAX_CHARACTER_STRING_OCTETS = 255;

export interface TxtData {
  readonly kind: 'TXT';
  readonly strings: readonly Uint8Array[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** TXT RDATA from text strings, UTF-8 encoded. */
export function txtStrings(strings: readonly string[]): TxtData {
  return { kind: 'TXT', strings: strings.map((s) => encoder.encode(s)) };
}

/** The strings of a TXT RDATA as text (invalid UTF-8 becomes U+FFFD). */
export function utf8Strings(data: TxtData): string[] {
  return data.strings.map((s) => decoder.decode(s));
}

export const txtCodec: RDataCodec<TxtData> = {
  type: RRType.TXT,
  kind: 'TXT',
  encode(w, data) {
    if (data.strings.length === 0) throw invalidValue('TXT RDATA needs at least one string');
    for (const s of data.strings) {
      if (s.length > MAX_CHARACTER_STRING_OCTETS) {
        throw invalidValue(`TXT string of ${s.length} octets is over ${MAX_CHARACTER_STRING_OCTETS}`);
      }
      w.u8(s.length, 'TXT string length');
      w.bytes(s);
    }
  },
  decode(r) {
    if (r.remaining === 0) throw new DnsWireError('bad-rdata', 'TXT RDATA holds no string', r.offset);
    const strings: Uint8Array[] = [];
    while (r.remaining > 0) strings.push(r.bytes(r.u8('TXT string length'), 'TXT string'));
    return { kind: 'TXT', strings };
  },
};
