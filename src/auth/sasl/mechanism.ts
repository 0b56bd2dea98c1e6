/**
 * The server side of SASL (RFC 4422) as the protocol layer sees it: a mechanism starts an exchange,
 * and each client response yields the next step. Mechanisms never throw for anything the client
 * sends; `step` rejects only when the context does (lookupUser failing, say) or on a programming
 * error (a corrupt stored credential, an invalid injected nonce, overlapping steps).
 */
import type { Identity } from '../../core/identity.ts';
import type { ScramCredential } from '../../ports/registry.ts';

/**
 * Largest decoded client response accepted in one step. RFC 4422 leaves the limit to the protocol;
 * 2048 octets hold any legitimate PLAIN, ANONYMOUS or SCRAM message, and its base64 (2732
 * characters) fits the agent's 4096-octet command line.
 */
export const MAX_SASL_MESSAGE_OCTETS = 2048;

/** Largest user name in UTF-8 octets (RFC 4616 §2 requires servers to accept up to 255). */
export const MAX_USERNAME_OCTETS = 255;

export interface SaslServerExchange {
  /** Called with the client's decoded response (null when the client sent no initial response). */
  step(response: Buffer | null): Promise<SaslStep>;
}

export type SaslStep =
  /** The server sends `334 <base64(data)>`. */
  | { kind: 'challenge'; data: Buffer }
  /** The server sends 235. */
  | { kind: 'success'; identity: Identity }
  /** The server sends 535, or 501 for 'malformed'. `message` never echoes client input. */
  | { kind: 'failure'; reason: SaslFailureReason; message: string };

export type SaslFailureReason = 'malformed' | 'bad-credentials' | 'disabled' | 'bad-nonce' | 'unsupported';

export interface SaslContext {
  lookupUser(name: string): Promise<{ credential: ScramCredential; disabled: boolean } | undefined>;
  /** Random bytes source, injectable so RFC test vectors can be replayed. */
  nonce?: () => string;
}

export interface SaslServerMechanism {
  readonly name: string;
  start(ctx: SaslContext): SaslServerExchange;
}

/** The one message for a wrong password and an unknown user alike, so they cannot be told apart. */
export const AUTHENTICATION_FAILED = 'authentication failed';

export const challenge = (data: Buffer): SaslStep => ({ kind: 'challenge', data });
export const success = (identity: Identity): SaslStep => ({ kind: 'success', identity });
export const failure = (reason: SaslFailureReason, message: string): SaslStep => ({
  kind: 'failure',
  reason,
  message,
});
export const malformed = (message: string): SaslStep => failure('malformed', message);
export const badCredentials = (): SaslStep => failure('bad-credentials', AUTHENTICATION_FAILED);
export const accountDisabled = (): SaslStep => failure('disabled', 'account is disabled');

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 (RFC 3629): undefined for any invalid sequence instead of U+FFFD replacements. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Runs a client-first mechanism's exchange, with the rules every mechanism shares:
 * - a null first response (no initial response) gets an empty challenge (RFC 4422 §5 item 2a);
 *   null is refused anywhere else;
 * - responses over MAX_SASL_MESSAGE_OCTETS are malformed;
 * - once a step succeeded or failed, any further step is malformed.
 * `handle` sees each non-null response and returns the next step.
 */
export function clientFirstExchange(
  handle: (response: Buffer) => SaslStep | Promise<SaslStep>,
): SaslServerExchange {
  let steps = 0;
  let done = false;
  let busy = false;
  return {
    async step(response: Buffer | null): Promise<SaslStep> {
      if (busy) throw new Error('SASL step called before the previous step completed');
      if (done) return malformed('SASL exchange is already complete');
      const first = steps === 0;
      steps += 1;
      if (response === null) {
        if (first) return challenge(Buffer.alloc(0));
        done = true;
        return malformed('SASL response missing');
      }
      if (response.length > MAX_SASL_MESSAGE_OCTETS) {
        done = true;
        return malformed(`SASL response over ${MAX_SASL_MESSAGE_OCTETS} octets`);
      }
      busy = true;
      try {
        const result = await handle(response);
        if (result.kind !== 'challenge') done = true;
        return result;
      } catch (error) {
        done = true;
        throw error;
      } finally {
        busy = false;
      }
    },
  };
}
