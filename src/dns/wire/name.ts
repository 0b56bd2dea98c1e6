/**
 * Domain names (RFC 1035 §3.1, §4.1.4, §5.1).
 *
 *   wire:   a sequence of labels, each a length octet (1..63) and that many octets, ended by the
 *           zero-length root label, 255 octets at most in all; or ended early by a pointer:
 *
 *             +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *             | 1  1|                OFFSET                   |
 *             +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 *   text:   labels joined by "." without the trailing dot ('' is the root). Inside a label
 *           "\." and "\\" stand for a literal dot and backslash and "\DDD" for any octet; octets
 *           outside printable ASCII are always written as "\DDD".
 *
 * Decoding follows pointers only strictly backwards from the start of the piece being read, so a
 * pointer loop is an error rather than an endless walk.
 */
import { DnsWireError, invalidValue } from './errors.ts';
import type { WireReader } from './reader.ts';
import type { WireWriter } from './writer.ts';

export const MAX_LABEL_OCTETS = 63;
/** Wire length including every length octet and the root label. */
export const MAX_NAME_WIRE_OCTETS = 255;

const DOT = 0x2e;
const BACKSLASH = 0x5c;

/** The labels of a name in text form (root: none). Throws DnsWireError('invalid-value'). */
export function parseName(text: string): Uint8Array[] {
  if (text === '' || text === '.') return [];
  const labels: Uint8Array[] = [];
  let label: number[] = [];
  const end = text.length;
  let closed = false;
  const close = (): void => {
    if (label.length === 0) throw invalidValue(`name "${text}" has an empty label`);
    if (label.length > MAX_LABEL_OCTETS) {
      throw invalidValue(`name "${text}" has a label of ${label.length} octets, over ${MAX_LABEL_OCTETS}`);
    }
    labels.push(Uint8Array.from(label));
    label = [];
  };
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      close();
      // A dot that ends the text is the root's (an absolute name), not a separator.
      closed = i === end - 1;
    } else if (c === BACKSLASH) {
      const next = text.charCodeAt(i + 1);
      if (i + 1 >= end) throw invalidValue(`name "${text}" ends with a lone backslash`);
      if (isDigit(next)) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255 || i + 4 > end) {
          throw invalidValue(`name "${text}" has a bad \\DDD escape`);
        }
        label.push(Number(digits));
        i += 3;
      } else {
        if (next < 0x21 || next > 0x7e)
          throw invalidValue(`name "${text}" escapes a non-printable character`);
        label.push(next);
        i += 1;
      }
    } else {
      if (c < 0x21 || c > 0x7e) {
        throw invalidValue(`name "${text}" has a character outside printable ASCII (use \\DDD)`);
      }
      label.push(c);
    }
  }
  if (!closed) close();
  const wire = labels.reduce((sum, l) => sum + 1 + l.length, 1);
  if (wire > MAX_NAME_WIRE_OCTETS) {
    throw invalidValue(
      `name "${text.slice(0, 40)}..." is ${wire} octets in wire form, over ${MAX_NAME_WIRE_OCTETS}`,
    );
  }
  return labels;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function formatLabel(label: Uint8Array): string {
  let out = '';
  for (const octet of label) {
    if (octet === DOT || octet === BACKSLASH) out += `\\${String.fromCharCode(octet)}`;
    else if (octet >= 0x21 && octet <= 0x7e) out += String.fromCharCode(octet);
    else out += `\\${String(octet).padStart(3, '0')}`;
  }
  return out;
}

export function formatName(labels: readonly Uint8Array[]): string {
  return labels.map(formatLabel).join('.');
}

/** The same name in the form parseName/formatName agree on ('A.b.' -> 'A.b'). */
export function normalizeName(text: string): string {
  return formatName(parseName(text));
}

/** ASCII case-insensitive equality of two names in text form (RFC 4343). */
export function sameName(a: string, b: string): boolean {
  return asciiLower(normalizeName(a)) === asciiLower(normalizeName(b));
}

const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The uncompressed wire form with ASCII letters lower-cased: RFC 4034 §6.2 canonical form, which
 * TSIG digests use for the key and algorithm names (RFC 8945 §4.3.3).
 */
export function canonicalWireName(text: string): Uint8Array {
  const labels = parseName(text);
  const out = new Uint8Array(labels.reduce((sum, l) => sum + 1 + l.length, 1));
  let at = 0;
  for (const label of labels) {
    out[at++] = label.length;
    for (const octet of label) out[at++] = octet >= 0x41 && octet <= 0x5a ? octet + 0x20 : octet;
  }
  out[at] = 0;
  return out;
}

/**
 * Writes `name`; with `compress`, ends it with a pointer to the longest suffix written before.
 * Every suffix written becomes a pointer target for later names either way.
 */
export function writeName(w: WireWriter, name: string, compress: boolean): void {
  const labels = parseName(name);
  for (let i = 0; i < labels.length; i++) {
    const suffix = formatName(labels.slice(i));
    const earlier = compress ? w.pointerTo(suffix) : undefined;
    if (earlier !== undefined) {
      w.u16(0xc000 | earlier, 'compression pointer');
      return;
    }
    w.rememberSuffix(suffix, w.length);
    const label = labels[i] as Uint8Array;
    w.u8(label.length, 'label length');
    w.bytes(label);
  }
  w.u8(0, 'root label');
}

/** Reads a name at the reader's offset, following pointers; the reader moves past it. */
export function readName(r: WireReader): string {
  const packet = r.packet;
  const labels: Uint8Array[] = [];
  let wireLength = 1;
  let at = r.offset;
  /** Reads before the first pointer stay inside the reader's bound; after it, inside the packet. */
  let bound = r.end;
  /** Start of the piece being read: the name itself, then each pointer's target. */
  let pieceStart = at;
  let resumeAt: number | undefined;
  for (;;) {
    if (at >= bound) throw new DnsWireError('truncated', 'name runs past the end', at);
    const length = packet[at] as number;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= bound) throw new DnsWireError('truncated', 'compression pointer cut short', at);
      const target = ((length & 0x3f) << 8) | (packet[at + 1] as number);
      if (target >= pieceStart) {
        throw new DnsWireError(
          'bad-pointer',
          `compression pointer to ${target} does not point backwards`,
          at,
        );
      }
      resumeAt ??= at + 2;
      at = target;
      pieceStart = target;
      bound = packet.length;
      continue;
    }
    if (kind !== 0)
      throw new DnsWireError('bad-label', `label type 0x${kind.toString(16)} is not supported`, at);
    if (length === 0) {
      at += 1;
      break;
    }
    wireLength += 1 + length;
    if (wireLength > MAX_NAME_WIRE_OCTETS) {
      throw new DnsWireError('name-too-long', `name over ${MAX_NAME_WIRE_OCTETS} octets`, at);
    }
    if (at + 1 + length > bound) throw new DnsWireError('truncated', 'label runs past the end', at);
    labels.push(packet.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  r.skipTo(resumeAt ?? at);
  return formatName(labels);
}
