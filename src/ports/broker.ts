/**
 * The broker port: the Flow Events Broker operations of the seed's figure 9 (create, describe,
 * update, delete queue; list consumers) plus append and read. Events cross this port as the JSON
 * text of a CloudEvent in structured mode, already validated by the caller (events/cloudevent.ts).
 * Positions are the offsets of a queue's log: the first event has position 0, and `next` is the
 * position after the last event returned.
 */

export interface QueueOptions {
  /** Events older than this are eligible for removal; undefined keeps them forever. */
  readonly retentionMs?: number | undefined;
}

export interface QueueInfo {
  readonly name: string;
  readonly type: string;
  /** host:port or URL where the queue is reached */
  readonly endpoint: string;
  readonly tls: boolean;
  /** position of the first event still held */
  readonly firstPosition: number;
  /** position the next appended event will get */
  readonly nextPosition: number;
  readonly retentionMs: number | undefined;
  readonly createdAt: string;
}

export interface ConsumerInfo {
  readonly consumer: string;
  /** the committed position: the next event this consumer will read */
  readonly position: number;
  /** events between the committed position and the end of the queue */
  readonly lag: number;
}

export interface StoredEvent {
  readonly position: number;
  /** the CloudEvent as JSON text (structured mode) */
  readonly json: string;
}

export interface ReadResult {
  readonly events: StoredEvent[];
  /** the position to read from next */
  readonly next: number;
}

export interface ReadOptions {
  readonly from: number;
  readonly limit: number;
  /** Stop adding events once their JSON text passes this many bytes (at least one event is returned). */
  readonly maxBytes?: number;
}

export interface Broker {
  readonly type: string;

  createQueue(name: string, options?: QueueOptions): Promise<QueueInfo>;
  describeQueue(name: string): Promise<QueueInfo>;
  updateQueue(name: string, options: QueueOptions): Promise<QueueInfo>;
  deleteQueue(name: string): Promise<void>;
  listConsumers(name: string): Promise<ConsumerInfo[]>;

  /** Appends all events durably, or none (the batch is one atomic record). Returns their positions. */
  append(name: string, events: readonly string[]): Promise<{ first: number; next: number }>;
  read(name: string, options: ReadOptions): Promise<ReadResult>;
  /**
   * Resolves when the queue holds an event at `position` or beyond, or when `signal` aborts
   * (without throwing), or after `timeoutMs`. Backs READ FLOW ... WAIT long-polls.
   */
  waitFor(name: string, position: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;

  commit(name: string, consumer: string, position: number): Promise<void>;
  committed(name: string, consumer: string): Promise<number | undefined>;

  close(): Promise<void>;
}
