/**
 * A bounded pool of open segment files shared by every queue of a broker, so that thousands of
 * idle queues hold no file descriptors. Files are opened on demand ('r+': read and write, never
 * created, so a segment removed by retention is not brought back) and the least recently used idle
 * ones are closed past the limit. A file in use is never closed under its user: the pool may go
 * over the limit for as long as every open file is in use.
 */
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface PooledFile {
  readonly handle: FileHandle;
  readonly path: string;
}

interface Entry extends PooledFile {
  users: number;
  /** Removed from the pool while in use: closed when the last user releases it. */
  forgotten: boolean;
}

interface Opening {
  readonly promise: Promise<Entry>;
  /** Callers waiting for this open; they all become users at once. */
  waiting: number;
  /** forget() was called while the file was being opened. */
  forgotten: boolean;
}

export class FilePool {
  readonly #maxOpen: number;
  // Insertion order is recency: an acquired entry moves to the end.
  readonly #open = new Map<string, Entry>();
  readonly #opening = new Map<string, Opening>();
  #closed = false;

  constructor(maxOpen: number) {
    this.#maxOpen = maxOpen;
  }

  /** Files open now (in use or idle). */
  get size(): number {
    return this.#open.size;
  }

  async acquire(path: string): Promise<PooledFile> {
    if (this.#closed) throw new Error('the file pool is closed');
    const entry = this.#open.get(path);
    if (entry !== undefined) {
      entry.users += 1;
      this.#open.delete(path);
      this.#open.set(path, entry);
      return entry;
    }
    let opening = this.#opening.get(path);
    if (opening === undefined) {
      const promise = fs.open(path, 'r+').then(
        (handle) => {
          const state = this.#opening.get(path);
          this.#opening.delete(path);
          const opened: Entry = {
            handle,
            path,
            users: state?.waiting ?? 1,
            forgotten: state?.forgotten ?? false,
          };
          if (!opened.forgotten) {
            this.#open.set(path, opened);
            this.#evict();
          }
          return opened;
        },
        (error: unknown) => {
          this.#opening.delete(path);
          throw error;
        },
      );
      opening = { promise, waiting: 0, forgotten: false };
      this.#opening.set(path, opening);
    }
    opening.waiting += 1;
    return opening.promise;
  }

  release(file: PooledFile): void {
    const entry = file as Entry;
    entry.users -= 1;
    if (entry.users > 0) return;
    if (entry.forgotten) void closeQuietly(entry.handle);
    else this.#evict();
  }

  /** Closes a file about to be deleted (at once if idle, else when released). */
  forget(path: string): void {
    const opening = this.#opening.get(path);
    if (opening !== undefined) opening.forgotten = true;
    const entry = this.#open.get(path);
    if (entry === undefined) return;
    this.#open.delete(path);
    entry.forgotten = true;
    if (entry.users === 0) void closeQuietly(entry.handle);
  }

  /** Closes every file, in use or not, and refuses further opens; for shutdown. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#opening.values()].map((opening) => opening.promise.catch(() => undefined));
    await Promise.all(pending);
    const entries = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(entries.map((entry) => closeQuietly(entry.handle)));
  }

  #evict(): void {
    if (this.#open.size <= this.#maxOpen) return;
    for (const [path, entry] of this.#open) {
      if (this.#open.size <= this.#maxOpen) break;
      if (entry.users > 0) continue;
      this.#open.delete(path);
      void closeQuietly(entry.handle);
    }
  }
}

async function closeQuietly(handle: FileHandle): Promise<void> {
  try {
    await handle.close();
  } catch {
    // Already closed, or the close failed: nothing is left to release either way.
  }
}
