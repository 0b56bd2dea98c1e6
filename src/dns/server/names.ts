/**
 * Owner names as the server keys them: the codec's text form (wire/name.ts) with ASCII letters
 * lower-cased (RFC 4343), so that `Orders.Flows.Orange.TEST` and `orders.flows.orange.test` are
 * one node. Escaped dots (`a\.b`) stay inside their label: every test here is per label, never a
 * plain string suffix.
 */
import { formatName, parseName } from '../wire/name.ts';

const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The key of a name in text form. Throws DnsWireError('invalid-value') for text that is no name. */
export function nameKey(text: string): string {
  return asciiLower(formatName(parseName(text)));
}

/** Index of the first dot that separates labels (not escaped), or -1. */
function firstSeparator(key: string): number {
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c === '\\') i += /[0-9]/.test(key[i + 1] ?? '') ? 3 : 1;
    else if (c === '.') return i;
  }
  return -1;
}

/** The parent of a key (`a.b.c` -> `b.c`, `c` -> root ''), or undefined for the root. */
export function parentKey(key: string): string | undefined {
  if (key === '') return undefined;
  const dot = firstSeparator(key);
  return dot < 0 ? '' : key.slice(dot + 1);
}

/** True when `name` equals `ancestor` or lies below it (both keys). */
export function isAtOrBelow(name: string, ancestor: string): boolean {
  for (let at: string | undefined = name; at !== undefined; at = parentKey(at)) {
    if (at === ancestor) return true;
    if (at.length < ancestor.length) return false;
  }
  return false;
}

/** The key of `label.parent`. */
export function childKey(label: string, parent: string): string {
  return parent === '' ? label : `${label}.${parent}`;
}
