/**
 * Parent <-> child plumbing for the benchmark's server processes (the agent, the line server, the
 * bare TLS server). Each server runs in its own process, forked with an IPC channel, so that its CPU
 * and memory are not mixed with the load generator's. Requests are `{ id, op, args }`, answers
 * `{ id, ok, value | error }`.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';

/** What a server process says about itself; cumulative counters, the parent takes differences. */
export interface ProcessStats {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** process.cpuUsage(): microseconds, all threads of the process. */
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  /** performance.eventLoopUtilization(), cumulative (idle and active ms). */
  readonly elu: EventLoopUtilization;
  /** Open sessions, for the agent; open sockets, for the baselines. */
  readonly sessions: number;
  /** performance.timeOrigin + performance.now() in the child, ms: the child's own clock for rates. */
  readonly at: number;
}

interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: unknown;
}

type Response =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

export type Handler = (args: unknown) => unknown;

/** Child side: answers the parent's requests with `handlers`; `stats` is always available. */
export function serveParent(handlers: Record<string, Handler>, sessions: () => number): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this script runs as a child of bench/fnap.ts (forked with an IPC channel)');
  const all: Record<string, Handler> = {
    stats: (args) => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if ((args as { gc?: boolean } | undefined)?.gc === true && gc) {
        gc();
        gc();
      }
      return processStats(sessions());
    },
    ...handlers,
  };
  process.on('message', (message: Request) => {
    const handler = all[message.op];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown op ${message.op}`);
        const value = await handler(message.args);
        send({ id: message.id, ok: true, value } satisfies Response);
      } catch (error) {
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies Response);
      }
    })();
  });
  // The parent went away: nothing to serve any more.
  process.on('disconnect', () => process.exit(0));
}

export function processStats(sessions: number): ProcessStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    elu: performance.eventLoopUtilization(),
    sessions,
    at: performance.timeOrigin + performance.now(),
  };
}

/** Parent side: one forked server process. */
export class ServerProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited = false;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    child.on('message', (message: Response) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /**
   * Forks `script` (a .ts file run by Node's type stripping) with --expose-gc, and with
   * --cpu-prof into `profileDir` when given (a .cpuprofile per process, for Chrome DevTools).
   */
  static async fork(name: string, script: URL, profileDir?: string): Promise<ServerProcess> {
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = fork(script, [], {
      execArgv: [...process.execArgv, '--expose-gc', ...profile],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await once(child, 'spawn');
    return new ServerProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies Request);
    });
  }

  stats(gc = false): Promise<ProcessStats> {
    return this.call<ProcessStats>('stats', { gc });
  }

  /** Asks the server to stop, then ends the process (killed after 15 s). */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, 'exit');
    await this.call('stop').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    if (this.child.connected) this.child.disconnect();
    await exited;
    clearTimeout(timer);
  }
}

/** CPU and event-loop use of a process between two snapshots. */
export interface Usage {
  /** CPU time over wall time (1 = one core busy all the time; may exceed 1 with helper threads). */
  readonly cpu: number;
  /** Event-loop utilisation of the main thread over the interval (0..1). */
  readonly elu: number;
}

export function usageBetween(before: ProcessStats, after: ProcessStats): Usage {
  const wallMs = after.at - before.at;
  const cpuUs = after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs;
  const active = after.elu.active - before.elu.active;
  const idle = after.elu.idle - before.elu.idle;
  return { cpu: cpuUs / 1000 / wallMs, elu: active + idle > 0 ? active / (active + idle) : 0 };
}
