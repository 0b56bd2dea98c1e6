/**
 * Session-rate load spread over worker threads: the client side of a TLS handshake (key exchange,
 * two ECDSA verifications) costs more CPU than the server side, so one thread cannot keep a
 * server busy. Each worker runs `runSessions` with its share of the concurrency; the parent starts
 * them together, times the same window and merges their results.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Samples } from './stats.ts';
import { scramCounters } from './scram.ts';
import type { Credentials } from './session.ts';
import type { SessionRun, TlsTarget } from './tls-load.ts';
import { bareTlsSession, fnapTlsSession, runSessions } from './tls-load.ts';

export interface SessionLoadSpec {
  readonly kind: 'bare' | 'fnap';
  readonly target: TlsTarget;
  readonly credentials?: Credentials | undefined;
  readonly concurrency: number;
  readonly sources: readonly string[];
  readonly warmupMs: number;
  readonly measureMs: number;
}

interface WorkerResult {
  readonly run: SessionRun;
  /** Event-loop utilisation of the worker over its whole run. */
  readonly elu: number;
  readonly scram: { pbkdf2: number; exchanges: number };
}

export interface MergedSessionRun extends SessionRun {
  readonly workers: number;
  /** Highest event-loop utilisation among the load workers. */
  readonly loadMaxElu: number;
}

function runSpec(spec: SessionLoadSpec): Promise<SessionRun> {
  const session =
    spec.kind === 'bare'
      ? (source: string) => bareTlsSession(spec.target, source)
      : (source: string) => {
          if (!spec.credentials) throw new Error('credentials needed for FNAP sessions');
          return fnapTlsSession(spec.target, source, spec.credentials);
        };
  return runSessions(session, spec);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const spec = workerData as SessionLoadSpec;
  port.once('message', () => {
    void (async () => {
      const elu = performance.eventLoopUtilization();
      const run = await runSpec(spec);
      const result: WorkerResult = {
        run,
        elu: performance.eventLoopUtilization(elu).utilization,
        scram: { ...scramCounters },
      };
      port.postMessage(result);
    })();
  });
  port.postMessage('ready');
}

/**
 * Runs the sessions in `workers` threads (the concurrency split between them), calling `window`
 * when the measured window opens and closes.
 */
export async function runSessionsInWorkers(
  spec: SessionLoadSpec,
  workers: number,
  window: { open(): void; close(): void },
): Promise<MergedSessionRun> {
  const threads = Array.from({ length: workers }, (_, i) => {
    const share = Math.floor(spec.concurrency / workers) + (i < spec.concurrency % workers ? 1 : 0);
    // Each thread starts at another source address, so that they spread over all of them.
    const sources = spec.sources.map((_s, k) => spec.sources[(k + i) % spec.sources.length] ?? '127.0.0.1');
    return new Worker(new URL(import.meta.url), { workerData: { ...spec, concurrency: share, sources } });
  });
  try {
    const results = threads.map(
      (w) =>
        new Promise<WorkerResult>((resolve, reject) => {
          w.on('message', (m: WorkerResult | 'ready') => {
            if (m !== 'ready') resolve(m);
          });
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`load worker exited (${code})`)));
        }),
    );
    await Promise.all(threads.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
    for (const w of threads) w.postMessage('go');
    await sleep(spec.warmupMs);
    window.open();
    await sleep(spec.measureMs);
    window.close();
    const done = await Promise.all(results);
    const samples = new Samples();
    for (const r of done) if (r.run.durations) samples.addAll(r.run.durations);
    for (const r of done) {
      scramCounters.pbkdf2 += r.scram.pbkdf2;
      scramCounters.exchanges += r.scram.exchanges;
    }
    const seconds = done.reduce((s, r) => s + r.run.seconds, 0) / done.length;
    const sessions = done.reduce((s, r) => s + r.run.sessions, 0);
    return {
      concurrency: spec.concurrency,
      workers,
      seconds,
      sessions,
      perSecond: done.reduce((s, r) => s + r.run.perSecond, 0),
      latency: samples.summary(),
      failures: done.reduce((s, r) => s + r.run.failures, 0),
      firstFailure: done.find((r) => r.run.firstFailure !== undefined)?.run.firstFailure,
      loadMaxElu: Math.max(...done.map((r) => r.elu)),
    };
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}
