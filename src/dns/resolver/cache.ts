/**
 * A bounded cache whose entries expire at a time set when they are stored: what the stub resolver
 * keeps its answers in. Least recently used entries go first when it is full (a Map keeps
 * insertion order; a hit re-inserts its entry). The clock is injected, so tests move time.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`cache size must be a positive integer, not ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** The live entry at `key` and the time it expires (ms), or undefined (an expired one is dropped). */
  get(key: string): { readonly value: V; readonly expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Stores `value` for `ttlMs` milliseconds from now; a TTL of zero or less stores nothing. */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Entries held, expired ones included until they are next looked up. */
  get size(): number {
    return this.#entries.size;
  }
}
