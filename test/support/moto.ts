/**
 * moto's AWS API emulator (PyPI `moto[server]`) for integration tests: `scripts/moto.sh` installs
 * it once into .cache/moto-venv; each test file starts its own server on loopback, on a free port,
 * and stops it when done. Clients use MOTO_REGION and MOTO_CREDENTIALS, passed explicitly.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

export const MOTO_REGION = 'us-east-1';
/** moto accepts any credentials; these are dummies, never real ones. */
export const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface Moto {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  stop(): Promise<void>;
}

let serverPath: Promise<string> | undefined;

/** Installs moto when missing (scripts/moto.sh) and returns the path of `moto_server`. */
export function motoServerPath(): Promise<string> {
  serverPath ??= (async () => {
    const { stdout } = await run('bash', [path.join(root, 'scripts/moto.sh')], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 600_000,
    });
    const lines = stdout.trim().split('\n');
    const last = lines[lines.length - 1];
    if (!last) throw new Error('scripts/moto.sh printed no moto_server path');
    return last;
  })();
  return serverPath;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startOnce(server: string): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  running.add(child);
  // moto logs every request; keep the tail for error messages and never let the pipes fill.
  const tail: string[] = [];
  const keep = (chunk: Buffer): void => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exit.then(() => true), delay(5_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  const deadline = Date.now() + 60_000;
  while (!exited && Date.now() < deadline) {
    if (await answers(endpoint)) return { endpoint, stop };
    await delay(100);
  }
  await stop();
  throw new Error(`moto_server on port ${port} did not answer HTTP:\n${tail.join('\n')}`);
}

/** Starts a moto server of its own for the caller; `stop()` ends it. */
export async function startMoto(): Promise<Moto> {
  const server = await motoServerPath();
  let lastError: unknown;
  // A free port can be taken between the probe and moto's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(server);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
