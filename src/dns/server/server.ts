/**
 * The embedded authoritative DNS server of `eson dev` (shared/product/local-network.md): it plays
 * the Internet's DNS for every participant on one machine. It holds each participant's zone,
 * answers queries for them with authority (and REFUSED for any other name: it is no resolver),
 * and lets each participant change its own zone, and only its own, by RFC 2136 UPDATE signed with
 * its TSIG key, exactly as a BIND9 primary configured with `update-policy { grant <key> zonesub
 * ANY; }` would. UDP and TCP listen on one port. With `stateFile`, every applied update is on
 * disk before it is acknowledged, and a new server started on the same file serves the same
 * records.
 *
 * Layers: server.ts (sockets, lifecycle) -> tcp-connection.ts (framing) -> dispatch.ts (guards,
 * TSIG, fitting the answer) -> answer-query.ts / handle-update.ts (Reply values) ->
 * update-rules.ts (RFC 2136, pure) and zone-store.ts (snapshots, serialisation, persistence).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { EsonError, invalidArgument } from '../../core/errors.ts';
import type { Logger } from '../../log/logger.ts';
import { silentLogger } from '../../log/logger.ts';
import type { Transport } from './answer-query.ts';
import type { DispatchContext } from './dispatch.ts';
import { dispatch } from './dispatch.ts';
import type { DnsZoneOptions, EmbeddedDnsServerOptions, ServerConfig } from './options.ts';
import { parseServerOptions, parseZoneOptions } from './options.ts';
import { loadState } from './state-file.ts';
import { TcpConnection } from './tcp-connection.ts';
import { ZoneStore } from './zone-store.ts';

export interface DnsServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Attempts at finding a port free for both UDP and TCP when the port option is 0. */
const PORT_ATTEMPTS = 20;

type State = 'new' | 'starting' | 'running' | 'stopped';

export class EmbeddedDnsServer {
  readonly #config: ServerConfig;
  readonly #log: Logger;
  readonly #store: ZoneStore;
  readonly #connections = new Set<TcpConnection>();
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  #address: DnsServerAddress | undefined;
  #state: State = 'new';
  /** answers being computed (UDP); stop() waits for them */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: EmbeddedDnsServerOptions) {
    this.#config = parseServerOptions(options);
    this.#log = this.#config.log ?? silentLogger();
    this.#store = new ZoneStore({
      stateFile: this.#config.stateFile,
      maxPendingUpdatesPerZone: this.#config.limits.maxPendingUpdatesPerZone,
    });
    for (const zone of this.#config.zones) this.#store.addZone(zone);
  }

  /** Where the server listens, once started. */
  get address(): DnsServerAddress | undefined {
    return this.#address;
  }

  /**
   * Holds one more zone, at once if the server runs. A zone the state file holds keeps its
   * records; the key must not already be configured with another secret.
   */
  addZone(zone: DnsZoneOptions): void {
    if (this.#state === 'stopped') throw new EsonError('unavailable', 'the DNS server is stopped');
    this.#store.addZone(parseZoneOptions(zone));
  }

  /** Loads the state file, then listens on UDP and TCP (one port). Once per server. */
  async start(): Promise<DnsServerAddress> {
    if (this.#state !== 'new') throw invalidArgument('the embedded DNS server can be started only once');
    this.#state = 'starting';
    try {
      if (this.#config.stateFile !== undefined) this.#store.load(await loadState(this.#config.stateFile));
      this.#address = await this.#listen();
    } catch (error) {
      this.#state = 'stopped';
      await this.#close();
      throw error;
    }
    this.#state = 'running';
    this.#log.info({ ...this.#address, stateFile: this.#config.stateFile }, 'embedded DNS server listening');
    return this.#address;
  }

  /** Stops listening, closes TCP connections, and waits for updates under way to be written. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await this.#close();
    await Promise.allSettled([...this.#inFlight]);
    await this.#store.drain();
    this.#log.info('embedded DNS server stopped');
  }

  async #close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const connection of this.#connections) connection.destroy();
    this.#connections.clear();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp?.listening ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  #context(): DispatchContext {
    return {
      store: this.#store,
      limits: this.#config.limits,
      log: this.#log,
      now: () => Math.floor(Date.now() / 1000),
    };
  }

  async #listen(): Promise<DnsServerAddress> {
    const { host, port } = this.#config;
    const attempts = port === 0 ? PORT_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        try {
          udp.close();
        } catch {
          // never bound: nothing to close
        }
        throw error;
      }
      const bound = udp.address().port;
      const tcp = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
      try {
        tcp.listen(bound, host);
        await once(tcp, 'listening');
      } catch (error) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < attempts) continue;
        throw error;
      }
      this.#udp = udp;
      this.#tcp = tcp;
      udp.on('message', (packet, peer) => this.#onDatagram(packet, peer));
      udp.on('error', (error) => this.#log.warn({ err: error.message }, 'DNS UDP socket error'));
      tcp.on('error', (error) => this.#log.warn({ err: error.message }, 'DNS TCP listener error'));
      return { host, port: bound };
    }
  }

  #answer(packet: Uint8Array, transport: Transport): Promise<Uint8Array | undefined> {
    const work = dispatch(packet, transport, this.#context());
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  #onDatagram(packet: Buffer, peer: dgram.RemoteInfo): void {
    if (peer.port === 0) return;
    const socket = this.#udp;
    void this.#answer(new Uint8Array(packet), 'udp').then(
      (answer) => {
        if (answer === undefined || this.#udp !== socket || socket === undefined) return;
        socket.send(answer, peer.port, peer.address, (error) => {
          if (error) this.#log.debug({ err: error.message }, 'DNS UDP send failed');
        });
      },
      (error: unknown) => this.#log.error({ err: (error as Error).message }, 'DNS UDP: answering failed'),
    );
  }

  #accept(socket: net.Socket): void {
    const { maxTcpConnections } = this.#config.limits;
    if (this.#state !== 'running' || this.#connections.size >= maxTcpConnections) {
      this.#log.warn(
        { connections: this.#connections.size },
        'DNS TCP: connection refused (limit or stopping)',
      );
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const connection = new TcpConnection(
      socket,
      (packet) => this.#answer(packet, 'tcp'),
      this.#config.limits,
      this.#log,
    );
    this.#connections.add(connection);
    socket.on('close', () => this.#connections.delete(connection));
    connection.start();
  }
}
