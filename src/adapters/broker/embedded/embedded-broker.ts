/**
 * The embedded broker: each queue is a durable append-only log in `<dir>/<queue>/`, kept by this
 * process alone (one broker instance per directory).
 *
 *     <dir>/<queue>/queue.json           createdAt, retentionMs
 *     <dir>/<queue>/consumers.json       committed position per consumer
 *     <dir>/<queue>/<base position>.seg  segment files of records (log-format.ts)
 *
 * An append writes one record holding the whole batch with one write, then fdatasync, and only then
 * indexes it and wakes waiters, so readers see whole, durable batches only. Opening a queue (lazily,
 * on first use) scans its log, rebuilds the index and cuts off a torn tail left by a crash.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import {
  EsonError,
  exists,
  invalidArgument,
  invalidName,
  notFound,
  unavailable,
} from '../../../core/errors.ts';
import type {
  Broker,
  ConsumerInfo,
  QueueInfo,
  QueueOptions,
  ReadOptions,
  ReadResult,
  StoredEvent,
} from '../../../ports/broker.ts';
import { FilePool } from './file-pool.ts';
import {
  EVENT_LENGTH_BYTES,
  FileRegionReader,
  RECORD_HEADER_BYTES,
  decodeHeader,
  encodeRecord,
  parseSegmentFileName,
  payloadBytes,
  scanSegment,
  segmentFileName,
} from './log-format.ts';
import { Segment, findSegment } from './segment.ts';

/** Reported as QueueInfo.type. */
export const EMBEDDED_BROKER_TYPE = 'local';
/**
 * A queue's active segment file is closed and a new one started when the next record would take it
 * past this many bytes, so that retention can remove whole old files.
 */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Smallest configurable segment size (small sizes are for tests). */
export const MIN_SEGMENT_BYTES = 1024;
/** Largest configurable segment size: bounds the work of scanning the active segment at open. */
export const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;
/**
 * Segment files held open at once over all queues; the least recently used idle ones are closed
 * past it, so that thousands of idle queues hold no file descriptors.
 */
export const DEFAULT_MAX_OPEN_FILES = 256;
/** Events in one append (above the agent's WRITE FLOW limit, which is the one clients meet). */
export const MAX_BATCH_EVENTS = 100_000;
/**
 * Payload bytes of one append (event texts plus 4 bytes each), above the agent's WRITE FLOW limit.
 * Also the largest record a scan accepts: a header claiming more is damage.
 */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Queue names are directory names: at most 255 bytes on common file systems. */
export const MAX_QUEUE_NAME_BYTES = 255;
/** Consumer names are stored in consumers.json; bounded to keep that file small. */
export const MAX_CONSUMER_NAME_BYTES = 1024;
/** Buffer size for reads: an event read is never more than this plus the event itself in memory. */
export const READ_CHUNK_BYTES = 256 * 1024;
/** Buffer size for the scan of a segment when a queue is opened. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;
/** setTimeout's limit: longer waits are cut to it. */
export const MAX_WAIT_MS = 2_147_483_647;
/** A read that loses a segment to retention while it runs starts again this many times at most. */
const READ_ATTEMPTS = 3;

const QUEUE_FILE = 'queue.json';
const CONSUMERS_FILE = 'consumers.json';
// Marks temporary files and directories; left-overs of a crash are removed at open.
const TEMP_MARK = '.tmp-';
const DELETED_PREFIX = '.deleted-';

export interface EmbeddedBrokerOptions {
  /** Directory holding one sub-directory per queue; created if missing. */
  readonly dir: string;
  /** host:port or URL reported in QueueInfo. */
  readonly endpoint: string;
  /** Whether clients reach the endpoint over TLS (reported in QueueInfo; default false). */
  readonly tls?: boolean | undefined;
  /** fdatasync after every append and metadata write (default true). */
  readonly fsync?: boolean | undefined;
  /** Default DEFAULT_SEGMENT_BYTES. */
  readonly segmentBytes?: number | undefined;
  /** Default DEFAULT_MAX_OPEN_FILES. */
  readonly maxOpenFiles?: number | undefined;
  /** Warnings (a torn tail cut off...); never event contents. */
  readonly logger?: Pick<Logger, 'warn'> | undefined;
  /** Clock in ms since the epoch, for append times and retention (tests). */
  readonly now?: (() => number) | undefined;
}

interface QueueMeta {
  readonly createdAt: string;
  readonly retentionMs: number | undefined;
}

interface Waiter {
  readonly position: number;
  readonly wake: () => void;
}

interface QueueState {
  readonly name: string;
  readonly dir: string;
  meta: QueueMeta;
  /** Oldest first; the last one takes appends. */
  segments: Segment[];
  nextPosition: number;
  /** Serialises appends, retention, updates and deletion. */
  tail: Promise<unknown>;
  readonly waiters: Set<Waiter>;
  consumers: Map<string, number> | undefined;
  consumersLoading: Promise<Map<string, number>> | undefined;
  /** Bumped by each commit; consumers.json holds every change up to consumersWritten. */
  consumersVersion: number;
  consumersWritten: number;
  /** Serialises writes of consumers.json. */
  consumersTail: Promise<unknown>;
  /** Deleted, or dropped after a failed write: callers look the queue up again. */
  gone: boolean;
}

// Returned by work on a queue state that went away meanwhile: the caller looks the queue up again.
const STALE: unique symbol = Symbol('stale');

const noLogger: Pick<Logger, 'warn'> = { warn: () => undefined };

export class EmbeddedBroker implements Broker {
  readonly type = EMBEDDED_BROKER_TYPE;
  readonly #root: string;
  readonly #endpoint: string;
  readonly #tls: boolean;
  readonly #fsync: boolean;
  readonly #segmentBytes: number;
  readonly #log: Pick<Logger, 'warn'>;
  readonly #now: () => number;
  readonly #pool: FilePool;
  readonly #queues = new Map<string, QueueState>();
  readonly #loading = new Map<string, Promise<QueueState>>();
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: EmbeddedBrokerOptions) {
    if (typeof options.dir !== 'string' || options.dir.length === 0) {
      throw invalidArgument('dir must be a path');
    }
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (
      !Number.isSafeInteger(segmentBytes) ||
      segmentBytes < MIN_SEGMENT_BYTES ||
      segmentBytes > MAX_SEGMENT_BYTES
    ) {
      throw invalidArgument(
        `segmentBytes must be an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}`,
      );
    }
    const maxOpenFiles = options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES;
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) {
      throw invalidArgument('maxOpenFiles must be a positive integer');
    }
    this.#root = path.resolve(options.dir);
    this.#endpoint = options.endpoint;
    this.#tls = options.tls ?? false;
    this.#fsync = options.fsync ?? true;
    this.#segmentBytes = segmentBytes;
    this.#log = options.logger ?? noLogger;
    this.#now = options.now ?? Date.now;
    this.#pool = new FilePool(maxOpenFiles);
  }

  async createQueue(name: string, options: QueueOptions = {}): Promise<QueueInfo> {
    this.#assertOpen();
    checkQueueName(name);
    checkRetention(options.retentionMs);
    await this.#init();
    if (this.#queues.has(name)) throw exists(`queue ${name}`);
    const meta: QueueMeta = {
      createdAt: new Date(this.#now()).toISOString(),
      retentionMs: options.retentionMs,
    };
    // Built aside then renamed into place, so a queue directory always has its queue.json and
    // two creations of one name cannot both succeed.
    const staging = path.join(this.#root, `${TEMP_MARK}${randomUUID()}`);
    try {
      await fs.mkdir(staging);
      await writeFileDurably(path.join(staging, QUEUE_FILE), metaText(meta), this.#fsync);
      try {
        await fs.rename(staging, path.join(this.#root, name));
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR') throw exists(`queue ${name}`);
        throw error;
      }
    } catch (error) {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw ioFailure(error, `create queue ${name}`);
    }
    if (this.#fsync) await syncDirectory(this.#root);
    return this.#info({ name, meta, segments: [], nextPosition: 0 });
  }

  async describeQueue(name: string): Promise<QueueInfo> {
    return this.#info(await this.#queue(name));
  }

  /** Replaces the queue's options: a missing retentionMs keeps events forever. */
  async updateQueue(name: string, options: QueueOptions): Promise<QueueInfo> {
    checkRetention(options.retentionMs);
    return this.#exclusive(name, async (q) => {
      const meta: QueueMeta = { createdAt: q.meta.createdAt, retentionMs: options.retentionMs };
      try {
        await writeFileAtomically(path.join(q.dir, QUEUE_FILE), metaText(meta), this.#fsync);
      } catch (error) {
        throw ioFailure(error, `update queue ${name}`);
      }
      q.meta = meta;
      await this.#expire(q);
      return this.#info(q);
    });
  }

  async deleteQueue(name: string): Promise<void> {
    await this.#exclusive(name, async (q) => {
      q.gone = true;
      wakeAll(q);
      // Renamed first so that the queue disappears at once, even if removing its files is slow.
      const trash = path.join(this.#root, `${DELETED_PREFIX}${randomUUID()}`);
      try {
        await q.consumersTail;
        for (const segment of q.segments) this.#pool.forget(segment.path);
        await fs.rename(q.dir, trash);
        if (this.#fsync) await syncDirectory(this.#root);
      } catch (error) {
        throw ioFailure(error, `delete queue ${name}`);
      } finally {
        // Kept until now so that concurrent callers wait for the deletion rather than reload the queue.
        if (this.#queues.get(name) === q) this.#queues.delete(name);
      }
      await fs.rm(trash, { recursive: true, force: true });
    });
  }

  async listConsumers(name: string): Promise<ConsumerInfo[]> {
    const q = await this.#queue(name);
    const consumers = await this.#consumers(q);
    const first = firstPosition(q);
    return [...consumers]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([consumer, position]) => ({
        consumer,
        position,
        lag: Math.max(0, q.nextPosition - Math.max(position, first)),
      }));
  }

  async append(name: string, events: readonly string[]): Promise<{ first: number; next: number }> {
    this.#assertOpen();
    checkQueueName(name);
    if (!Array.isArray(events)) throw invalidArgument('events must be an array of JSON texts');
    if (events.length > MAX_BATCH_EVENTS) {
      throw invalidArgument(`a batch holds at most ${MAX_BATCH_EVENTS} events, not ${events.length}`);
    }
    for (const event of events) {
      if (typeof event !== 'string') throw invalidArgument('events must be JSON texts');
    }
    const bytes = payloadBytes(events);
    if (bytes > MAX_BATCH_BYTES) {
      throw invalidArgument(`a batch takes at most ${MAX_BATCH_BYTES} bytes, not ${bytes}`);
    }
    return this.#exclusive(name, async (q) => {
      if (events.length === 0) return { first: q.nextPosition, next: q.nextPosition };
      return this.#appendRecord(q, events);
    });
  }

  async read(name: string, options: ReadOptions): Promise<ReadResult> {
    const { from, limit, maxBytes } = options;
    checkPosition('from', from);
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw invalidArgument('limit must be a non-negative integer');
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 1)) {
      throw invalidArgument('maxBytes must be a positive integer');
    }
    for (let attempt = 1; ; attempt++) {
      const q = await this.#queue(name);
      try {
        if (!q.gone) return await this.#readFrom(q, from, limit, maxBytes);
      } catch (error) {
        // Retention or deletion removed a segment after this read chose it: look again.
        if (attempt >= READ_ATTEMPTS || errorCode(error) !== 'ENOENT')
          throw ioFailure(error, `read queue ${name}`);
      }
      // A queue being deleted is looked up again once that is done.
      if (q.gone) await q.tail;
    }
  }

  async waitFor(name: string, position: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    checkPosition('position', position);
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw invalidArgument('timeoutMs must be a non-negative number');
    }
    const q = await this.#queue(name);
    if (position < q.nextPosition || timeoutMs === 0 || signal?.aborted === true || q.gone) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        q.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { position, wake: finish };
      const timer = setTimeout(finish, Math.min(timeoutMs, MAX_WAIT_MS));
      q.waiters.add(waiter);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  async commit(name: string, consumer: string, position: number): Promise<void> {
    checkConsumerName(consumer);
    checkPosition('position', position);
    for (;;) {
      const q = await this.#queue(name);
      if (position > q.nextPosition) {
        throw invalidArgument(`position ${position} is past the end of queue ${name} (${q.nextPosition})`);
      }
      const consumers = await this.#consumers(q);
      if (q.gone) {
        // Being deleted (or dropped): wait for that to finish, then look the queue up again.
        await q.tail;
        continue;
      }
      consumers.set(consumer, position);
      q.consumersVersion += 1;
      if ((await this.#writeConsumers(q, q.consumersVersion)) !== STALE) return;
      await q.tail;
    }
  }

  async committed(name: string, consumer: string): Promise<number | undefined> {
    checkConsumerName(consumer);
    const q = await this.#queue(name);
    return (await this.#consumers(q)).get(consumer);
  }

  /**
   * Removes events older than the queue's retention (whole segments; the newest events of a segment
   * keep it), for one queue or for every queue. Appends do this too; this is for queues that see no
   * appends. Returns how many events were removed.
   */
  async enforceRetention(name?: string): Promise<number> {
    if (name !== undefined) return this.#exclusive(name, (q) => this.#expire(q));
    this.#assertOpen();
    await this.#init();
    let removed = 0;
    for (const entry of await fs.readdir(this.#root)) {
      if (entry.startsWith('.')) continue;
      // Queues not in use are opened (their logs scanned) only when they have a retention.
      if (!this.#queues.has(entry) && (await this.#storedRetention(entry)) === undefined) continue;
      try {
        removed += await this.enforceRetention(entry);
      } catch (error) {
        // Deleted meanwhile, or not a queue directory.
        if (error instanceof EsonError && (error.kind === 'not-found' || error.kind === 'invalid-name'))
          continue;
        throw error;
      }
    }
    return removed;
  }

  async #storedRetention(name: string): Promise<number | undefined> {
    try {
      return parseMeta(await fs.readFile(path.join(this.#root, name, QUEUE_FILE), 'utf8'), name).retentionMs;
    } catch {
      return undefined;
    }
  }

  /** Calls of waitFor still waiting, on one queue or on all; for tests and metrics. */
  waiterCount(name?: string): number {
    if (name !== undefined) return this.#queues.get(name)?.waiters.size ?? 0;
    let count = 0;
    for (const q of this.#queues.values()) count += q.waiters.size;
    return count;
  }

  /** Segment files open now, over all queues. */
  get openFiles(): number {
    return this.#pool.size;
  }

  /** Wakes every waiter, lets running appends finish, and closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of this.#queues.values()) wakeAll(q);
    await Promise.allSettled(this.#loading.values());
    const queues = [...this.#queues.values()];
    await Promise.all(queues.flatMap((q) => [q.tail, q.consumersTail]));
    for (const q of queues) wakeAll(q);
    this.#queues.clear();
    await this.#pool.closeAll();
  }

  // ---- queue states

  #assertOpen(): void {
    if (this.#closed) throw unavailable('the broker is closed');
  }

  async #init(): Promise<void> {
    this.#ready ??= (async () => {
      await fs.mkdir(this.#root, { recursive: true });
      // Left-overs of a createQueue or deleteQueue cut short by a crash.
      for (const entry of await fs.readdir(this.#root)) {
        if (entry.startsWith(TEMP_MARK) || entry.startsWith(DELETED_PREFIX)) {
          await fs.rm(path.join(this.#root, entry), { recursive: true, force: true });
        }
      }
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw ioFailure(error, 'prepare the broker directory');
    });
    return this.#ready;
  }

  async #queue(name: string): Promise<QueueState> {
    this.#assertOpen();
    checkQueueName(name);
    const known = this.#queues.get(name);
    if (known !== undefined) return known;
    let loading = this.#loading.get(name);
    if (loading === undefined) {
      loading = (async () => {
        try {
          const q = await this.#load(name);
          if (!this.#closed) this.#queues.set(name, q);
          return q;
        } finally {
          this.#loading.delete(name);
        }
      })();
      this.#loading.set(name, loading);
    }
    return loading;
  }

  /** Runs `task` after every earlier exclusive task of the queue. */
  async #exclusive<T>(name: string, task: (q: QueueState) => Promise<T>): Promise<T> {
    for (;;) {
      const q = await this.#queue(name);
      const run = q.tail.then(async (): Promise<T | typeof STALE> => {
        if (q.gone) return STALE;
        this.#assertOpen();
        return task(q);
      });
      q.tail = run.catch(() => undefined);
      const result = await run;
      if (result !== STALE) return result;
    }
  }

  async #load(name: string): Promise<QueueState> {
    await this.#init();
    const dir = path.join(this.#root, name);
    let text: string;
    try {
      text = await fs.readFile(path.join(dir, QUEUE_FILE), 'utf8');
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`queue ${name}`);
      throw ioFailure(error, `open queue ${name}`);
    }
    const q: QueueState = {
      name,
      dir,
      meta: parseMeta(text, name),
      segments: [],
      nextPosition: 0,
      tail: Promise.resolve(),
      waiters: new Set(),
      consumers: undefined,
      consumersLoading: undefined,
      consumersVersion: 0,
      consumersWritten: 0,
      consumersTail: Promise.resolve(),
      gone: false,
    };
    try {
      await this.#scan(q);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw notFound(`queue ${name}`);
      throw ioFailure(error, `open queue ${name}`);
    }
    return q;
  }

  /** Rebuilds the index from the segment files and cuts a torn tail off the last one. */
  async #scan(q: QueueState): Promise<void> {
    const bases: number[] = [];
    for (const entry of await fs.readdir(q.dir)) {
      if (entry.includes(TEMP_MARK)) {
        await fs.rm(path.join(q.dir, entry), { force: true });
        continue;
      }
      const base = parseSegmentFileName(entry);
      if (base !== undefined) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    for (const [index, base] of bases.entries()) {
      const last = index === bases.length - 1;
      const previous = q.segments.at(-1);
      const name = segmentFileName(base);
      if (previous !== undefined && previous.end !== base) {
        throw damaged(q.name, name, 0, `the segment starts at position ${base}, not ${previous.end}`);
      }
      const segment = new Segment(base, path.join(q.dir, name));
      const file = await this.#pool.acquire(segment.path);
      try {
        const size = (await file.handle.stat()).size;
        const result = await scanSegment(
          file.handle,
          size,
          base,
          { maxPayloadBytes: MAX_BATCH_BYTES, chunkBytes: SCAN_CHUNK_BYTES },
          (record) => segment.add(record.count, record.length, record.appendedAt),
        );
        if (result.problem !== undefined) {
          // A crash can only tear the last record of the last segment (earlier ones were synced
          // before it was written); damage elsewhere is refused rather than cut, to lose nothing.
          if (!last) throw damaged(q.name, name, result.validBytes, result.problem);
          await file.handle.truncate(result.validBytes);
          if (this.#fsync) await file.handle.datasync();
          this.#log.warn(
            {
              queue: q.name,
              segment: name,
              offset: result.validBytes,
              removedBytes: size - result.validBytes,
              reason: result.problem,
            },
            'cut a torn tail off a queue log',
          );
        }
      } finally {
        this.#pool.release(file);
      }
      q.segments.push(segment);
    }
    q.nextPosition = q.segments.at(-1)?.end ?? 0;
  }

  #info(q: Pick<QueueState, 'name' | 'meta' | 'segments' | 'nextPosition'>): QueueInfo {
    return {
      name: q.name,
      type: this.type,
      endpoint: this.#endpoint,
      tls: this.#tls,
      firstPosition: firstPosition(q),
      nextPosition: q.nextPosition,
      retentionMs: q.meta.retentionMs,
      createdAt: q.meta.createdAt,
    };
  }

  /** Forgets a queue state whose files may not match it any more; the next use scans again. */
  #drop(q: QueueState): void {
    q.gone = true;
    if (this.#queues.get(q.name) === q) this.#queues.delete(q.name);
    for (const segment of q.segments) this.#pool.forget(segment.path);
    wakeAll(q);
  }

  // ---- appends and retention

  async #appendRecord(q: QueueState, events: readonly string[]): Promise<{ first: number; next: number }> {
    const now = this.#now();
    const first = q.nextPosition;
    const record = encodeRecord(events, first, now);
    let segment = q.segments.at(-1);
    if (segment === undefined || this.#mustRoll(q, segment, record.length, now)) {
      segment = await this.#startSegment(q);
    }
    const file = await this.#pool.acquire(segment.path).catch((error: unknown) => {
      throw ioFailure(error, `append to queue ${q.name}`);
    });
    try {
      await writeFully(file.handle, record, segment.size);
      if (this.#fsync) await file.handle.datasync();
    } catch (error) {
      // Leave no partial record behind; if even that fails, the scan at the next open cuts it.
      await file.handle.truncate(segment.size).catch(() => undefined);
      this.#drop(q);
      throw ioFailure(error, `append to queue ${q.name}`);
    } finally {
      this.#pool.release(file);
    }
    segment.add(events.length, record.length, now);
    q.nextPosition = segment.end;
    for (const waiter of q.waiters) {
      if (waiter.position < q.nextPosition) waiter.wake();
    }
    await this.#removeExpired(q, now);
    return { first, next: q.nextPosition };
  }

  #mustRoll(q: QueueState, segment: Segment, recordBytes: number, now: number): boolean {
    if (segment.records === 0) return false;
    if (segment.size + recordBytes > this.#segmentBytes) return true;
    // Also by age, so that a quiet queue's events can expire: retention removes whole files.
    const retention = q.meta.retentionMs;
    return retention !== undefined && now - segment.firstAppendedAt >= retention;
  }

  async #startSegment(q: QueueState): Promise<Segment> {
    const segment = new Segment(q.nextPosition, path.join(q.dir, segmentFileName(q.nextPosition)));
    try {
      await fs.writeFile(segment.path, new Uint8Array(0), { flag: 'wx' });
    } catch (error) {
      throw ioFailure(error, `start a segment of queue ${q.name}`);
    }
    // Indexed as soon as the file exists: an empty segment is valid, and a later append must not
    // try to create it again.
    q.segments.push(segment);
    if (this.#fsync) {
      await syncDirectory(q.dir).catch((error: unknown) => {
        throw ioFailure(error, `start a segment of queue ${q.name}`);
      });
    }
    return segment;
  }

  /** Retention for a queue that may see no appends: the active segment goes too once all expired. */
  async #expire(q: QueueState): Promise<number> {
    const retention = q.meta.retentionMs;
    if (retention === undefined) return 0;
    const now = this.#now();
    const active = q.segments.at(-1);
    // An empty segment file at the end keeps the next position when everything else goes.
    if (active !== undefined && active.records > 0 && active.lastAppendedAt < now - retention) {
      await this.#startSegment(q);
    }
    return this.#removeExpired(q, now);
  }

  /** Removes old segments whose every event is past retention; never the active one. */
  async #removeExpired(q: QueueState, now: number): Promise<number> {
    const retention = q.meta.retentionMs;
    if (retention === undefined) return 0;
    let removed = 0;
    for (let oldest = q.segments[0]; oldest !== undefined && q.segments.length > 1; oldest = q.segments[0]) {
      if (oldest.records > 0 && oldest.lastAppendedAt >= now - retention) break;
      // Out of the index first, so that no new read picks it.
      q.segments.shift();
      removed += oldest.end - oldest.base;
      this.#pool.forget(oldest.path);
      try {
        await fs.rm(oldest.path, { force: true });
      } catch (error) {
        this.#log.warn(
          { queue: q.name, segment: path.basename(oldest.path), code: errorCode(error) ?? 'unknown' },
          'could not remove an expired segment file',
        );
      }
    }
    return removed;
  }

  // ---- reads

  async #readFrom(
    q: QueueState,
    from: number,
    limit: number,
    maxBytes: number | undefined,
  ): Promise<ReadResult> {
    const end = q.nextPosition;
    const start = Math.max(from, firstPosition(q));
    if (start >= end || limit === 0) return { events: [], next: Math.min(start, end) };
    const events: StoredEvent[] = [];
    let bytes = 0;
    let full = false;
    // The segments and record counts are taken as they are now: later appends wait for the next read.
    for (const segment of q.segments.slice(Math.max(0, findSegment(q.segments, start)))) {
      if (full || events.length >= limit) break;
      const records = segment.records;
      const size = segment.size;
      let index = Math.max(0, segment.find(start));
      if (index >= records) continue;
      const fileName = path.basename(segment.path);
      const file = await this.#pool.acquire(segment.path);
      try {
        const reader = new FileRegionReader(file.handle, segment.offsetAt(index), size, READ_CHUNK_BYTES);
        for (; index < records && !full && events.length < limit; index++) {
          const recordOffset = reader.position;
          const headerBytes = await reader.take(RECORD_HEADER_BYTES);
          const header =
            headerBytes === undefined ? 'short header' : decodeHeader(headerBytes, MAX_BATCH_BYTES);
          if (typeof header === 'string') throw damaged(q.name, fileName, recordOffset, header);
          if (header.base !== segment.baseAt(index)) {
            throw damaged(q.name, fileName, recordOffset, 'the record is not the one indexed');
          }
          for (let k = 0, position = header.base; k < header.count; k++, position++) {
            const lengthBytes = await reader.take(EVENT_LENGTH_BYTES);
            if (lengthBytes === undefined) throw damaged(q.name, fileName, recordOffset, 'short record');
            const length = lengthBytes.readUInt32BE(0);
            if (position < start) {
              if (!reader.skip(length)) throw damaged(q.name, fileName, recordOffset, 'short record');
              continue;
            }
            if (
              events.length >= limit ||
              (maxBytes !== undefined && events.length > 0 && bytes + length > maxBytes)
            ) {
              full = true;
              break;
            }
            const text = await reader.take(length);
            if (text === undefined) throw damaged(q.name, fileName, recordOffset, 'short record');
            events.push({ position, json: text.toString('utf8') });
            bytes += length;
          }
        }
      } finally {
        this.#pool.release(file);
      }
    }
    const last = events.at(-1);
    return { events, next: last === undefined ? Math.min(start, end) : last.position + 1 };
  }

  // ---- consumers

  async #consumers(q: QueueState): Promise<Map<string, number>> {
    if (q.consumers !== undefined) return q.consumers;
    q.consumersLoading ??= this.#readConsumers(q).then(
      (consumers) => {
        q.consumers = consumers;
        q.consumersLoading = undefined;
        return consumers;
      },
      (error: unknown) => {
        q.consumersLoading = undefined;
        throw error;
      },
    );
    return q.consumersLoading;
  }

  async #readConsumers(q: QueueState): Promise<Map<string, number>> {
    const consumers = new Map<string, number>();
    let text: string;
    try {
      text = await fs.readFile(path.join(q.dir, CONSUMERS_FILE), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return consumers;
      throw ioFailure(error, `read the consumers of queue ${q.name}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const entries = isRecord(parsed) && isRecord(parsed.consumers) ? parsed.consumers : undefined;
    if (entries === undefined) {
      // Written atomically, so only outside damage gets here; consumers then start over from their
      // earlier positions (at-least-once) rather than leave the queue unusable.
      this.#log.warn({ queue: q.name }, 'consumers.json is unreadable; committed positions are reset');
      return consumers;
    }
    for (const [consumer, position] of Object.entries(entries)) {
      if (typeof position === 'number' && Number.isSafeInteger(position) && position >= 0) {
        consumers.set(consumer, position);
      }
    }
    return consumers;
  }

  /** Writes consumers.json holding at least change `version`; concurrent commits share writes. */
  async #writeConsumers(q: QueueState, version: number): Promise<undefined | typeof STALE> {
    const run = q.consumersTail.then(async (): Promise<undefined | typeof STALE> => {
      if (q.gone) return STALE;
      if (q.consumersWritten >= version || q.consumers === undefined) return undefined;
      const written = q.consumersVersion;
      const text = JSON.stringify({ consumers: Object.fromEntries(q.consumers) });
      try {
        await writeFileAtomically(path.join(q.dir, CONSUMERS_FILE), text, this.#fsync);
      } catch (error) {
        if (errorCode(error) === 'ENOENT' && q.gone) return STALE;
        throw ioFailure(error, `commit a position on queue ${q.name}`);
      }
      q.consumersWritten = written;
      return undefined;
    });
    q.consumersTail = run.catch(() => undefined);
    return run;
  }
}

// ---- helpers

function firstPosition(q: Pick<QueueState, 'segments' | 'nextPosition'>): number {
  return q.segments[0]?.base ?? q.nextPosition;
}

function wakeAll(q: QueueState): void {
  for (const waiter of [...q.waiters]) waiter.wake();
}

/** Queue names become directory names: refuse anything that could leave `dir` or hide in it. */
function checkQueueName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw invalidName('queue name is empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_QUEUE_NAME_BYTES) {
    throw invalidName(`queue name is over ${MAX_QUEUE_NAME_BYTES} bytes`);
  }
  if (name.includes('/') || name.includes('\\') || name.includes('\0') || name.includes('..')) {
    throw invalidName(`queue name ${JSON.stringify(name.slice(0, 64))} has "/", "\\", ".." or NUL`);
  }
  if (name.startsWith('.')) throw invalidName('queue name must not start with "."');
}

function checkConsumerName(consumer: unknown): asserts consumer is string {
  if (typeof consumer !== 'string' || consumer.length === 0) throw invalidArgument('consumer name is empty');
  if (Buffer.byteLength(consumer, 'utf8') > MAX_CONSUMER_NAME_BYTES) {
    throw invalidArgument(`consumer name is over ${MAX_CONSUMER_NAME_BYTES} bytes`);
  }
}

function checkPosition(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${what} must be a non-negative integer`);
  }
}

function checkRetention(retentionMs: unknown): void {
  if (retentionMs === undefined) return;
  if (typeof retentionMs !== 'number' || !Number.isSafeInteger(retentionMs) || retentionMs < 1) {
    throw invalidArgument('retentionMs must be a positive integer');
  }
}

function metaText(meta: QueueMeta): string {
  return `${JSON.stringify({ createdAt: meta.createdAt, retentionMs: meta.retentionMs ?? null })}\n`;
}

function parseMeta(text: string, name: string): QueueMeta {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed) || typeof parsed.createdAt !== 'string') {
    throw unavailable(`queue ${name} has an unreadable ${QUEUE_FILE}`);
  }
  const retention = parsed.retentionMs;
  if (retention !== undefined && retention !== null && !(typeof retention === 'number' && retention > 0)) {
    throw unavailable(`queue ${name} has an unreadable ${QUEUE_FILE}`);
  }
  return { createdAt: parsed.createdAt, retentionMs: retention ?? undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Domain errors pass through; file system failures become 'unavailable' naming the action. */
function ioFailure(error: unknown, action: string): EsonError {
  if (error instanceof EsonError) return error;
  const code = errorCode(error);
  return unavailable(`${action} failed${code === undefined ? '' : ` (${code})`}`, error);
}

function damaged(queue: string, segment: string, offset: number, reason: string): EsonError {
  return new EsonError(
    'unavailable',
    `queue ${queue} is damaged in ${segment} at byte ${offset}: ${reason}`,
    {
      context: { queue, segment, offset },
    },
  );
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten === 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

async function writeFileDurably(file: string, text: string, fsync: boolean): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    if (fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Readers see the old file or the new one, never a mix: write aside, then rename over. */
async function writeFileAtomically(file: string, text: string, fsync: boolean): Promise<void> {
  const temporary = `${file}${TEMP_MARK}${randomUUID()}`;
  try {
    await writeFileDurably(temporary, text, fsync);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  if (fsync) await syncDirectory(path.dirname(file));
}

/** Makes creations, renames and removals in a directory durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms and file systems cannot sync a directory; there is nothing more to do there.
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle.close();
  }
}
