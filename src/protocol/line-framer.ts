/**
 * Splits a byte stream into lines. It knows no verbs: it yields each line (without its CRLF or LF)
 * or a framing fault, and the connection decides what to do with it. The limit can change between
 * lines (command mode vs. WRITE FLOW's data mode), so it is read at each line start.
 */

export type FramedItem =
  { readonly kind: 'line'; readonly text: string } | { readonly kind: 'fault'; readonly fault: LineFault };

export type LineFault = 'too-long' | 'nul' | 'bare-cr' | 'invalid-utf8';

const LF = 0x0a;
const CR = 0x0d;
// ignoreBOM keeps a leading U+FEFF: the framer hands on each line as sent, it does not edit it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class LineFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an overlong line: drop bytes until the next LF. */
  private discarding = false;
  private readonly limit: () => number;

  /** `limit` returns the maximum octets of the next line, CRLF excluded. */
  constructor(limit: () => number) {
    this.limit = limit;
  }

  /** Feeds bytes; returns the complete items they finish, in order. */
  push(chunk: Buffer): FramedItem[] {
    const items: FramedItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf;
      if (this.discarding) {
        if (lf >= 0) this.discarding = false;
      } else {
        const piece = chunk.subarray(start, end);
        // +1 leaves room for a CR that belongs to the CRLF.
        if (this.pendingBytes + piece.length > this.limit() + 1) {
          this.reset();
          items.push({ kind: 'fault', fault: 'too-long' });
          this.discarding = lf < 0;
        } else if (lf < 0) {
          this.pending.push(Buffer.from(piece)); // copy: the socket may reuse its buffer
          this.pendingBytes += piece.length;
        } else {
          const line = this.pendingBytes === 0 ? piece : Buffer.concat([...this.pending, piece]);
          this.reset();
          items.push(this.decode(line));
        }
      }
      if (lf < 0) break;
      start = lf + 1;
    }
    return items;
  }

  /** Drops whatever partial line is buffered (after STARTTLS, bytes sent early are never executed). */
  discard(): void {
    this.reset();
    this.discarding = false;
  }

  /** Octets held for an unfinished line. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private decode(raw: Buffer): FramedItem {
    const line = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (line.length > this.limit()) return { kind: 'fault', fault: 'too-long' };
    if (line.includes(0)) return { kind: 'fault', fault: 'nul' };
    if (line.includes(CR)) return { kind: 'fault', fault: 'bare-cr' };
    try {
      return { kind: 'line', text: decoder.decode(line) };
    } catch {
      return { kind: 'fault', fault: 'invalid-utf8' };
    }
  }
}
