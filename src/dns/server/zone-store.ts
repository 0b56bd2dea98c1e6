/**
 * The zones the server holds and who may change them. Queries read each zone's committed
 * snapshot; updates of one zone run one at a time, in arrival order, each on the snapshot the
 * previous one committed. An update that changed the zone is written to the state file first and
 * committed only once that write succeeded, so memory and disk never disagree and a failed write
 * changes nothing (SERVFAIL). Writes of the state file are serialised across zones, and each
 * write takes every zone's contents at the moment it runs.
 */
import { invalidArgument } from '../../core/errors.ts';
import type { TsigKey } from '../tsig.ts';
import { Rcode } from '../wire/constants.ts';
import { nameKey, parentKey } from './names.ts';
import type { ZoneConfig } from './options.ts';
import { saveState } from './state-file.ts';
import type { UpdateResult } from './update-rules.ts';
import type { ZoneSnapshot } from './zone.ts';
import { newZone } from './zone.ts';

interface HeldZone {
  snapshot: ZoneSnapshot;
  /** the last update queued (never rejects) */
  queue: Promise<void>;
  pending: number;
}

interface KnownKey {
  readonly key: TsigKey;
  /** the zones (origin keys) this key may update */
  readonly zones: Set<string>;
}

export interface StoreOptions {
  readonly stateFile: string | undefined;
  readonly maxPendingUpdatesPerZone: number;
}

export class ZoneStore {
  readonly #zones = new Map<string, HeldZone>();
  readonly #keys = new Map<string, KnownKey>();
  /** contents read from the state file, zones held or not (those not held are kept on disk) */
  #stored = new Map<string, ZoneSnapshot>();
  readonly #options: StoreOptions;
  #writes: Promise<void> = Promise.resolve();

  constructor(options: StoreOptions) {
    this.#options = options;
  }

  /** Holds a zone: its stored contents if the state file has them, else a new SOA and NS. */
  addZone(config: ZoneConfig): void {
    if (this.#zones.has(config.origin))
      throw invalidArgument(`the DNS server already holds the zone ${config.origin}`);
    for (const key of config.keys) {
      const known = this.#keys.get(nameKey(key.name));
      if (known && Buffer.compare(Buffer.from(known.key.secret), Buffer.from(key.secret)) !== 0) {
        throw invalidArgument(`TSIG key ${key.name} is already configured with another secret`);
      }
    }
    for (const key of config.keys) {
      const name = nameKey(key.name);
      const known = this.#keys.get(name) ?? { key, zones: new Set<string>() };
      known.zones.add(config.origin);
      this.#keys.set(name, known);
    }
    const snapshot = this.#stored.get(config.origin) ?? newZone(config.origin, config.defaults);
    this.#zones.set(config.origin, { snapshot, queue: Promise.resolve(), pending: 0 });
  }

  /** Replaces held zones' contents by those of the state file (at start, before serving). */
  load(stored: Map<string, ZoneSnapshot>): void {
    this.#stored = stored;
    for (const [origin, held] of this.#zones) {
      const snapshot = stored.get(origin);
      if (snapshot) held.snapshot = snapshot;
    }
  }

  /** The committed snapshot of a zone held here (by origin key). */
  zone(origin: string): ZoneSnapshot | undefined {
    return this.#zones.get(origin)?.snapshot;
  }

  /** The most specific zone held here that contains `name` (a key). */
  zoneFor = (name: string): ZoneSnapshot | undefined => {
    for (let at: string | undefined = name; at !== undefined; at = parentKey(at)) {
      const held = this.#zones.get(at);
      if (held) return held.snapshot;
    }
    return undefined;
  };

  /** The origin of zoneFor (what RFC 2136 calls zone_of). */
  zoneOf = (name: string): string | undefined => this.zoneFor(name)?.origin;

  keyNamed = (name: string): TsigKey | undefined => this.#keys.get(nameKey(name))?.key;

  mayUpdate(keyName: string, origin: string): boolean {
    return this.#keys.get(nameKey(keyName))?.zones.has(origin) ?? false;
  }

  /**
   * Runs `evaluate` on the zone's committed snapshot after every update queued before it, then
   * persists and commits what it built. SERVFAIL when too many updates wait or the write fails.
   */
  update(origin: string, evaluate: (zone: ZoneSnapshot) => UpdateResult): Promise<UpdateResult> {
    const held = this.#zones.get(origin);
    if (held === undefined) {
      return Promise.resolve({ ok: false, rcode: Rcode.NOTAUTH, reason: `zone ${origin} is not held here` });
    }
    if (held.pending >= this.#options.maxPendingUpdatesPerZone) {
      return Promise.resolve({
        ok: false,
        rcode: Rcode.SERVFAIL,
        reason: `${held.pending} updates of ${origin} are already waiting`,
      });
    }
    held.pending += 1;
    const run = held.queue.then(async (): Promise<UpdateResult> => {
      const result = evaluate(held.snapshot);
      if (result.ok && result.changed) {
        try {
          await this.#persist(origin, result.zone);
        } catch (error) {
          return {
            ok: false,
            rcode: Rcode.SERVFAIL,
            reason: `the state file could not be written: ${(error as Error).message}`,
          };
        }
        held.snapshot = result.zone;
      }
      return result;
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    held.queue = settled.then(() => {
      held.pending -= 1;
    });
    return run;
  }

  /** Resolves when every update queued so far has finished (and its write with it). */
  async drain(): Promise<void> {
    await Promise.all([...this.#zones.values()].map((held) => held.queue));
    await this.#writes;
  }

  #persist(origin: string, next: ZoneSnapshot): Promise<void> {
    const file = this.#options.stateFile;
    if (file === undefined) return Promise.resolve();
    const write = this.#writes.then(() => {
      const zones = new Map(this.#stored);
      for (const [name, held] of this.#zones) zones.set(name, held.snapshot);
      zones.set(origin, next);
      return saveState(file, zones.values());
    });
    this.#writes = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }
}
