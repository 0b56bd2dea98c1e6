/**
 * The agent's listeners: a plain port (STARTTLS offered when a certificate is configured) and an
 * implicit-TLS port. It enforces the session limits on connect and runs the graceful shutdown;
 * everything inside a session belongs to Connection.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import type { AgentContext } from './command.ts';
import { Connection } from './connection.ts';
import { ReplyCode } from '../protocol/codes.ts';

export interface TlsMaterial {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

export interface AgentServerOptions {
  readonly agent: AgentContext;
  readonly host: string;
  /** STARTTLS port; 0 picks a free one. */
  readonly port: number;
  /** Implicit-TLS port; 0 picks a free one; undefined (or no certificate) opens none. */
  readonly tlsPort?: number | undefined;
  readonly tls?: TlsMaterial | undefined;
  readonly greetingDelayMs?: number;
}

export interface ListeningAddresses {
  readonly port: number;
  readonly tlsPort: number | undefined;
}

export class AgentServer {
  private readonly options: AgentServerOptions;
  private readonly agent: AgentContext;
  private readonly sessions = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  private readonly secureContext: tls.SecureContext | undefined;
  private plainServer: net.Server | undefined;
  private tlsServer: tls.Server | undefined;
  private stopping = false;
  private sequence = 0;
  private readonly idPrefix = randomBytes(3).toString('hex');

  constructor(options: AgentServerOptions) {
    this.options = options;
    this.agent = options.agent;
    this.secureContext = options.tls
      ? tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' })
      : undefined;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<ListeningAddresses> {
    const { host } = this.options;
    // allowHalfOpen: a client that sends its commands and then its FIN still gets every reply
    // (the session ends the connection itself once it has answered them). TLS sockets get it once
    // their handshake is done: before, a client's FIN must still close them.
    this.plainServer = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
      this.accept(socket, false),
    );
    this.plainServer.listen(this.options.port, host);
    await once(this.plainServer, 'listening');
    let tlsPort: number | undefined;
    if (this.secureContext && this.options.tlsPort !== undefined) {
      const material = this.options.tls;
      this.tlsServer = tls.createServer({
        key: material?.key,
        cert: material?.cert,
        handshakeTimeout: this.agent.limits.tlsHandshakeTimeoutMs,
        minVersion: 'TLSv1.2',
      });
      this.tlsServer.on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket, true));
      this.tlsServer.on('tlsClientError', (error) =>
        this.agent.log.debug({ err: error.message }, 'TLS client error'),
      );
      this.tlsServer.listen(this.options.tlsPort, host);
      await once(this.tlsServer, 'listening');
      tlsPort = (this.tlsServer.address() as net.AddressInfo).port;
    }
    const port = (this.plainServer.address() as net.AddressInfo).port;
    this.agent.log.info({ host, port, tlsPort, fqdn: this.agent.fqdn }, 'agent listening');
    return { port, tlsPort };
  }

  private accept(socket: net.Socket, implicitTls: boolean): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    const { maxSessions, maxSessionsPerAddress } = this.agent.limits;
    if (this.stopping || this.sessions.size >= maxSessions || fromAddress >= maxSessionsPerAddress) {
      const why = this.stopping ? 'shutting down' : 'too many sessions';
      socket.on('error', () => socket.destroy());
      socket.end(`${ReplyCode.ServiceClosing} ${this.agent.fqdn} ${why}\r\n`);
      this.agent.log.warn({ address, sessions: this.sessions.size }, `refused a session: ${why}`);
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    socket.allowHalfOpen = true;
    const connection = new Connection(socket, {
      id: `${this.idPrefix}-${(++this.sequence).toString(36)}`,
      agent: this.agent,
      tls: implicitTls,
      secureContext: this.secureContext,
      greetingDelayMs: this.options.greetingDelayMs ?? 0,
      onClose: () => {
        this.sessions.delete(connection);
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
      },
    });
    this.sessions.add(connection);
    connection.start();
  }

  /**
   * Graceful shutdown: stop accepting, send 421 to idle sessions at once and to busy ones when their
   * command ends (nothing half-written), then cut whatever is left after the grace period.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const closed = Promise.all([closeServer(this.plainServer), closeServer(this.tlsServer)]);
    for (const session of this.sessions) session.shutdown();
    const deadline = Date.now() + this.agent.limits.shutdownGraceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const session of this.sessions) session.destroy();
    await closed;
    this.agent.log.info('agent stopped');
  }
}

function closeServer(server: net.Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
