/**
 * One FNAP session on one socket. The only code that writes to the socket. It frames lines, runs
 * the guards in a fixed order (shutting down, HTTP probe, framing faults, unknown-command limit,
 * state table), dispatches one command at a time (pipelined lines wait their turn, so replies keep
 * their order and a slow client slows only itself), and owns the mode changes: SASL exchanges,
 * WRITE FLOW's data section and the STARTTLS swap.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Identity } from '../core/identity.ts';
import { describeIdentity } from '../core/identity.ts';
import type { Logger } from '../log/logger.ts';
import { parseCommandLine, isHttpRequest, OBJECT_VERBS } from '../protocol/command-line.ts';
import { ReplyCode } from '../protocol/codes.ts';
import { oneLine, replyForError } from '../protocol/error-replies.ts';
import type { FramedItem, LineFault } from '../protocol/line-framer.ts';
import { LineFramer } from '../protocol/line-framer.ts';
import type { Reply } from '../protocol/reply.ts';
import { closingReply, formatReply, reply } from '../protocol/reply.ts';
import type { SessionState } from '../protocol/states.ts';
import { verdictFor } from '../protocol/states.ts';
import type { SaslServerExchange } from '../auth/sasl/mechanism.ts';
import { decodeBase64Strict } from '../auth/base64.ts';
import type { AgentContext, CommandResult, DataSink, SessionView } from './command.ts';
import { COMMANDS, NOT_YET_SUPPORTED } from './commands/index.ts';

/** Lines framed but not yet executed; past this the socket stops reading (backpressure). */
export const MAX_QUEUED_LINES = 256;
/** Gathered reply text past which it is written at once rather than at the end of the turn. */
export const OUTBOX_FLUSH_OCTETS = 64 * 1024;

type Mode =
  | { readonly kind: 'command' }
  | { readonly kind: 'sasl'; readonly exchange: SaslServerExchange }
  | { readonly kind: 'data'; readonly sink: DataSink };

const FAULT_TEXT: Record<LineFault, string> = {
  'too-long': 'line too long',
  nul: 'NUL byte in command line',
  'bare-cr': 'bare CR in command line',
  'invalid-utf8': 'command line is not valid UTF-8',
};

export interface ConnectionOptions {
  readonly id: string;
  readonly agent: AgentContext;
  readonly tls: boolean;
  /** Needed for STARTTLS; undefined when the agent has no certificate. */
  readonly secureContext: SecureContext | undefined;
  readonly greetingDelayMs: number;
  readonly onClose: () => void;
}

export class Connection implements SessionView {
  readonly id: string;
  readonly remoteAddress: string;
  private socket: Socket;
  private readonly agent: AgentContext;
  private readonly options: ConnectionOptions;
  private readonly log: Logger;
  private readonly framer: LineFramer;
  private readonly queue: FramedItem[] = [];
  private readonly abort = new AbortController();
  private mode: Mode = { kind: 'command' };
  private state: SessionState = 'accepting';
  private secure: boolean;
  private who: Identity | undefined;
  private greeted = false;
  private pumping = false;
  private shuttingDown = false;
  private closed = false;
  /** Replies gathered for one socket write (see write()). */
  private outbox = '';
  private flushScheduled = false;
  /** The socket has closed and the server has been told. */
  private ended = false;
  /** The client has half-closed: no more input; the session ends once the queued lines are answered. */
  private inputEnded = false;
  private unknownCommands = 0;
  private unauthenticatedCommands = 0;
  private authFailures = 0;
  /** Fires after idleTimeoutMs without a complete line while no command runs (not mere socket activity). */
  private readonly idleTimer: NodeJS.Timeout;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.agent = options.agent;
    this.id = options.id;
    this.secure = options.tls;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.log = options.agent.log.child({ session: this.id, remote: this.remoteAddress });
    this.framer = new LineFramer(() =>
      this.mode.kind === 'data' ? this.agent.limits.maxEventOctets : this.agent.limits.maxLineOctets,
    );
    this.idleTimer = setTimeout(this.onIdle, this.agent.limits.idleTimeoutMs).unref();
    this.attach(socket);
  }

  get tls(): boolean {
    return this.secure;
  }

  get identity(): Identity | undefined {
    return this.who;
  }

  /** Sends the greeting (after the optional delay that catches clients talking first). */
  start(): void {
    this.log.debug({ tls: this.secure }, 'session opened');
    const greet = () => {
      if (this.closed) return;
      this.greeted = true;
      this.write(reply(ReplyCode.Greeting, `${this.agent.fqdn} FNAA ESON ready`));
      if (this.queue.length > 0) void this.pump();
    };
    if (this.options.greetingDelayMs > 0) setTimeout(greet, this.options.greetingDelayMs).unref();
    else greet();
  }

  /** Graceful shutdown: idle sessions get 421 now, busy ones once their command has finished. */
  shutdown(): void {
    if (this.closed || this.shuttingDown) return;
    this.shuttingDown = true;
    this.abort.abort();
    if (!this.pumping || this.mode.kind !== 'command') this.closeWith(this.shutdownReply());
  }

  /** Cuts the connection without a reply (the shutdown grace period is over). */
  destroy(): void {
    this.socket.destroy();
  }

  private shutdownReply(): Reply {
    return closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} shutting down`);
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onSocketClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onSocketClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    if (!this.greeted) {
      this.closeWith(closingReply(ReplyCode.Rejected, `${this.agent.fqdn} data before greeting`));
      return;
    }
    const items = this.framer.push(chunk);
    if (items.length === 0) return;
    this.idleTimer.refresh();
    for (const item of items) this.queue.push(item);
    if (this.queue.length >= MAX_QUEUED_LINES) this.socket.pause();
    void this.pump();
  };

  private readonly onEnd = (): void => {
    this.inputEnded = true;
    if (!this.pumping) this.endAfterInput();
  };

  /** After a half-close: once every line received has been answered, end the connection. */
  private endAfterInput(): void {
    if (this.closed || this.queue.length > 0) return;
    // A WRITE FLOW batch still open stores nothing, as when the connection is lost.
    this.closed = true;
    this.state = 'closing';
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  private readonly onIdle = (): void => {
    if (this.closed) return;
    // A long poll (READ FLOW ... WAIT) is not idleness: its end rearms the timer.
    if (this.pumping && this.mode.kind === 'command') {
      this.idleTimer.refresh();
      return;
    }
    this.log.info('idle timeout');
    this.closeWith(closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} idle timeout`));
  };

  private readonly onError = (error: Error): void => {
    this.log.debug({ err: error.message }, 'socket error');
    this.socket.destroy();
  };

  private readonly onSocketClose = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.closed = true;
    this.state = 'closing';
    this.abort.abort();
    clearTimeout(this.idleTimer);
    this.queue.length = 0;
    // A client that leaves inside WRITE FLOW stores nothing: the batch only exists in memory.
    if (this.mode.kind === 'data') this.log.info('client left inside WRITE FLOW; the batch was dropped');
    this.mode = { kind: 'command' };
    this.log.debug('session closed');
    this.options.onClose();
  };

  /** Runs queued lines one at a time, in order. */
  private async pump(): Promise<void> {
    if (this.pumping || !this.greeted) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        const item = this.queue.shift();
        if (!item) break;
        if (this.queue.length < MAX_QUEUED_LINES / 2 && this.socket.isPaused()) this.socket.resume();
        // Most commands answer without waiting for anything: only a real wait yields the turn.
        const pending = this.process(item);
        if (pending) await pending;
        this.idleTimer.refresh();
        if (this.shuttingDown && this.mode.kind === 'command' && !this.closed) {
          this.closeWith(this.shutdownReply());
        }
      }
    } catch (error) {
      // A bug, not a user error: close this session only, the agent keeps serving everyone else.
      this.log.error({ err: error instanceof Error ? error.stack : String(error) }, 'internal error');
      this.closeWith(closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} internal error, closing`));
    } finally {
      this.pumping = false;
    }
    if (!this.closed && this.socket.isPaused() && this.state !== 'tls') this.socket.resume();
    if (this.inputEnded) this.endAfterInput();
  }

  private process(item: FramedItem): Promise<void> | void {
    switch (this.mode.kind) {
      case 'data':
        return this.processData(this.mode.sink, item);
      case 'sasl':
        return this.processSasl(this.mode.exchange, item);
      case 'command':
        return this.processCommand(item);
    }
  }

  private processCommand(item: FramedItem): Promise<void> | void {
    // A line pipelined behind a WRITE FLOW batch's "." was framed under the event limit.
    if (item.kind === 'line' && Buffer.byteLength(item.text, 'utf8') > this.agent.limits.maxLineOctets) {
      item = { kind: 'fault', fault: 'too-long' };
    }
    if (item.kind === 'fault') {
      const r = reply(ReplyCode.SyntaxError, this.faultText(item.fault));
      // An over-long line never counts towards closing the session (the contract keeps it open).
      return item.fault === 'too-long' ? this.send(r) : this.unrecognised(r);
    }
    const line = item.text;
    if (isHttpRequest(line)) {
      return this.closeWith(
        closingReply(
          ReplyCode.ServiceClosing,
          `${this.agent.fqdn} this is an FNAP agent, not an HTTP server`,
        ),
      );
    }
    const command = parseCommandLine(line);
    if (!command) return this.unrecognised(reply(ReplyCode.SyntaxError, 'empty command line'));
    const authenticated = this.who !== undefined;
    if (!authenticated && ++this.unauthenticatedCommands > this.agent.limits.maxUnauthenticatedCommands) {
      return this.closeWith(
        closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} too many commands without authentication`),
      );
    }
    const handler = COMMANDS.get(command.verb);
    if (!handler && !NOT_YET_SUPPORTED.has(command.verb)) {
      if (OBJECT_VERBS.has(command.verb)) {
        return this.send(
          reply(ReplyCode.BadArguments, `${command.verb} needs an object, e.g. ${command.verb} FLOW`),
        );
      }
      return this.unrecognised(
        reply(ReplyCode.UnknownCommand, `unknown command "${oneLine(command.verb).slice(0, 64)}"`),
      );
    }
    // The state comes before support: reserved verbs too are 530 before authentication.
    if (verdictFor(authenticated ? 'ready' : 'accepting', command.verb) === 'auth-required') {
      return this.send(reply(ReplyCode.AuthRequired, 'authentication required'));
    }
    if (!handler) {
      return this.send(reply(ReplyCode.UnknownCommand, `${command.verb} is not supported by this agent`));
    }
    this.log.debug({ verb: command.verb }, 'command');
    this.state = 'cmdRecvd';
    let outcome: CommandResult | Promise<CommandResult>;
    try {
      outcome = handler(command.args, { session: this, agent: this.agent, signal: this.abort.signal });
    } catch (error) {
      outcome = this.errorResult(error);
    }
    if (outcome instanceof Promise) return this.finishCommand(outcome);
    this.commandDone();
    return this.act(outcome);
  }

  private async finishCommand(outcome: Promise<CommandResult>): Promise<void> {
    let result: CommandResult;
    try {
      result = await outcome;
    } catch (error) {
      result = this.errorResult(error);
    } finally {
      this.commandDone();
    }
    return this.act(result);
  }

  /** A domain error becomes its reply; anything else is a bug and propagates (421, session closed). */
  private errorResult(error: unknown): CommandResult {
    const mapped = replyForError(error);
    if (!mapped) throw error;
    return { kind: 'reply', reply: mapped };
  }

  private commandDone(): void {
    if (!this.closed) this.state = this.who ? 'ready' : 'accepting';
  }

  private act(result: CommandResult): Promise<void> | void {
    switch (result.kind) {
      case 'reply':
        if (result.afterSend) return this.sendThen(result.reply, result.afterSend);
        return this.send(result.reply);
      case 'starttls':
        return this.startTls();
      case 'sasl':
        this.state = 'sasl';
        this.mode = { kind: 'sasl', exchange: result.mechanism.start({ lookupUser: this.lookupUser }) };
        return this.saslStep(result.initial);
      case 'data':
        this.state = 'data';
        this.mode = { kind: 'data', sink: result.sink };
        return this.send(reply(ReplyCode.StartData, 'send events, end with <CRLF>.<CRLF>'));
    }
  }

  private readonly lookupUser = async (name: string) => {
    const user = await this.agent.deps.registry.getUser(name);
    return user ? { credential: user.credential, disabled: user.disabled } : undefined;
  };

  private faultText(fault: LineFault): string {
    return fault === 'too-long'
      ? `line too long (max ${this.agent.limits.maxLineOctets} octets)`
      : FAULT_TEXT[fault];
  }

  /** Counts a line the agent could not make sense of; too many close the session. */
  private async unrecognised(r: Reply): Promise<void> {
    if (++this.unknownCommands >= this.agent.limits.maxUnknownCommands) {
      return this.closeWith(
        closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} too many unrecognised commands`),
      );
    }
    return this.send(r);
  }

  private processData(sink: DataSink, item: FramedItem): Promise<void> | void {
    if (item.kind === 'fault') {
      // Inside a batch every fault is the event's fault: the batch is refused at ".".
      sink.fault(item.fault);
      return;
    }
    const text = item.text;
    if (text === '.') return this.finishBatch(sink);
    // Dot-stuffing (RFC 5321 §4.5.2): a leading "." was doubled by the client.
    sink.line(text.startsWith('.') ? text.slice(1) : text);
  }

  private async finishBatch(sink: DataSink): Promise<void> {
    this.mode = { kind: 'command' };
    this.state = 'cmdRecvd';
    try {
      const r = await sink.finish();
      await this.send(r);
    } finally {
      this.commandDone();
    }
  }

  private async processSasl(exchange: SaslServerExchange, item: FramedItem): Promise<void> {
    // SASL lines are framed like command lines: a framing fault is a 500 and ends the exchange.
    if (item.kind === 'fault') return this.endSasl(reply(ReplyCode.SyntaxError, this.faultText(item.fault)));
    if (item.text === '*') return this.endSasl(reply(ReplyCode.BadArguments, 'authentication cancelled'));
    let response: Buffer;
    try {
      response = decodeBase64Strict(item.text.trim());
    } catch {
      const command = parseCommandLine(item.text);
      if (command && (COMMANDS.has(command.verb) || NOT_YET_SUPPORTED.has(command.verb))) {
        // A client that did not wait for the 334: the command is not run.
        return this.endSasl(
          reply(ReplyCode.BadSequence, 'command not allowed during authentication; exchange cancelled'),
        );
      }
      return this.endSasl(reply(ReplyCode.BadArguments, 'SASL response is not valid base64'));
    }
    void exchange;
    return this.saslStep(response);
  }

  private async saslStep(response: Buffer | null): Promise<void> {
    if (this.mode.kind !== 'sasl') return;
    const step = await this.mode.exchange.step(response);
    switch (step.kind) {
      case 'challenge':
        return this.send(reply(ReplyCode.SaslContinue, step.data.toString('base64')));
      case 'success':
        this.who = step.identity;
        this.mode = { kind: 'command' };
        this.state = 'ready';
        this.log.info({ identity: describeIdentity(step.identity) }, 'authenticated');
        return this.send(
          reply(ReplyCode.Authenticated, `authenticated as ${describeIdentity(step.identity)}`),
        );
      case 'failure':
        if (step.reason === 'malformed')
          return this.endSasl(reply(ReplyCode.BadArguments, oneLine(step.message)));
        return this.authFailed(step.message);
    }
  }

  private endSasl(r: Reply): Promise<void> | void {
    this.mode = { kind: 'command' };
    this.state = 'accepting';
    return this.send(r);
  }

  /** 535 after a delay that doubles with each failure; the last allowed failure closes with 421. */
  private async authFailed(reason: string): Promise<void> {
    this.mode = { kind: 'command' };
    this.state = 'accepting';
    this.authFailures++;
    this.log.info({ failures: this.authFailures, reason }, 'authentication failed');
    if (this.authFailures >= this.agent.limits.maxAuthFailures) {
      return this.closeWith(
        closingReply(ReplyCode.ServiceClosing, `${this.agent.fqdn} too many authentication failures`),
      );
    }
    const delay = this.agent.limits.authFailureDelayMs * 2 ** (this.authFailures - 1);
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
    return this.send(reply(ReplyCode.AuthFailed, 'authentication failed'));
  }

  private async startTls(): Promise<void> {
    const context = this.options.secureContext;
    if (!context) return this.send(reply(ReplyCode.UnknownCommand, 'STARTTLS not offered'));
    await this.send(reply(ReplyCode.ReadyForTls, 'ready to start TLS'));
    // The 220 must be on the wire before the socket changes hands.
    this.flush();
    if (this.closed) return;
    // Bytes pipelined behind STARTTLS were sent in the clear before the handshake: never run them.
    this.queue.length = 0;
    this.framer.discard();
    this.state = 'tls';
    const plain = this.socket;
    this.detach(plain);
    // The TLS socket inherits this: a FIN during the handshake closes it, as on the implicit-TLS port.
    plain.allowHalfOpen = false;
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    this.socket = secure;
    const timer = setTimeout(() => {
      this.log.info('TLS handshake timed out');
      secure.destroy();
    }, this.agent.limits.tlsHandshakeTimeoutMs);
    timer.unref();
    secure.once('secure', () => {
      clearTimeout(timer);
      // RFC 3207 §4.2: the session starts over; no greeting, the client sends HELLO again.
      this.secure = true;
      secure.allowHalfOpen = true;
      this.who = undefined;
      this.unknownCommands = 0;
      this.unauthenticatedCommands = 0;
      this.authFailures = 0;
      this.state = 'accepting';
      this.log.debug('TLS established');
    });
    this.attach(secure);
    secure.on('close', () => clearTimeout(timer));
  }

  /** Writes a reply; waits for the socket to drain so a slow reader slows only its own session. */
  /** Writes a reply; returns a promise only when the socket is full and the session must wait. */
  private send(r: Reply): Promise<void> | void {
    if (r.close) return this.closeWith(r);
    if (this.closed) return;
    if (!this.write(r)) return this.drained();
  }

  private async sendThen(r: Reply, afterSend: () => Promise<void>): Promise<void> {
    await this.send(r);
    if (!this.closed) await afterSend();
  }

  /**
   * Replies written in one turn of the event loop leave in one socket write (a pipelined batch of
   * commands costs one syscall and one string conversion, not one per reply); a command that
   * waits (a long poll, a slow broker) yields the turn, so the replies before it are not held back.
   * Returns false when the socket's buffer is full: the caller waits for 'drain'.
   */
  private write(r: Reply): boolean {
    this.outbox += formatReply(r);
    if (this.outbox.length >= OUTBOX_FLUSH_OCTETS) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.scheduledFlush);
    }
    return true;
  }

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Hands the gathered replies to the socket; false when its buffer is full. */
  private flush(): boolean {
    if (this.outbox.length === 0 || this.socket.destroyed) return true;
    const text = this.outbox;
    this.outbox = '';
    return this.socket.write(text);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private closeWith(r: Reply): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'closing';
    this.flush();
    this.socket.end(formatReply(r));
    // A peer that never reads must not hold the socket open forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }
}
