/**
 * The benchmark's baselines, each in its own process like the agent:
 * - `line`: the least a line protocol server can do on Node: net.createServer, a greeting, then
 *   `250 OK\r\n` for every LF received (one write per chunk of input), nothing parsed.
 * - `tls`: tls.createServer with the agent's own key and certificate and the agent's TLS options,
 *   which ends each connection as soon as its handshake is done.
 */
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { serveParent } from './ipc.ts';

export type BaselineStartArgs =
  { readonly kind: 'line' } | { readonly kind: 'tls'; readonly keyFile: string; readonly certFile: string };

export const LINE_GREETING = '220 baseline ready\r\n';
const LF = 0x0a;
const REPLY = '250 OK\r\n';
/** Replies for up to this many lines in one chunk are sliced from one prepared buffer. */
const PREPARED = 4096;
const prepared = Buffer.from(REPLY.repeat(PREPARED));

let server: net.Server | undefined;
const sockets = new Set<net.Socket>();

function track(socket: net.Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
}

function lineServer(): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    track(socket);
    socket.write(LINE_GREETING);
    socket.on('data', (chunk: Buffer) => {
      let lines = 0;
      for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) lines++;
      if (lines === 0) return;
      socket.write(lines <= PREPARED ? prepared.subarray(0, lines * REPLY.length) : REPLY.repeat(lines));
    });
  });
}

async function tlsServer(keyFile: string, certFile: string): Promise<tls.Server> {
  const [key, cert] = await Promise.all([readFile(keyFile), readFile(certFile)]);
  // The agent's implicit-TLS handshake options (src/agent/server.ts); allowHalfOpen is moot here: we end first.
  const s = tls.createServer({ key, cert, handshakeTimeout: 10_000, minVersion: 'TLSv1.2' });
  s.on('secureConnection', (socket: tls.TLSSocket) => {
    track(socket);
    socket.end();
  });
  s.on('tlsClientError', () => undefined);
  return s;
}

serveParent(
  {
    async start(args): Promise<{ pid: number; port: number }> {
      if (server) throw new Error('baseline already started');
      const start = args as BaselineStartArgs;
      server = start.kind === 'line' ? lineServer() : await tlsServer(start.keyFile, start.certFile);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return { pid: process.pid, port: (server.address() as net.AddressInfo).port };
    },
    async stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      const s = server;
      server = undefined;
      if (s?.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  },
  () => sockets.size,
);
