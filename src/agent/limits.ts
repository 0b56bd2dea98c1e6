/**
 * The agent's limits: named, documented (docs/fnap.md §Limits) and configurable through the agent's
 * config (`limits` section). Every value here is the default.
 */
export interface AgentLimits {
  /** A command line longer than this (CRLF excluded) is answered 500 and discarded (contract). */
  readonly maxLineOctets: number;
  /** A session with no complete command for this long gets 421 and is closed. */
  readonly idleTimeoutMs: number;
  /** A TLS handshake (implicit TLS or after STARTTLS) that takes longer is abandoned. */
  readonly tlsHandshakeTimeoutMs: number;
  /** Sessions open at once over all clients; the next connection gets 421. */
  readonly maxSessions: number;
  /** Sessions open at once from one client IP address; the next gets 421. */
  readonly maxSessionsPerAddress: number;
  /** Commands accepted before authentication succeeds; then 421. */
  readonly maxUnauthenticatedCommands: number;
  /** Unknown or unparseable commands in one session; then 421. */
  readonly maxUnknownCommands: number;
  /** Failed AUTHENTICATE exchanges in one session; the next failure closes with 421. */
  readonly maxAuthFailures: number;
  /** Delay before answering 535; doubled after each failure in the session. */
  readonly authFailureDelayMs: number;
  /** One event (one line of a WRITE FLOW batch) may not exceed this. */
  readonly maxEventOctets: number;
  /** Events in one WRITE FLOW batch. */
  readonly maxBatchEvents: number;
  /** Octets of event data in one WRITE FLOW batch. */
  readonly maxBatchOctets: number;
  /** READ FLOW answers at most this many events (LIMIT above it is refused with 501). */
  readonly maxReadEvents: number;
  /** READ FLOW answers this many events when LIMIT is absent. */
  readonly defaultReadEvents: number;
  /** READ FLOW stops adding events past this many octets of JSON (at least one is sent). */
  readonly maxReadOctets: number;
  /** READ FLOW ... WAIT accepts at most this many seconds. */
  readonly maxWaitSeconds: number;
  /** On shutdown, commands already running get this long to finish before sessions are cut. */
  readonly shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: AgentLimits = {
  maxLineOctets: 4096,
  idleTimeoutMs: 5 * 60_000,
  tlsHandshakeTimeoutMs: 10_000,
  maxSessions: 20_000,
  maxSessionsPerAddress: 256,
  maxUnauthenticatedCommands: 20,
  maxUnknownCommands: 10,
  maxAuthFailures: 3,
  authFailureDelayMs: 500,
  maxEventOctets: 1024 * 1024,
  maxBatchEvents: 10_000,
  maxBatchOctets: 16 * 1024 * 1024,
  maxReadEvents: 1000,
  defaultReadEvents: 100,
  maxReadOctets: 4 * 1024 * 1024,
  maxWaitSeconds: 60,
  shutdownGraceMs: 10_000,
};
