/**
 * End-to-end helpers: run the real `bin/eson` as a child process of the same Node, with an
 * environment of its own (its own ESON_CONFIG_DIR, no ESON_* leaking in from the caller).
 * Nothing here is shared between test files: each file makes its own directories and processes.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The CLI's entry point, run by the same Node as the tests (bin/eson is the shell wrapper that finds a Node). */
export const ESON_BIN = path.resolve(import.meta.dirname, '../../src/cli/bin.ts');
export const ESON_WRAPPER = path.resolve(import.meta.dirname, '../../bin/eson');
/** One CLI command; generous for a loaded 2-core machine. */
export const COMMAND_TIMEOUT_MS = 60_000;
/** Starting `eson dev` or `eson serve` (certificates, registries, listeners). */
export const START_TIMEOUT_MS = 90_000;

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** ESON_CONFIG_DIR of the child (required: no test may touch the user's real login). */
  readonly configDir: string;
  /** Written to standard input, which is then closed; without it stdin is closed at once. */
  readonly input?: string;
  /** Extra environment (ESON_PASSWORD, ESON_DATA_DIR...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** The environment of a child: the caller's, minus every ESON_* variable and the test runner's own. */
export function childEnv(configDir: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('ESON_') || key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ESON_CONFIG_DIR: configDir, ...extra };
}

/** Runs `eson <args>` to completion and returns its exit code and output. */
export async function runEson(args: readonly string[], options: RunOptions): Promise<RunResult> {
  const child = spawn(process.execPath, [ESON_BIN, ...args], {
    cwd: options.cwd ?? options.configDir,
    env: childEnv(options.configDir, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (signal === 'SIGKILL')
      throw new Error(`eson ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`);
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Describes a result for assertion messages. */
export function show(r: RunResult): string {
  return `exit ${r.code ?? r.signal ?? '?'}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** A long-running `eson` (dev, serve): its output so far, and a way to wait for and stop it. */
export interface EsonProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when `predicate(stdout)` holds; rejects if the process exits first or time runs out. */
  waitForOutput(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit; returns the exit and how long it took (ms). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** SIGKILL if still running (cleanup after a failed test). */
  kill(): Promise<void>;
}

export function startEson(args: readonly string[], options: RunOptions): EsonProcess {
  const child = spawn(process.execPath, [ESON_BIN, ...args], {
    cwd: options.cwd ?? options.configDir,
    env: childEnv(options.configDir, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  child.stdout.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    err += t;
  });
  child.stdin.on('error', () => undefined);
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exit = { code, signal };
      resolve(exit);
      notify();
    });
  });
  const describeExit = () =>
    `eson ${args.join(' ')} exited (${exit?.code ?? exit?.signal ?? '?'})\n--- stdout\n${out}--- stderr\n${err}`;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(predicate, timeoutMs = START_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for output of eson ${args.join(' ')}\n${out}\n${err}`,
            ),
          );
        }, timeoutMs);
        function check(): void {
          if (predicate(out)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(out);
          } else if (exit) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(describeExit()));
          }
        }
        listeners.add(check);
        check();
      });
    },
    exited: () => exitedPromise,
    async stop(signal = 'SIGTERM') {
      const started = performance.now();
      if (!exit) child.kill(signal);
      const result = await exitedPromise;
      return { ...result, ms: performance.now() - started };
    },
    async kill() {
      if (exit) return;
      child.kill('SIGKILL');
      await exitedPromise;
    },
  };
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `eson-e2e-${prefix}-`));
}

/** Waits until `file` exists and `parse` accepts its content. */
export async function waitForFile<T>(
  file: string,
  parse: (text: string) => T,
  timeoutMs = START_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return parse(await readFile(file, 'utf8'));
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${file} did not appear within ${timeoutMs} ms`, { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Parses stdout of a `--json` command: exactly one JSON document. */
export function parseJson(stdout: string): unknown {
  return JSON.parse(stdout);
}

/** Each non-empty line of `text` parsed as JSON. */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
