/**
 * A bounded cursor over a DNS packet. Every read checks the bound first and raises
 * DnsWireError('truncated') instead of reading past it; `limit` narrows the bound to one RDATA so
 * that a record cannot read into the next. `packet` stays the whole message, for compression
 * pointers, which may point anywhere earlier in it.
 */
import { DnsWireError } from './errors.ts';

export class WireReader {
  readonly packet: Uint8Array;
  #offset: number;
  #end: number;

  constructor(packet: Uint8Array, offset = 0, end = packet.length) {
    this.packet = packet;
    this.#offset = offset;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  get end(): number {
    return this.#end;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  /** Fails unless `count` more octets are inside the bound. */
  need(count: number, what: string): void {
    if (count > this.#end - this.#offset) {
      throw new DnsWireError(
        'truncated',
        `${what} needs ${count} octets, ${this.remaining} left`,
        this.#offset,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.packet[this.#offset++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const p = this.packet;
    const o = this.#offset;
    this.#offset += 2;
    return ((p[o] as number) << 8) | (p[o + 1] as number);
  }

  u32(what: string): number {
    this.need(4, what);
    return this.u16(what) * 0x10000 + this.u16(what);
  }

  /** RFC 8945 "Time Signed": 48 bits, exact in a double. */
  u48(what: string): number {
    this.need(6, what);
    return this.u16(what) * 0x1_0000_0000 + this.u32(what);
  }

  /** A copy, so that decoded values do not pin or alias the packet. */
  bytes(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = new Uint8Array(this.packet.subarray(this.#offset, this.#offset + count));
    this.#offset += count;
    return out;
  }

  /** Moves forward; used after a name read through its own walker. */
  skipTo(offset: number): void {
    if (offset < this.#offset || offset > this.#end) {
      throw new DnsWireError('truncated', 'field runs past its bound', this.#offset);
    }
    this.#offset = offset;
  }

  /** A reader over the next `count` octets (one RDATA); this reader moves past them. */
  limit(count: number, what: string): WireReader {
    this.need(count, what);
    const sub = new WireReader(this.packet, this.#offset, this.#offset + count);
    this.#offset += count;
    return sub;
  }
}
