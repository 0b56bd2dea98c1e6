/**
 * What a command handler sees and returns. Handlers are pure with respect to the socket: they get
 * the parsed arguments and a context, and return a result that only the connection acts upon.
 */
import type { CoreDeps } from '../core/deps.ts';
import type { Identity } from '../core/identity.ts';
import type { Reply } from '../protocol/reply.ts';
import type { SaslServerMechanism } from '../auth/sasl/mechanism.ts';
import type { AgentLimits } from './limits.ts';
import type { Logger } from '../log/logger.ts';
import type { LineFault } from '../protocol/line-framer.ts';

/** Read-only facts about the session a command runs in. */
export interface SessionView {
  readonly id: string;
  readonly remoteAddress: string;
  readonly tls: boolean;
  readonly identity: Identity | undefined;
}

/** Facts about the agent that handlers need. */
export interface AgentContext {
  readonly fqdn: string;
  readonly deps: CoreDeps;
  readonly limits: AgentLimits;
  /** True when the agent has a certificate (STARTTLS is offered on plain sessions). */
  readonly tlsAvailable: boolean;
  /** Accept SASL PLAIN without TLS: only for a loopback development network. */
  readonly insecurePlain: boolean;
  readonly mechanisms: ReadonlyMap<string, SaslServerMechanism>;
  readonly log: Logger;
}

export interface CommandContext {
  readonly session: SessionView;
  readonly agent: AgentContext;
  /** Aborted when the agent shuts down; long polls stop early. */
  readonly signal: AbortSignal;
}

/** A WRITE FLOW batch: the connection feeds it each event line (dot-stuffing already removed). */
export interface DataSink {
  /** Takes one line; returns false once the batch is refused (the rest is read and dropped). */
  line(text: string): boolean;
  /** Tells the sink a line could not be framed (over the event size limit, NUL, bare CR, bad UTF-8). */
  fault(fault: LineFault): void;
  /** Called at the final "."; stores the batch (all or nothing) and answers. */
  finish(): Promise<Reply>;
}

export type CommandResult =
  | { readonly kind: 'reply'; readonly reply: Reply; readonly afterSend?: () => Promise<void> }
  | { readonly kind: 'starttls' }
  | { readonly kind: 'sasl'; readonly mechanism: SaslServerMechanism; readonly initial: Buffer | null }
  | { readonly kind: 'data'; readonly sink: DataSink };

/**
 * A command's logic. It may answer at once (NOOP, HELLO) or asynchronously (anything that touches
 * the registry, a broker or DNS); the connection only waits for the latter.
 */
export type CommandHandler = (
  args: readonly string[],
  ctx: CommandContext,
) => CommandResult | Promise<CommandResult>;

export const done = (r: Reply, afterSend?: () => Promise<void>): CommandResult =>
  afterSend ? { kind: 'reply', reply: r, afterSend } : { kind: 'reply', reply: r };
