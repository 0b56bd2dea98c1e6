/**
 * SCRAM-SHA-256 (RFC 5802 with RFC 7677), server side, without channel binding (no -PLUS variant).
 *
 *   C: n,,n=user,r=<cnonce>                         client-first-message
 *   S: r=<cnonce><snonce>,s=<salt>,i=<iterations>   server-first-message   (challenge)
 *   C: c=biws,r=<cnonce><snonce>,p=<ClientProof>    client-final-message
 *   S: v=<ServerSignature>                          server-final-message   (challenge)
 *   C: (empty)                                      then success
 *
 * The server-final message goes as a challenge and the client's empty answer completes the
 * exchange (FNAP's rule, as in SMTP AUTH practice). Unknown users get a stand-in salt and fail
 * only at the proof, with the same failure as a wrong password.
 */
import { randomBytes } from 'node:crypto';
import { userIdentity } from '../../core/identity.ts';
import { Base64Error, decodeBase64Strict, encodeBase64 } from '../base64.ts';
import {
  decodeScramCredential,
  hmacSha256,
  keysEqual,
  SCRAM_KEY_OCTETS,
  sha256,
  unknownUserCredential,
} from '../scram-credential.ts';
import type { DecodedScramCredential } from '../scram-credential.ts';
import {
  accountDisabled,
  badCredentials,
  challenge,
  clientFirstExchange,
  decodeUtf8,
  failure,
  malformed,
  MAX_USERNAME_OCTETS,
  success,
} from './mechanism.ts';
import type { SaslContext, SaslServerExchange, SaslServerMechanism, SaslStep } from './mechanism.ts';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

/** Random octets in the server's nonce part: 144 bits, 24 base64 characters. */
export const SERVER_NONCE_OCTETS = 18;

/** RFC 5802 §7 `printable`: printable ASCII except ",", the alphabet of nonces. */
export const NONCE_PATTERN = /^[\x21-\x2b\x2d-\x7e]+$/;

// RFC 5802 §7 `attr-val` of an extension: one letter, "=", one or more value-chars (no NUL, no ",").
const EXTENSION = /^[A-Za-z]=[^\0,]+$/;

/** RFC 5802 §5.1: "," and "=" in a saslname travel as "=2C" and "=3D". */
export function encodeSaslname(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/**
 * Decodes a saslname (RFC 5802 §7); undefined when it is empty, holds NUL or "," or an "=" not
 * starting "=2C" or "=3D" (§5.1: the server MUST fail such a name).
 */
export function decodeSaslname(encoded: string): string | undefined {
  if (encoded.length === 0 || /[\0,]/.test(encoded)) return undefined;
  if (/=(?!2C|3D)/.test(encoded)) return undefined;
  return encoded.replaceAll(/=2C|=3D/g, (escape) => (escape === '=2C' ? ',' : '='));
}

/** Byte-wise XOR of two equal-length buffers. */
export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i += 1) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** RFC 5802 §3 AuthMessage. */
export function authMessage(
  clientFirstBare: string,
  serverFirst: string,
  clientFinalWithoutProof: string,
): Buffer {
  return Buffer.from(`${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`, 'utf8');
}

/** The parts of a client-first-message the server acts on. */
export interface ClientFirst {
  /** gs2-header exactly as sent, which the client-final `c=` must repeat (RFC 5802 §7). */
  readonly gs2Header: string;
  readonly authzid: string | undefined;
  readonly username: string;
  readonly clientNonce: string;
  readonly bare: string;
}

/** Parses a client-first-message; a failure step when it is malformed or asks for the unsupported. */
export function parseClientFirst(text: string): ClientFirst | SaslStep {
  // RFC 5802 §6: a server without channel binding support fails "p=".
  if (text.startsWith('p=')) return failure('unsupported', 'channel binding is not supported');
  // "y": the client could bind but thinks the server cannot; true here, so accepted (§6).
  if (!text.startsWith('n,') && !text.startsWith('y,'))
    return malformed('SCRAM gs2 header must start with "n," or "y,"');
  const headerEnd = text.indexOf(',', 2);
  if (headerEnd < 0) return malformed('SCRAM gs2 header is incomplete');
  const authzField = text.slice(2, headerEnd);
  let authzid: string | undefined;
  if (authzField !== '') {
    authzid = authzField.startsWith('a=') ? decodeSaslname(authzField.slice(2)) : undefined;
    if (authzid === undefined) return malformed('SCRAM authorization identity is invalid');
  }
  const bare = text.slice(headerEnd + 1);
  const [userField = '', nonceField = '', ...extensions] = bare.split(',');
  // RFC 5802 §5.1 "m": a mandatory extension this server does not know must fail the exchange.
  if (userField.startsWith('m='))
    return failure('unsupported', 'SCRAM mandatory extensions are not supported');
  if (!userField.startsWith('n='))
    return malformed('SCRAM client-first-message must give the user name (n=)');
  const username = decodeSaslname(userField.slice(2));
  if (username === undefined) return malformed('SCRAM user name is empty or badly escaped');
  if (Buffer.byteLength(username, 'utf8') > MAX_USERNAME_OCTETS) {
    return malformed(`SCRAM user name over ${MAX_USERNAME_OCTETS} octets`);
  }
  if (!nonceField.startsWith('r=')) return malformed('SCRAM client-first-message must give the nonce (r=)');
  const clientNonce = nonceField.slice(2);
  if (!NONCE_PATTERN.test(clientNonce))
    return malformed('SCRAM client nonce must be printable ASCII without ","');
  if (!extensions.every((extension) => EXTENSION.test(extension)))
    return malformed('SCRAM extension is malformed');
  return { gs2Header: text.slice(0, headerEnd + 1), authzid, username, clientNonce, bare };
}

/** The parts of a client-final-message the server acts on. */
export interface ClientFinal {
  readonly channelBinding: string;
  readonly nonce: string;
  readonly proof: string;
  readonly withoutProof: string;
}

/** Parses a client-final-message (syntax only); a string result is the reason it is malformed. */
export function parseClientFinal(text: string): ClientFinal | string {
  const fields = text.split(',');
  const [channelField = '', nonceField = ''] = fields;
  const proofField = fields.length >= 3 ? (fields[fields.length - 1] ?? '') : '';
  if (!channelField.startsWith('c='))
    return 'SCRAM client-final-message must start with the channel binding (c=)';
  if (!nonceField.startsWith('r=')) return 'SCRAM client-final-message must give the nonce (r=) second';
  if (!proofField.startsWith('p=')) return 'SCRAM client-final-message must end with the proof (p=)';
  if (!fields.slice(2, -1).every((extension) => EXTENSION.test(extension)))
    return 'SCRAM extension is malformed';
  return {
    channelBinding: channelField.slice(2),
    nonce: nonceField.slice(2),
    proof: proofField.slice(2),
    withoutProof: text.slice(0, text.length - proofField.length - 1),
  };
}

function decodeOrUndefined(text: string): Buffer | undefined {
  try {
    return decodeBase64Strict(text);
  } catch (error) {
    if (error instanceof Base64Error) return undefined;
    throw error;
  }
}

function serverNonce(ctx: SaslContext): string {
  const nonce = ctx.nonce?.() ?? randomBytes(SERVER_NONCE_OCTETS).toString('base64');
  if (!NONCE_PATTERN.test(nonce)) throw new Error('SCRAM server nonce must be printable ASCII without ","');
  return nonce;
}

/** What the server remembers between client-first and client-final. */
interface Pending {
  readonly first: ClientFirst;
  readonly serverFirst: string;
  readonly nonce: string;
  readonly credential: DecodedScramCredential;
  /** Undefined for an unknown user. */
  readonly disabled: boolean | undefined;
}

class ScramServerExchange {
  readonly #ctx: SaslContext;
  #phase: 'client-first' | 'client-final' | 'client-ack' = 'client-first';
  #pending: Pending | undefined;
  /** Set once the proof has held. */
  #username = '';

  constructor(ctx: SaslContext) {
    this.#ctx = ctx;
  }

  next(response: Buffer): SaslStep | Promise<SaslStep> {
    const text = decodeUtf8(response);
    switch (this.#phase) {
      case 'client-first':
        if (text === undefined) return malformed('SCRAM message is not valid UTF-8');
        return this.#clientFirst(text);
      case 'client-final':
        if (text === undefined) return malformed('SCRAM message is not valid UTF-8');
        return this.#clientFinal(text);
      case 'client-ack':
        // The client has checked our signature; anything but an empty answer is a protocol error.
        if (response.length !== 0)
          return malformed('SCRAM expects an empty response after the server-final message');
        return success(userIdentity(this.#username));
    }
  }

  async #clientFirst(text: string): Promise<SaslStep> {
    const first = parseClientFirst(text);
    if ('kind' in first) return first;
    // No proxy authorisation: an authzid, if given, must name the authenticating user.
    if (first.authzid !== undefined && first.authzid !== first.username) {
      return failure('unsupported', 'authorization identity must be absent or equal the user name');
    }
    const user = await this.#ctx.lookupUser(first.username);
    const credential = decodeScramCredential(user?.credential ?? unknownUserCredential(first.username));
    const nonce = first.clientNonce + serverNonce(this.#ctx);
    const serverFirst = `r=${nonce},s=${encodeBase64(credential.salt)},i=${credential.iterations}`;
    this.#pending = { first, serverFirst, nonce, credential, disabled: user?.disabled };
    this.#phase = 'client-final';
    return challenge(Buffer.from(serverFirst, 'utf8'));
  }

  #clientFinal(text: string): SaslStep {
    const pending = this.#pending;
    if (pending === undefined) throw new Error('SCRAM client-final before client-first');
    const final = parseClientFinal(text);
    if (typeof final === 'string') return malformed(final);
    const channelBinding = decodeOrUndefined(final.channelBinding);
    if (channelBinding === undefined) return malformed('SCRAM channel binding is not valid base64');
    const proof = decodeOrUndefined(final.proof);
    if (proof?.length !== SCRAM_KEY_OCTETS)
      return malformed(`SCRAM proof must be ${SCRAM_KEY_OCTETS} octets of base64`);
    // Without channel binding, c= carries the gs2 header alone (RFC 5802 §7 cbind-input).
    if (!channelBinding.equals(Buffer.from(pending.first.gs2Header, 'utf8'))) {
      return failure('bad-credentials', 'SCRAM channel binding does not match the gs2 header');
    }
    if (final.nonce !== pending.nonce) return failure('bad-nonce', 'SCRAM nonce does not match');
    // RFC 5802 §3: ClientKey := ClientSignature XOR ClientProof; the proof holds iff H(ClientKey)
    // is StoredKey. Unknown users run the same computation against their stand-in key.
    const message = authMessage(pending.first.bare, pending.serverFirst, final.withoutProof);
    const clientKey = xor(hmacSha256(pending.credential.storedKey, message), proof);
    const proved = keysEqual(sha256(clientKey), pending.credential.storedKey);
    if (!proved || pending.disabled === undefined) return badCredentials();
    // Checked after the proof, so that only the account holder learns it is disabled.
    if (pending.disabled) return accountDisabled();
    this.#phase = 'client-ack';
    this.#username = pending.first.username;
    const serverSignature = hmacSha256(pending.credential.serverKey, message);
    return challenge(Buffer.from(`v=${encodeBase64(serverSignature)}`, 'utf8'));
  }
}

export const scramSha256Mechanism: SaslServerMechanism = {
  name: SCRAM_SHA_256,
  start(ctx: SaslContext): SaslServerExchange {
    const exchange = new ScramServerExchange(ctx);
    return clientFirstExchange((response) => exchange.next(response));
  },
};
