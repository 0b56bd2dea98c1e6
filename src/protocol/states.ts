/**
 * The server's session states (figure 19, right, refined; docs/fnap.md §State machines) and the
 * table of which verbs each state accepts. `waiting` is the listener itself and has no session.
 */
export type SessionState =
  | 'accepting' // connected, not authenticated
  | 'sasl' // inside an AUTHENTICATE exchange: lines are SASL responses
  | 'ready' // authenticated
  | 'cmdRecvd' // a command is running; later pipelined lines wait
  | 'data' // inside WRITE FLOW after 354: lines are events until "."
  | 'tls' // TLS handshake after STARTTLS
  | 'closing';

/** Verbs a session may use before it has authenticated. */
export const PRE_AUTH_VERBS: ReadonlySet<string> = new Set([
  'NOOP',
  'QUIT',
  'HELLO',
  'STARTTLS',
  'AUTHENTICATE',
]);

export type VerbVerdict = 'run' | 'auth-required';

/** Whether a known verb may run in the session's state (accepting or ready). */
export function verdictFor(state: 'accepting' | 'ready', verb: string): VerbVerdict {
  if (state === 'ready') return 'run';
  return PRE_AUTH_VERBS.has(verb) ? 'run' : 'auth-required';
}
