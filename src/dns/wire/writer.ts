/**
 * A growing output buffer for one DNS message. It remembers where each name suffix was written
 * (RFC 1035 §4.1.4) so that later names may point back to it; callers decide per name whether
 * compression is allowed (RFC 3597 §4: only for the types of RFC 1035, never inside SRV, RRSIG or
 * TSIG RDATA).
 */
import { invalidValue } from './errors.ts';

/** Pointers carry 14 bits of offset. */
const MAX_POINTER_OFFSET = 0x3fff;

export class WireWriter {
  #buf = new Uint8Array(512);
  #length = 0;
  /** Suffix in presentation form, exactly as written (so decoding gives back the same octets) -> offset. */
  readonly #suffixes = new Map<string, number>();

  get length(): number {
    return this.#length;
  }

  #reserve(count: number): number {
    const at = this.#length;
    if (at + count > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, at + count));
      next.set(this.#buf.subarray(0, at));
      this.#buf = next;
    }
    this.#length += count;
    return at;
  }

  u8(value: number, what: string): void {
    checkUint(value, 0xff, what);
    const at = this.#reserve(1);
    this.#buf[at] = value;
  }

  u16(value: number, what: string): void {
    checkUint(value, 0xffff, what);
    const at = this.#reserve(2);
    this.#buf[at] = value >>> 8;
    this.#buf[at + 1] = value & 0xff;
  }

  u32(value: number, what: string): void {
    checkUint(value, 0xffff_ffff, what);
    this.u16(Math.floor(value / 0x10000), what);
    this.u16(value % 0x10000, what);
  }

  u48(value: number, what: string): void {
    checkUint(value, 0xffff_ffff_ffff, what);
    this.u16(Math.floor(value / 0x1_0000_0000), what);
    this.u32(value % 0x1_0000_0000, what);
  }

  bytes(data: Uint8Array): void {
    const at = this.#reserve(data.length);
    this.#buf.set(data, at);
  }

  /** Overwrites two octets written earlier (RDLENGTH, section counts). */
  patchU16(at: number, value: number, what: string): void {
    checkUint(value, 0xffff, what);
    this.#buf[at] = value >>> 8;
    this.#buf[at + 1] = value & 0xff;
  }

  /** Where an earlier name ending in `suffix` (presentation form) was written. */
  pointerTo(suffix: string): number | undefined {
    return this.#suffixes.get(suffix);
  }

  /** Records that `suffix` starts at `offset`, if a pointer can reach it. */
  rememberSuffix(suffix: string, offset: number): void {
    if (offset <= MAX_POINTER_OFFSET && !this.#suffixes.has(suffix)) this.#suffixes.set(suffix, offset);
  }

  /** The message so far, as its own copy. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}

export function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw invalidValue(`${what} must be an integer from 0 to ${max}, not ${value}`);
  }
}
