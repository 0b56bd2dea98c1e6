/**
 * The one error the DNS wire codec raises. Decoding never reads outside the packet: every
 * malformed input ends here with a code saying what was wrong and the offset where it was found.
 * Encoding raises it too, for values the wire format cannot carry (a label over 63 octets, a TXT
 * string over 255, a port over 65535).
 */
export type DnsWireErrorCode =
  /** The packet ends before a field it announces. */
  | 'truncated'
  /** A label type other than 0b00 (length) or 0b11 (pointer), an empty or over-long label. */
  | 'bad-label'
  /** A compression pointer that does not point strictly backwards inside the packet. */
  | 'bad-pointer'
  /** A name over 255 octets in wire form. */
  | 'name-too-long'
  /** RDATA whose length disagrees with its content, or content its type forbids. */
  | 'bad-rdata'
  /** Octets after the last record the header announces. */
  | 'trailing-data'
  /** A record where the message layout forbids it (OPT outside the additional section, TSIG not last). */
  | 'bad-layout'
  /** A value the wire format cannot carry (encoding), or text that is not a valid name or address. */
  | 'invalid-value';

export class DnsWireError extends Error {
  readonly code: DnsWireErrorCode;
  /** Offset in the packet (decoding) or -1 (encoding). */
  readonly offset: number;

  constructor(code: DnsWireErrorCode, message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at octet ${offset})` : message);
    this.name = 'DnsWireError';
    this.code = code;
    this.offset = offset;
  }
}

export const invalidValue = (message: string): DnsWireError => new DnsWireError('invalid-value', message);
