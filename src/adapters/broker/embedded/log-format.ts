/**
 * On-disk layout of the embedded broker's queue logs. A queue's log is a series of segment files;
 * each holds records, and each record holds one whole append batch, so a batch is stored entirely
 * or (after a torn write is cut off at open) not at all.
 *
 * Record header, 40 bytes, big-endian:
 *
 *     0  u32  magic "ESNL"
 *     4  u16  format version
 *     6  u16  flags (0, reserved)
 *     8  u32  payload length in bytes
 *    12  u32  CRC-32 (zlib) of the payload
 *    16  u64  base position: the position of the record's first event
 *    24  u32  event count (at least 1)
 *    28  u32  reserved (0)
 *    32  u64  append time, milliseconds since the epoch (drives retention)
 *
 * Payload: `count` events, each a u32 byte length followed by the event's UTF-8 JSON text.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** "ESNL": the first four bytes of every record. */
export const RECORD_MAGIC = 0x45_53_4e_4c;
/** Version of the layout above; records of any other version are treated as damaged. */
export const RECORD_FORMAT_VERSION = 1;
export const RECORD_HEADER_BYTES = 40;
/** Each event in a payload is preceded by its length in this many bytes. */
export const EVENT_LENGTH_BYTES = 4;
/** Segment files are named by their base position, zero-padded so that names sort by position. */
export const SEGMENT_SUFFIX = '.seg';
const SEGMENT_NAME = /^(\d{20})\.seg$/;

export interface RecordHeader {
  readonly payloadLength: number;
  readonly crc: number;
  readonly base: number;
  readonly count: number;
  readonly appendedAt: number;
}

export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/** The base position a segment file name stands for, or undefined for any other file. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match?.[1] === undefined) return undefined;
  const base = Number(match[1]);
  return Number.isSafeInteger(base) ? base : undefined;
}

/** Payload bytes a batch takes, so callers can check limits before encoding. */
export function payloadBytes(events: readonly string[]): number {
  let total = 0;
  for (const event of events) total += EVENT_LENGTH_BYTES + Buffer.byteLength(event, 'utf8');
  return total;
}

/** One record (header and payload) in a single buffer, ready for one write. */
export function encodeRecord(events: readonly string[], base: number, appendedAt: number): Buffer {
  const length = payloadBytes(events);
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
  let offset = RECORD_HEADER_BYTES;
  for (const event of events) {
    const bytes = record.write(event, offset + EVENT_LENGTH_BYTES, 'utf8');
    record.writeUInt32BE(bytes, offset);
    offset += EVENT_LENGTH_BYTES + bytes;
  }
  record.writeUInt32BE(RECORD_MAGIC, 0);
  record.writeUInt16BE(RECORD_FORMAT_VERSION, 4);
  record.writeUInt16BE(0, 6);
  record.writeUInt32BE(length, 8);
  record.writeUInt32BE(crc32(record.subarray(RECORD_HEADER_BYTES)), 12);
  record.writeBigUInt64BE(BigInt(base), 16);
  record.writeUInt32BE(events.length, 24);
  record.writeUInt32BE(0, 28);
  record.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(appendedAt))), 32);
  return record;
}

/** Decodes a header, or returns why it is not one (bad magic, unknown version...). */
export function decodeHeader(header: Buffer, maxPayloadBytes: number): RecordHeader | string {
  if (header.length < RECORD_HEADER_BYTES) return 'short header';
  if (header.readUInt32BE(0) !== RECORD_MAGIC) return 'bad magic';
  const version = header.readUInt16BE(4);
  if (version !== RECORD_FORMAT_VERSION) return `unknown format version ${version}`;
  const payloadLength = header.readUInt32BE(8);
  if (payloadLength > maxPayloadBytes) return `payload length ${payloadLength} over the limit`;
  const count = header.readUInt32BE(24);
  if (count === 0 || count * EVENT_LENGTH_BYTES > payloadLength) return `bad event count ${count}`;
  const base = Number(header.readBigUInt64BE(16));
  if (!Number.isSafeInteger(base)) return 'bad base position';
  return {
    payloadLength,
    crc: header.readUInt32BE(12),
    base,
    count,
    appendedAt: Number(header.readBigUInt64BE(32)),
  };
}

/** True when the payload is exactly `count` length-prefixed events. */
export function payloadIsWellFormed(payload: Buffer, count: number): boolean {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + EVENT_LENGTH_BYTES > payload.length) return false;
    offset += EVENT_LENGTH_BYTES + payload.readUInt32BE(offset);
  }
  return offset === payload.length;
}

/**
 * Sequential reads of one file region through a bounded buffer, so that neither scanning nor
 * reading needs the whole file in memory. A buffer returned by `take` is valid until the next call.
 */
export class FileRegionReader {
  readonly #handle: FileHandle;
  readonly #end: number;
  readonly #chunkBytes: number;
  #buffer: Buffer | undefined;
  // File offset of #buffer[0], and how many bytes of #buffer hold file data.
  #bufferStart = 0;
  #bufferLength = 0;
  #position: number;

  constructor(handle: FileHandle, start: number, end: number, chunkBytes: number) {
    this.#handle = handle;
    this.#position = start;
    this.#end = end;
    this.#chunkBytes = Math.max(1, Math.min(chunkBytes, end - start));
  }

  /** File offset of the next byte `take` returns. */
  get position(): number {
    return this.#position;
  }

  /** Exactly `n` bytes, or undefined when the region (or the file) ends first. */
  async take(n: number): Promise<Buffer | undefined> {
    if (this.#position + n > this.#end) return undefined;
    const inBuffer = this.#position - this.#bufferStart;
    if (inBuffer >= 0 && inBuffer + n <= this.#bufferLength && this.#buffer !== undefined) {
      this.#position += n;
      return this.#buffer.subarray(inBuffer, inBuffer + n);
    }
    const buffered =
      this.#buffer !== undefined && inBuffer >= 0 && inBuffer < this.#bufferLength
        ? this.#buffer.subarray(inBuffer, this.#bufferLength)
        : undefined;
    const have = buffered?.length ?? 0;
    if (n > this.#chunkBytes) {
      // Larger than a chunk: its own buffer, read straight from the file.
      const out = Buffer.allocUnsafe(n);
      buffered?.copy(out, 0);
      if ((await this.#readFully(out, have, n - have, this.#position + have)) < n - have) return undefined;
      this.#position += n;
      this.#bufferLength = 0;
      return out;
    }
    this.#buffer ??= Buffer.allocUnsafe(this.#chunkBytes);
    buffered?.copy(this.#buffer, 0);
    const want = Math.min(this.#chunkBytes, this.#end - this.#position) - have;
    const got = await this.#readFully(this.#buffer, have, want, this.#position + have);
    this.#bufferStart = this.#position;
    this.#bufferLength = have + got;
    if (this.#bufferLength < n) return undefined;
    this.#position += n;
    return this.#buffer.subarray(0, n);
  }

  /** Moves past `n` bytes without reading them; false when the region ends first. */
  skip(n: number): boolean {
    if (this.#position + n > this.#end) return false;
    this.#position += n;
    return true;
  }

  async #readFully(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buffer, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }
}

export interface ScannedRecord {
  readonly base: number;
  readonly count: number;
  readonly offset: number;
  readonly length: number;
  readonly appendedAt: number;
}

export interface ScanResult {
  /** Bytes from the start of the file that hold whole, valid records. */
  readonly validBytes: number;
  /** Why the scan stopped before the end of the file; undefined when the whole file is valid. */
  readonly problem: string | undefined;
}

/**
 * Checks every record of a segment from its start (magic, version, length, CRC, contiguous
 * positions from `base`) and reports each valid one; stops at the first damaged record.
 */
export async function scanSegment(
  handle: FileHandle,
  fileSize: number,
  base: number,
  options: { readonly maxPayloadBytes: number; readonly chunkBytes: number },
  onRecord: (record: ScannedRecord) => void,
): Promise<ScanResult> {
  const reader = new FileRegionReader(handle, 0, fileSize, options.chunkBytes);
  let expected = base;
  let offset = 0;
  while (offset < fileSize) {
    const headerBytes = await reader.take(RECORD_HEADER_BYTES);
    if (headerBytes === undefined) return { validBytes: offset, problem: 'short header' };
    const header = decodeHeader(headerBytes, options.maxPayloadBytes);
    if (typeof header === 'string') return { validBytes: offset, problem: header };
    if (header.base !== expected) {
      return { validBytes: offset, problem: `base position ${header.base} where ${expected} was expected` };
    }
    const payload = await reader.take(header.payloadLength);
    if (payload === undefined) return { validBytes: offset, problem: 'short payload' };
    if (crc32(payload) !== header.crc) return { validBytes: offset, problem: 'bad CRC' };
    if (!payloadIsWellFormed(payload, header.count)) {
      return { validBytes: offset, problem: 'event lengths do not match the payload' };
    }
    const length = RECORD_HEADER_BYTES + header.payloadLength;
    onRecord({ base: header.base, count: header.count, offset, length, appendedAt: header.appendedAt });
    offset += length;
    expected += header.count;
  }
  return { validBytes: offset, problem: undefined };
}
