/**
 * A real embedded DNS server per test (127.0.0.1, port 0, its own temporary directory and state
 * file, orange.test and blue.test with fresh random keys), and the outside tools that talk to it:
 * `dig` and `nsupdate` (test/support/dns-tools.ts, aimed at the server here), and raw UDP/TCP
 * sockets for what no tool sends on purpose.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Rfc2136WriterOptions } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import type { Rfc2136Writer } from '../../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import type { DnsZoneKeyOptions, EmbeddedDnsServerOptions } from '../../../src/dns/server/options.ts';
import type { DnsServerAddress } from '../../../src/dns/server/server.ts';
import { EmbeddedDnsServer } from '../../../src/dns/server/server.ts';
import type { DigRecord, NsupdateResult } from '../../support/dns-tools.ts';
import * as tools from '../../support/dns-tools.ts';
import { rfc2136Writer } from '../../support/rfc2136.ts';

export interface Participant {
  readonly zone: string;
  readonly key: DnsZoneKeyOptions;
}

export interface TestDns extends DnsServerAddress {
  readonly server: EmbeddedDnsServer;
  readonly dir: string;
  readonly stateFile: string;
  readonly orange: Participant;
  readonly blue: Participant;
  /** Stops this server and starts a new one on the same state file and port. */
  restart(): Promise<TestDns>;
  /** Stops the server (the directory stays until `cleanup`). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

const key = (name: string): DnsZoneKeyOptions => ({
  name,
  algorithm: 'hmac-sha256',
  secret: randomBytes(32).toString('base64'),
});

export async function startDns(options: Partial<EmbeddedDnsServerOptions> = {}): Promise<TestDns> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-dns-server-'));
  const orange = { zone: 'orange.test', key: key('orange-key') };
  const blue = { zone: 'blue.test', key: key('blue-key') };
  const stateFile = path.join(dir, 'dns-state.json');
  /** the server started last: cleanup() stops it, whichever TestDns it is called on */
  let latest: EmbeddedDnsServer | undefined;
  const launch = async (port: number): Promise<TestDns> => {
    const server = new EmbeddedDnsServer({
      host: '127.0.0.1',
      port,
      stateFile,
      zones: [
        { name: orange.zone, keys: [orange.key] },
        { name: blue.zone, keys: [blue.key] },
      ],
      ...options,
    });
    latest = server;
    const address = await server.start();
    return {
      ...address,
      server,
      dir,
      stateFile,
      orange,
      blue,
      async restart() {
        await server.stop();
        return launch(address.port);
      },
      stop: () => server.stop(),
      async cleanup() {
        await latest?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
  try {
    return await launch(0);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs `fn` with a fresh server, always cleaned up. */
export async function withDns(
  fn: (dns: TestDns) => Promise<void>,
  options: Partial<EmbeddedDnsServerOptions> = {},
): Promise<void> {
  const dns = await startDns(options);
  try {
    await fn(dns);
  } finally {
    await dns.cleanup();
  }
}

export function writerFor(
  dns: DnsServerAddress,
  participant: Participant,
  options: Partial<Rfc2136WriterOptions> = {},
): Rfc2136Writer {
  return rfc2136Writer(dns.host, dns.port, participant.zone, participant.key, options);
}

export type { DigRecord, NsupdateResult } from '../../support/dns-tools.ts';
export { digHeader, parseDigRecords as parseRecords } from '../../support/dns-tools.ts';

/** `dig @host -p port <args>` against `dns`: its whole output (see dns-tools.ts). */
export function digRaw(dns: DnsServerAddress, args: readonly string[]): Promise<string> {
  return tools.digRaw(dns.host, dns.port, args);
}

/** `dig` against `dns` (see dns-tools.ts). */
export function dig(
  dns: DnsServerAddress,
  name: string,
  type: string,
  extra: readonly string[] = [],
): Promise<DigRecord[]> {
  return tools.dig(dns.host, dns.port, name, type, { extra });
}

/** `nsupdate -t 3 [flags] [-y ...]` against `dns`: its exit code and output (see dns-tools.ts). */
export function nsupdate(
  dns: DnsServerAddress,
  key: DnsZoneKeyOptions | undefined,
  zone: string,
  commands: readonly string[],
  flags: readonly string[] = [],
): Promise<NsupdateResult> {
  return tools.nsupdate(dns.host, dns.port, key, zone, commands, { timeoutSeconds: 3, flags });
}

/** Sends one datagram; the first datagram back within `waitMs`, if any. */
export function udpExchange(
  dns: DnsServerAddress,
  packet: Uint8Array,
  waitMs = 500,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(undefined), waitMs);
    const finish = (answer: Uint8Array | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    socket.on('message', (answer) => finish(new Uint8Array(answer)));
    socket.send(packet, dns.port, dns.host);
  });
}

/** A TCP client that reads length-prefixed frames and tells when the server closed. */
export class TcpClient {
  readonly socket: net.Socket;
  readonly frames: Uint8Array[] = [];
  closed = false;
  #buffered = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      while (this.#buffered.length >= 2 && this.#buffered.length >= 2 + this.#buffered.readUInt16BE(0)) {
        const length = this.#buffered.readUInt16BE(0);
        this.frames.push(new Uint8Array(this.#buffered.subarray(2, 2 + length)));
        this.#buffered = this.#buffered.subarray(2 + length);
      }
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  static async connect(dns: DnsServerAddress): Promise<TcpClient> {
    const socket = net.connect({ host: dns.host, port: dns.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TcpClient(socket);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `count` frames arrived or the server closed, at most `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes the connection, at most `timeoutMs`. */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    await this.waitFor(Number.POSITIVE_INFINITY, timeoutMs);
    return this.closed;
  }

  send(...messages: Uint8Array[]): void {
    this.socket.write(frame(...messages));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Messages with their two-octet length prefixes, back to back. */
export function frame(...messages: Uint8Array[]): Buffer {
  return Buffer.concat(
    messages.map((m) => {
      const out = Buffer.alloc(2 + m.length);
      out.writeUInt16BE(m.length, 0);
      out.set(m, 2);
      return out;
    }),
  );
}
