/**
 * A raw FNAP client for tests: bytes in, reply lines out, no protocol knowledge beyond RFC 5321
 * reply framing. Tests use it to send exactly what they mean, malformed input included.
 */
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { FQDN } from './agent-harness.ts';

export interface RawReply {
  readonly code: number;
  readonly lines: string[];
  /** The whole reply as received, CRLFs included. */
  readonly raw: string;
}

export class RawClient {
  socket: net.Socket;
  private buffer = '';
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private notify: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    this.listen(socket);
  }

  private listen(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.notify?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, options: { tls?: boolean; ca?: string } = {}): Promise<RawClient> {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, ca: options.ca, servername: FQDN })
      : net.connect({ host: '127.0.0.1', port });
    await once(socket, options.tls ? 'secureConnect' : 'connect');
    return new RawClient(socket);
  }

  /** Connects and reads the 220 greeting. */
  static async open(port: number, options: { tls?: boolean; ca?: string } = {}): Promise<RawClient> {
    const client = await RawClient.connect(port, options);
    const greeting = await client.reply();
    if (greeting.code !== 220) throw new Error(`unexpected greeting ${greeting.raw}`);
    return client;
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends one line with CRLF and returns its reply. */
  async command(line: string, timeoutMs = 5000): Promise<RawReply> {
    this.send(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** Reads one complete (possibly multi-line) reply. */
  async reply(timeoutMs = 5000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.closed) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no complete reply within ${timeoutMs} ms; have: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.notify = undefined;
    }
  }

  private take(): RawReply | undefined {
    let offset = 0;
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n', offset);
      if (end < 0) return undefined;
      const line = this.buffer.slice(offset, end);
      offset = end + 2;
      lines.push(line.slice(4));
      if (line[3] !== '-') {
        const raw = this.buffer.slice(0, offset);
        this.buffer = this.buffer.slice(offset);
        return { code: Number(line.slice(0, 3)), lines, raw };
      }
    }
  }

  /** Resolves when the server has closed the connection (fails after the timeout). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error('server did not close the connection')), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Upgrades after a 220 to STARTTLS: the TLS handshake over the same socket. */
  async upgrade(ca: string): Promise<void> {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tls.connect({ socket: this.socket, ca, servername: FQDN });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}
