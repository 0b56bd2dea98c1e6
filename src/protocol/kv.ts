/**
 * `key=value` pairs as FNAP carries them in commands and reply bodies: values are percent-encoded
 * where they hold `%`, spaces, control characters or non-ASCII (as %XX of
 * their UTF-8 octets), so that one pair never spans a space or a line.
 */
import { invalidArgument } from '../core/errors.ts';

// Control characters are exactly what must be matched here.
// eslint-disable-next-line no-control-regex
const NEEDS_ENCODING = /[%\s\u0000-\u001f\u007f-\u{10ffff}]/u;

export function encodeValue(value: string): string {
  if (!NEEDS_ENCODING.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '%' || cp <= 0x20 || cp >= 0x7f) {
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

export function decodeValue(encoded: string, key: string): string {
  if (!encoded.includes('%')) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw invalidArgument(`value of ${key} has a bad percent-encoding`);
  }
}

export function formatPair(key: string, value: string | number | boolean): string {
  return `${key}=${encodeValue(String(value))}`;
}

/**
 * Parses `key=value` arguments. Keys are case-insensitive (returned lower case); each key may appear
 * once; keys outside `allowed` are refused with a message naming them.
 */
export function parsePairs(args: readonly string[], allowed: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw invalidArgument(`expected key=value, got "${arg}"`);
    const key = arg.slice(0, eq).toLowerCase();
    if (!allowed.includes(key)) {
      throw invalidArgument(`unknown option "${key}" (allowed: ${allowed.join(', ')})`);
    }
    if (pairs.has(key)) throw invalidArgument(`option "${key}" given twice`);
    pairs.set(key, decodeValue(arg.slice(eq + 1), key));
  }
  return pairs;
}

/** Parses a reply body of `key=value` lines into a record (the client side of encodeValue). */
export function parseBody(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq)] = decodeValue(line.slice(eq + 1), line.slice(0, eq));
  }
  return out;
}
