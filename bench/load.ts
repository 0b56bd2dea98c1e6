/**
 * The pipelined load generator. Each connection keeps exactly `depth` commands outstanding: it
 * writes `depth` commands at the start, and every time replies arrive it writes as many new
 * commands as replies completed (one write per chunk received). Latency of a command is the time
 * from the write that carried it to the arrival of the chunk holding the last line of its reply.
 * Replies are framed as RFC 5321 says (the last line has a space after the code) without decoding
 * text, so that the generator stays cheap next to the server it measures.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LatencySummary } from './stats.ts';
import { Samples } from './stats.ts';

const LF = 0x0a;
const SP = 0x20;
const TWO = 0x32;

export interface PipelineRun {
  readonly connections: number;
  /** Commands outstanding per connection. */
  readonly depth: number;
  /** Measured wall time (warm-up excluded), seconds. */
  readonly seconds: number;
  /** Replies completed in the measured window. */
  readonly replies: number;
  readonly perSecond: number;
  readonly latency: LatencySummary;
  /** Replies that were not 2xx (whole run, warm-up included). */
  readonly errors: number;
  /** Connections lost during the run. */
  readonly lost: number;
}

type Phase = 'idle' | 'warm' | 'measure' | 'drain';

class Pipe {
  private readonly load: PipelinedLoad;
  private readonly socket: net.Socket;
  /** Write times of the outstanding commands, a ring. */
  private readonly sent: Float64Array;
  private head = 0;
  private tail = 0;
  outstanding = 0;
  /** Position in the current reply line, its first byte, whether it is a last line. */
  private col = 0;
  private first = 0;
  private last = false;
  alive = true;

  constructor(load: PipelinedLoad, socket: net.Socket, capacity: number) {
    this.load = load;
    this.socket = socket;
    this.sent = new Float64Array(capacity);
    socket.on('data', this.onData);
    socket.on('error', () => socket.destroy());
    socket.on('close', this.onClose);
  }

  /** Writes `count` commands in one write. */
  send(count: number): void {
    if (count <= 0 || !this.alive) return;
    const now = performance.now();
    const capacity = this.sent.length;
    for (let k = 0; k < count; k++) {
      this.sent[this.tail] = now;
      this.tail = (this.tail + 1) % capacity;
    }
    this.outstanding += count;
    this.load.outstanding += count;
    this.socket.write(this.load.commands(count));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readonly onClose = (): void => {
    if (!this.alive) return;
    this.alive = false;
    this.load.outstanding -= this.outstanding;
    this.outstanding = 0;
    this.load.lost++;
    this.load.checkDrained();
  };

  private readonly onData = (chunk: Buffer): void => {
    const load = this.load;
    const now = performance.now();
    const capacity = this.sent.length;
    const recording = load.phase === 'measure';
    let done = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const lf = chunk.indexOf(LF, i);
      const end = lf < 0 ? n : lf;
      if (this.col === 0 && end > i) this.first = chunk[i] ?? 0;
      const at3 = i + 3 - this.col;
      if (this.col <= 3 && at3 < end) this.last = chunk[at3] === SP;
      if (lf < 0) {
        this.col += n - i;
        break;
      }
      if (this.last) {
        const sentAt = this.sent[this.head] ?? now;
        this.head = (this.head + 1) % capacity;
        if (this.first !== TWO) load.errors++;
        if (recording) {
          load.samples.add(now - sentAt);
          load.replies++;
        }
        done++;
      }
      this.last = false;
      this.col = 0;
      i = lf + 1;
    }
    if (done === 0) return;
    this.outstanding -= done;
    load.outstanding -= done;
    if (load.phase === 'drain') load.checkDrained();
    else this.send(done);
  };
}

/** Drives pipelined commands over a set of open (greeted, authenticated) sessions. */
export class PipelinedLoad {
  phase: Phase = 'idle';
  outstanding = 0;
  replies = 0;
  errors = 0;
  lost = 0;
  readonly samples = new Samples();
  private readonly pipes: Pipe[];
  private readonly command: Buffer;
  private readonly batch: Buffer;
  private drained: (() => void) | undefined;

  constructor(sockets: readonly net.Socket[], command: string, maxDepth: number) {
    this.command = Buffer.from(command);
    this.batch = Buffer.from(command.repeat(maxDepth));
    this.pipes = sockets.map((s) => new Pipe(this, s, maxDepth));
  }

  /** `count` commands as one buffer (a slice of a prepared one). */
  commands(count: number): Buffer {
    const bytes = count * this.command.length;
    return bytes <= this.batch.length
      ? this.batch.subarray(0, bytes)
      : Buffer.from(this.command.toString().repeat(count));
  }

  checkDrained(): void {
    if (this.phase === 'drain' && this.outstanding <= 0) this.drained?.();
  }

  /**
   * Warms up for `warmupMs`, then measures for `measureMs`, then waits for every reply. `window`
   * is told when the measured window opens and closes (to snapshot CPU use).
   */
  async run(
    depth: number,
    warmupMs: number,
    measureMs: number,
    window?: { open(): void; close(): void },
  ): Promise<PipelineRun> {
    if (this.phase !== 'idle') throw new Error('a run is already going');
    this.errors = 0;
    this.lost = 0;
    this.phase = 'warm';
    for (const pipe of this.pipes) pipe.send(depth);
    await sleep(warmupMs);
    this.samples.clear();
    this.replies = 0;
    this.phase = 'measure';
    window?.open();
    const start = performance.now();
    await sleep(measureMs);
    const seconds = (performance.now() - start) / 1000;
    window?.close();
    const replies = this.replies;
    const latency = this.samples.summary();
    this.phase = 'drain';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
      this.checkDrained();
    });
    this.drained = undefined;
    if (this.outstanding > 0) throw new Error(`${this.outstanding} replies never came back`);
    this.phase = 'idle';
    return {
      connections: this.pipes.length,
      depth,
      seconds,
      replies,
      perSecond: replies / seconds,
      latency,
      errors: this.errors,
      lost: this.lost,
    };
  }

  close(): void {
    for (const pipe of this.pipes) pipe.destroy();
  }
}
