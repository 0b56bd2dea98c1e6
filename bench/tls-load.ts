/**
 * Session-rate load: `concurrency` loops, each opening one TLS connection after another (a new
 * full handshake every time: no session or ticket is ever offered, so there is no resumption),
 * running a session on it and waiting for the server to close it. A session counts when it ends
 * inside the measured window.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import type { LatencySummary } from './stats.ts';
import { Samples } from './stats.ts';
import type { Credentials } from './session.ts';
import { authenticate, ReplyReader, tlsOptions } from './session.ts';

export interface TlsTarget {
  readonly host: string;
  readonly port: number;
  readonly ca: string;
  readonly servername: string;
}

export interface SessionRun {
  readonly concurrency: number;
  readonly seconds: number;
  readonly sessions: number;
  readonly perSecond: number;
  /** Duration of one session, connect to close, in ms. */
  readonly latency: LatencySummary;
  /** The durations themselves (not written to the results), to merge runs of several threads. */
  readonly durations?: Float64Array | undefined;
  readonly failures: number;
  readonly firstFailure?: string | undefined;
}

/** Opens a TLS connection; `closed` settles when the socket closes, whatever happened. */
function open(
  target: TlsTarget,
  localAddress: string,
): { socket: tls.TLSSocket; secure: Promise<void>; closed: Promise<void> } {
  const socket = tls.connect(tlsOptions({ ...target, localAddress }));
  socket.setNoDelay(true);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const secure = new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => socket.destroy());
  return { socket, secure, closed };
}

/** The baseline: a handshake, then the server closes. */
export async function bareTlsSession(target: TlsTarget, localAddress: string): Promise<void> {
  const { socket, secure, closed } = open(target, localAddress);
  try {
    await secure;
  } catch (error) {
    socket.destroy();
    throw error;
  }
  await closed;
}

/** The agent: handshake, greeting, HELLO + SCRAM-SHA-256, QUIT, and the agent closes. */
export async function fnapTlsSession(
  target: TlsTarget,
  localAddress: string,
  credentials: Credentials,
): Promise<void> {
  const { socket, secure, closed } = open(target, localAddress);
  try {
    await secure;
    const reader = new ReplyReader(socket);
    await reader.expect(220, 'greeting');
    await authenticate(socket, reader, credentials);
    socket.write('QUIT\r\n');
    await reader.expect(221, 'QUIT');
  } catch (error) {
    socket.destroy();
    throw error;
  }
  await closed;
}

/** Runs `session` in `concurrency` loops: warm-up, then the measured window. */
export async function runSessions(
  session: (localAddress: string) => Promise<void>,
  options: {
    concurrency: number;
    sources: readonly string[];
    warmupMs: number;
    measureMs: number;
    window?: { open(): void; close(): void };
  },
): Promise<SessionRun> {
  let phase: 'warm' | 'measure' | 'stop' = 'warm';
  let sessions = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const samples = new Samples();
  let n = 0;
  const loop = async () => {
    while (phase !== 'stop') {
      const source = options.sources[n++ % options.sources.length] ?? '127.0.0.1';
      const start = performance.now();
      try {
        await session(source);
        if (phase === 'measure') {
          sessions++;
          samples.add(performance.now() - start);
        }
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);
  await sleep(options.warmupMs);
  phase = 'measure';
  options.window?.open();
  const start = performance.now();
  await sleep(options.measureMs);
  const seconds = (performance.now() - start) / 1000;
  options.window?.close();
  const counted = sessions;
  const latency = samples.summary();
  const durations = samples.values();
  phase = 'stop';
  await Promise.all(loops);
  return {
    concurrency: options.concurrency,
    seconds,
    sessions: counted,
    perSecond: counted / seconds,
    latency,
    failures,
    firstFailure,
    durations,
  };
}
