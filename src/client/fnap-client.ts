/**
 * An FNAP client (the client state machine of figure 19: idle, conPend, connected, authenticated,
 * cmdPend): used by the `eson` CLI, the tests and benchmarks, and later by agents that talk to
 * other agents. One command at a time, or several pipelined with `pipeline()`.
 */
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { EsonError } from '../core/errors.ts';
import { LineFramer } from '../protocol/line-framer.ts';
import { parseReplyLine } from '../protocol/reply.ts';
import { parseBody } from '../protocol/kv.ts';
import { anonymousInitialResponse, createScramClient, plainInitialResponse } from '../auth/sasl/client.ts';
import { decodeBase64Strict } from '../auth/base64.ts';

/** Longest reply line the client accepts: a READ FLOW line holds one event (1 MiB by default). */
export const MAX_REPLY_LINE_OCTETS = 8 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A reply that takes longer fails the command (READ FLOW's WAIT is added to it). */
export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

export interface FnapReply {
  readonly code: number;
  readonly lines: readonly string[];
}

export type TlsMode = 'implicit' | 'starttls' | 'none';

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /** PEM of the CA that signed the agent's certificate; the system store when absent. */
  readonly ca?: string | Buffer | undefined;
  /** Name to verify the certificate against (the agent's FQDN); defaults to host. */
  readonly servername?: string | undefined;
  readonly clientName?: string;
  readonly connectTimeoutMs?: number;
  readonly replyTimeoutMs?: number;
}

export interface Credentials {
  readonly mechanism: 'SCRAM-SHA-256' | 'PLAIN' | 'ANONYMOUS';
  readonly user?: string;
  readonly password?: string;
}

/** The server answered with a failure class code; `reply` holds what it said. */
export class FnapReplyError extends EsonError {
  readonly reply: FnapReply;
  constructor(command: string, r: FnapReply) {
    super(r.code >= 500 ? 'rejected' : 'unavailable', `${command}: ${r.code} ${r.lines.join(' / ')}`);
    this.name = 'FnapReplyError';
    this.reply = r;
  }
}

interface Waiter {
  resolve: (r: FnapReply) => void;
  reject: (e: Error) => void;
}

export class FnapClient {
  private socket: net.Socket;
  private framer = new LineFramer(() => MAX_REPLY_LINE_OCTETS);
  private readonly waiters: Waiter[] = [];
  private readonly ready: FnapReply[] = [];
  private partial: string[] = [];
  private failure: Error | undefined;
  private readonly options: ConnectOptions;
  capabilities: ReadonlyMap<string, string> = new Map();
  greeting: FnapReply | undefined;

  private constructor(socket: net.Socket, options: ConnectOptions) {
    this.socket = socket;
    this.options = options;
    this.listen(socket);
  }

  /** Connects, reads the greeting, says HELLO and, in starttls mode, upgrades and says HELLO again. */
  static async connect(options: ConnectOptions): Promise<FnapClient> {
    const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket =
      options.tls === 'implicit'
        ? tls.connect({
            host: options.host,
            port: options.port,
            ca: options.ca,
            servername: options.servername ?? options.host,
          })
        : net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const client = new FnapClient(socket, options);
    await withTimeout(
      once(socket, options.tls === 'implicit' ? 'secureConnect' : 'connect').then(() => undefined),
      timeout,
      `connecting to ${options.host}:${options.port}`,
    ).catch((error: unknown) => {
      socket.destroy();
      throw connectError(options, error);
    });
    try {
      client.greeting = await client.next('greeting');
      if (client.greeting.code !== 220) throw new FnapReplyError('greeting', client.greeting);
      await client.hello();
      if (options.tls === 'starttls') {
        if (!client.capabilities.has('STARTTLS')) {
          throw new EsonError(
            'unavailable',
            `${options.host}:${options.port} does not offer STARTTLS; refusing to continue in plaintext`,
          );
        }
        await client.startTls();
      }
    } catch (error) {
      // Nothing of a half-opened session may keep the process alive.
      client.socket.destroy();
      throw error;
    }
    return client;
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** Sends one command line and waits for its reply (any code). */
  async send(line: string, timeoutMs?: number): Promise<FnapReply> {
    this.write(`${line}\r\n`);
    return this.next(line.split(' ', 2).join(' '), timeoutMs);
  }

  /** Sends one command and fails unless the reply is 2xx (or `expected`). */
  async command(line: string, options: { expect?: number; timeoutMs?: number } = {}): Promise<FnapReply> {
    const r = await this.send(line, options.timeoutMs);
    const ok = options.expect === undefined ? r.code >= 200 && r.code < 300 : r.code === options.expect;
    if (!ok) throw new FnapReplyError(line.split(' ').slice(0, 2).join(' '), r);
    return r;
  }

  /** Sends several commands in one write (RFC 2920 pipelining) and returns their replies in order. */
  async pipeline(lines: readonly string[]): Promise<FnapReply[]> {
    this.write(lines.map((l) => `${l}\r\n`).join(''));
    const replies: FnapReply[] = [];
    for (const line of lines) replies.push(await this.next(line));
    return replies;
  }

  async hello(name = this.options.clientName ?? 'eson-cli'): Promise<FnapReply> {
    const r = await this.command(`HELLO ${name}`);
    const caps = new Map<string, string>();
    for (const line of r.lines.slice(1)) {
      const space = line.indexOf(' ');
      caps.set(
        (space < 0 ? line : line.slice(0, space)).toUpperCase(),
        space < 0 ? '' : line.slice(space + 1),
      );
    }
    this.capabilities = caps;
    return r;
  }

  async startTls(): Promise<void> {
    await this.command('STARTTLS', { expect: 220 });
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({
      socket: plain,
      ca: this.options.ca,
      servername: this.options.servername ?? this.options.host,
    });
    this.socket = secure;
    this.framer = new LineFramer(() => MAX_REPLY_LINE_OCTETS);
    this.listen(secure);
    await withTimeout(
      once(secure, 'secureConnect').then(() => undefined),
      this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      'TLS handshake',
    );
    await this.hello();
  }

  /** Runs a SASL exchange; SCRAM-SHA-256 also proves the server knows the credential. */
  async authenticate(credentials: Credentials): Promise<FnapReply> {
    switch (credentials.mechanism) {
      case 'ANONYMOUS':
        return this.command(`AUTHENTICATE ANONYMOUS ${anonymousInitialResponse('eson').toString('base64')}`, {
          expect: 235,
        });
      case 'PLAIN':
        return this.command(
          `AUTHENTICATE PLAIN ${plainInitialResponse(required(credentials.user, 'user'), required(credentials.password, 'password')).toString('base64')}`,
          { expect: 235 },
        );
      case 'SCRAM-SHA-256': {
        const scram = createScramClient(
          required(credentials.user, 'user'),
          required(credentials.password, 'password'),
        );
        const first = await this.command(`AUTHENTICATE SCRAM-SHA-256 ${scram.first().toString('base64')}`, {
          expect: 334,
        });
        const serverFirst = decodeBase64Strict(first.lines[0] ?? '');
        const final = await this.command(scram.final(serverFirst).toString('base64'), { expect: 334 });
        scram.verifyServer(decodeBase64Strict(final.lines[0] ?? ''));
        return this.command('', { expect: 235 });
      }
    }
  }

  /** WRITE FLOW: sends a batch of CloudEvent JSON lines, dot-stuffed, and returns the 250 reply. */
  async writeEvents(flow: string, events: readonly string[]): Promise<FnapReply> {
    await this.command(`WRITE FLOW ${flow}`, { expect: 354 });
    const body = events.map((e) => (e.startsWith('.') ? `.${e}` : e)).join('\r\n');
    return this.command(`${body}${events.length > 0 ? '\r\n' : ''}.`);
  }

  async quit(): Promise<void> {
    try {
      await this.send('QUIT');
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    await once(this.socket, 'close').catch(() => undefined);
    clearTimeout(timer);
  }

  private write(text: string): void {
    if (this.failure) throw this.failure;
    this.socket.write(text);
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.framer.push(chunk)) {
        if (item.kind === 'fault') {
          this.fail(new EsonError('rejected', `malformed reply from agent (${item.fault})`));
          return;
        }
        const parsed = parseReplyLine(item.text);
        if (!parsed) {
          this.fail(new EsonError('rejected', `malformed reply line from agent: ${item.text.slice(0, 80)}`));
          return;
        }
        this.partial.push(parsed.text);
        if (parsed.last) {
          const r: FnapReply = { code: parsed.code, lines: this.partial };
          this.partial = [];
          const waiter = this.waiters.shift();
          if (waiter) waiter.resolve(r);
          else this.ready.push(r);
        }
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new EsonError('unavailable', 'connection closed by the agent')));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }

  private next(
    what: string,
    timeoutMs = this.options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
  ): Promise<FnapReply> {
    const queued = this.ready.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return withTimeout(
      new Promise<FnapReply>((resolve, reject) => this.waiters.push({ resolve, reject })),
      timeoutMs,
      `waiting for the reply to ${what}`,
    ).catch((error: unknown) => {
      // A reply that never came leaves the session out of step: end it rather than misread the next.
      const failure = error instanceof Error ? error : new Error(String(error));
      this.fail(failure);
      this.socket.destroy();
      throw failure;
    });
  }

  /** Parses a `key=value` reply body (DESCRIBE ...). */
  static body(r: FnapReply): Record<string, string> {
    return parseBody(r.lines);
  }
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new EsonError('invalid-argument', `${what} is required`);
  return value;
}

function connectError(options: ConnectOptions, error: unknown): EsonError {
  const message = error instanceof Error ? error.message : String(error);
  return new EsonError(
    'unavailable',
    `cannot reach the agent at ${options.host}:${options.port}: ${message}`,
    { cause: error },
  );
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new EsonError('unavailable', `timed out after ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
