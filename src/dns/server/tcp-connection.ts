/**
 * One DNS-over-TCP connection (RFC 1035 §4.2.2, RFC 7766): messages framed by a two-octet length,
 * any number per connection, answered in the order they came. Reading pauses while too many wait
 * for their answer and while the socket's send buffer is full. The connection closes after
 * `tcpIdleTimeoutMs` without a request (RFC 7766 §6.2.3), on a request it cannot answer (a frame
 * that is no DNS message, or over the size limit), and after answering everything once the
 * client has closed its side. Only this class writes to the socket.
 */
import type net from 'node:net';
import type { Logger } from '../../log/logger.ts';
import type { DnsServerLimits } from './limits.ts';

export type Handle = (packet: Uint8Array) => Promise<Uint8Array | undefined>;

const LENGTH_OCTETS = 2;

export class TcpConnection {
  readonly #socket: net.Socket;
  readonly #handle: Handle;
  readonly #limits: DnsServerLimits;
  readonly #log: Logger;
  #buffered: Buffer = Buffer.alloc(0);
  #pending = 0;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(socket: net.Socket, handle: Handle, limits: DnsServerLimits, log: Logger) {
    this.#socket = socket;
    this.#handle = handle;
    this.#limits = limits;
    this.#log = log;
  }

  start(): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.#limits.tcpIdleTimeoutMs);
    socket.on('timeout', () => {
      // Busy is not idle: the answer being written re-arms the timer.
      if (this.#pending === 0) this.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      void this.#queue.then(() => {
        if (!this.#closed) socket.end();
      });
    });
    socket.on('error', (error) => this.#log.debug({ err: error.message }, 'DNS TCP connection error'));
    socket.on('close', () => {
      this.#closed = true;
    });
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (!this.#closed && this.#buffered.length >= LENGTH_OCTETS) {
      const length = this.#buffered.readUInt16BE(0);
      if (length > this.#limits.maxMessageOctets) {
        this.#log.debug({ length }, 'DNS TCP: request over the size limit, closing');
        this.destroy();
        return;
      }
      if (this.#buffered.length < LENGTH_OCTETS + length) break;
      const frame = new Uint8Array(this.#buffered.subarray(LENGTH_OCTETS, LENGTH_OCTETS + length));
      this.#buffered = this.#buffered.subarray(LENGTH_OCTETS + length);
      this.#enqueue(frame);
    }
    if (this.#pending >= this.#limits.maxTcpPipelinedMessages) this.#socket.pause();
  }

  #enqueue(frame: Uint8Array): void {
    this.#pending += 1;
    this.#queue = this.#queue
      .then(async () => {
        const answer = await this.#handle(frame);
        if (this.#closed) return;
        if (answer === undefined) {
          this.#log.debug({ octets: frame.length }, 'DNS TCP: unanswerable request, closing');
          this.destroy();
          return;
        }
        const out = Buffer.alloc(LENGTH_OCTETS + answer.length);
        out.writeUInt16BE(answer.length, 0);
        out.set(answer, LENGTH_OCTETS);
        if (!this.#socket.write(out)) await this.#drained();
      })
      .catch((error: unknown) => {
        this.#log.error({ err: (error as Error).message }, 'DNS TCP: answering failed, closing');
        this.destroy();
      })
      .finally(() => {
        this.#pending -= 1;
        if (
          !this.#closed &&
          this.#pending < this.#limits.maxTcpPipelinedMessages &&
          this.#socket.isPaused()
        ) {
          this.#socket.resume();
        }
      });
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.once('drain', done);
      this.#socket.once('close', done);
    });
  }
}
