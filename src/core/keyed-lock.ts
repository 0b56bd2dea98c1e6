/**
 * Runs async work one at a time per key (a flow or namespace name), so that two commands on the
 * same name inside one agent cannot interleave their steps (queue, DNS, registry).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // The last one out removes the entry, so the map holds only names in use.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const locks = new WeakMap<object, KeyedLock>();

/** The lock of one set of dependencies (one agent); tests with their own deps share nothing. */
export function lockFor(owner: object): KeyedLock {
  let lock = locks.get(owner);
  if (!lock) {
    lock = new KeyedLock();
    locks.set(owner, lock);
  }
  return lock;
}
