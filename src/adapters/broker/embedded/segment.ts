/**
 * The in-memory index of one segment file: for each record its base position and file offset, in
 * two growable typed arrays (16 bytes a record) rather than an object per record. A record's event
 * count and byte length follow from the next record (or from the segment's end).
 */

/** Records an empty index has room for: small, so that thousands of idle queues stay cheap. */
const INITIAL_CAPACITY = 8;

export class Segment {
  /** Position of the segment's first event (also its file name). */
  readonly base: number;
  readonly path: string;
  /** Bytes of whole records; appends go here. */
  size = 0;
  /** Records indexed. */
  records = 0;
  /** Position after the segment's last event. */
  end: number;
  /** Append times (ms) of the first and last record; 0 while the segment is empty. */
  firstAppendedAt = 0;
  lastAppendedAt = 0;
  #bases: Float64Array = new Float64Array(INITIAL_CAPACITY);
  #offsets: Float64Array = new Float64Array(INITIAL_CAPACITY);

  constructor(base: number, path: string) {
    this.base = base;
    this.path = path;
    this.end = base;
  }

  /** Indexes a record written at the current end of the segment. */
  add(count: number, length: number, appendedAt: number): void {
    if (this.records === this.#bases.length) {
      const bases = new Float64Array(this.#bases.length * 2);
      const offsets = new Float64Array(this.#offsets.length * 2);
      bases.set(this.#bases);
      offsets.set(this.#offsets);
      this.#bases = bases;
      this.#offsets = offsets;
    }
    this.#bases[this.records] = this.end;
    this.#offsets[this.records] = this.size;
    if (this.records === 0) this.firstAppendedAt = appendedAt;
    this.lastAppendedAt = appendedAt;
    this.records += 1;
    this.size += length;
    this.end += count;
  }

  baseAt(index: number): number {
    return this.#bases[index] ?? this.end;
  }

  offsetAt(index: number): number {
    return this.#offsets[index] ?? this.size;
  }

  /** Index of the record holding `position` (the last record whose base is at most it), or -1. */
  find(position: number): number {
    let low = 0;
    let high = this.records - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.baseAt(middle) <= position) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }
}

/** Index of the segment holding `position` (the last whose base is at most it), or -1. */
export function findSegment(segments: readonly Segment[], position: number): number {
  let low = 0;
  let high = segments.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const segment = segments[middle];
    if (segment !== undefined && segment.base <= position) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
