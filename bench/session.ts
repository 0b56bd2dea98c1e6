/**
 * Opening benchmark sessions: connect (plain TCP or implicit TLS, from a chosen loopback source
 * address), read the greeting and optionally authenticate with SCRAM-SHA-256 (bench/scram.ts).
 * The socket is then handed over bare (no listeners left) to the load generator.
 */
import net from 'node:net';
import tls from 'node:tls';
import { scramExchange } from './scram.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS: the CA to verify against and the name to verify. */
  readonly tls?: { readonly ca: string; readonly servername: string } | undefined;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface Reply {
  readonly code: number;
  readonly lines: string[];
}

/** Source addresses for connections: 127.0.0.1 .. 127.0.0.N (all loopback on Linux). */
export function loopbackSources(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);
}

/** Reads RFC 5321 replies from a socket, one awaited at a time. */
export class ReplyReader {
  private readonly socket: net.Socket;
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    for (let lf = this.buffer.indexOf('\n'); lf >= 0; lf = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, lf).replace(/\r$/, '');
      this.buffer = this.buffer.slice(lf + 1);
      this.lines.push(line.slice(4));
      if (line.charAt(3) !== '-') {
        const r: Reply = { code: Number(line.slice(0, 3)), lines: this.lines };
        this.lines = [];
        const waiter = this.waiter;
        this.waiter = undefined;
        if (waiter) waiter.resolve(r);
        else this.replies.push(r);
      }
    }
  };

  private readonly onClose = (): void => this.fail(new Error('connection closed'));
  private readonly onError = (error: Error): void => this.fail(error);

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  next(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async expect(code: number, what: string): Promise<Reply> {
    const r = await this.next();
    if (r.code !== code) throw new Error(`${what}: expected ${code}, got ${r.code} ${r.lines.join(' / ')}`);
    return r;
  }

  /** Stops reading; fails if anything is left unread. */
  detach(): net.Socket {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
    if (this.buffer !== '' || this.replies.length > 0)
      throw new Error('unexpected bytes after the last reply');
    return this.socket;
  }
}

/** tls.connect options; tls.connect passes net.connect's options on (its types omit localAddress). */
export function tlsOptions(options: {
  host: string;
  port: number;
  localAddress: string;
  ca: string;
  servername: string;
}): tls.ConnectionOptions {
  const typed: tls.ConnectionOptions & { localAddress: string } = options;
  return typed;
}

/** Connects; resolves once TCP (or the TLS handshake) is done. */
export function connect(endpoint: Endpoint, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.tls
      ? tls.connect(tlsOptions({ host: endpoint.host, port: endpoint.port, localAddress, ...endpoint.tls }))
      : net.connect({ host: endpoint.host, port: endpoint.port, localAddress, noDelay: true });
    socket.setNoDelay(true);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** SCRAM-SHA-256 after the greeting; HELLO is pipelined with AUTHENTICATE (allowed: it is last). */
export async function authenticate(
  socket: net.Socket,
  reader: ReplyReader,
  credentials: Credentials,
): Promise<void> {
  const scram = scramExchange(credentials.user, credentials.password);
  socket.write(`HELLO bench\r\nAUTHENTICATE SCRAM-SHA-256 ${scram.first}\r\n`);
  await reader.expect(250, 'HELLO');
  const serverFirst = await reader.expect(334, 'AUTHENTICATE');
  socket.write(`${scram.final(serverFirst.lines[0] ?? '')}\r\n`);
  const serverFinal = await reader.expect(334, 'SCRAM client-final');
  scram.verify(serverFinal.lines[0] ?? '');
  socket.write('\r\n');
  await reader.expect(235, 'SCRAM end');
}

/** A greeted (and, with credentials, authenticated) session, its socket handed over bare. */
export async function openSession(
  endpoint: Endpoint,
  localAddress: string,
  credentials?: Credentials,
): Promise<net.Socket> {
  const socket = await connect(endpoint, localAddress);
  const reader = new ReplyReader(socket);
  try {
    await reader.expect(220, 'greeting');
    if (credentials) await authenticate(socket, reader, credentials);
    return reader.detach();
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Opens `count` sessions, at most `parallel` at a time, spread over the source addresses. */
export async function openSessions(
  count: number,
  open: (localAddress: string) => Promise<net.Socket>,
  sources: readonly string[],
  parallel = 200,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      sockets[i] = await open(sources[i % sources.length] ?? '127.0.0.1');
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } catch (error) {
    for (const s of sockets) s?.destroy();
    throw error;
  }
  return sockets;
}
