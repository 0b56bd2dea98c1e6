/**
 * The client side of SASL, for the CLI and for agents that talk to other agents: PLAIN (RFC 4616),
 * ANONYMOUS (RFC 4505) and SCRAM-SHA-256 (RFC 5802, RFC 7677) with mutual authentication.
 */
import { randomBytes } from 'node:crypto';
import { EsonError } from '../../core/errors.ts';
import type { ErrorKind } from '../../core/errors.ts';
import { Base64Error, decodeBase64Strict, encodeBase64 } from '../base64.ts';
import { SaslprepError } from '../saslprep.ts';
import {
  hmacSha256,
  keysEqual,
  preparePassword,
  saltPassword,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  scramKeys,
} from '../scram-credential.ts';
import { traceProblem } from './anonymous.ts';
import { decodeUtf8, MAX_SASL_MESSAGE_OCTETS, MAX_USERNAME_OCTETS } from './mechanism.ts';
import { authMessage, encodeSaslname, NONCE_PATTERN, xor } from './scram-sha-256.ts';

/** Fewest PBKDF2 iterations accepted from a server: RFC 7677 §4's minimum, so a server cannot weaken the hash. */
export const MIN_SERVER_ITERATIONS = SCRAM_MIN_ITERATIONS;
/** Most PBKDF2 iterations accepted from a server, which could otherwise make the client burn CPU. */
export const MAX_SERVER_ITERATIONS = SCRAM_MAX_ITERATIONS;
/** Random octets in the client nonce: 144 bits, 24 base64 characters. */
export const CLIENT_NONCE_OCTETS = 18;

/**
 * A client-side SASL failure: kind 'invalid-argument' for bad local input (user name, password,
 * trace, call order), 'rejected' for a server message that is malformed or fails verification.
 */
export class SaslClientError extends EsonError {
  constructor(message: string, kind: Extract<ErrorKind, 'invalid-argument' | 'rejected'> = 'rejected') {
    super(kind, message);
    this.name = 'SaslClientError';
  }
}

const invalid = (message: string): SaslClientError => new SaslClientError(message, 'invalid-argument');

function checkUser(user: string): void {
  if (user.length === 0) throw invalid('user name is empty');
  if (!user.isWellFormed() || user.includes('\0'))
    throw invalid('user name must be valid Unicode without NUL');
  if (Buffer.byteLength(user, 'utf8') > MAX_USERNAME_OCTETS) {
    throw invalid(`user name over ${MAX_USERNAME_OCTETS} octets`);
  }
}

/**
 * The PLAIN initial response `NUL user NUL password` (RFC 4616 §2), with no authorization
 * identity. The password is sent as given: the server applies SASLprep.
 */
export function plainInitialResponse(user: string, password: string): Buffer {
  checkUser(user);
  if (password.length === 0) throw invalid('password is empty');
  if (!password.isWellFormed() || password.includes('\0'))
    throw invalid('password must be valid Unicode without NUL');
  const message = Buffer.from(`\0${user}\0${password}`, 'utf8');
  if (message.length > MAX_SASL_MESSAGE_OCTETS)
    throw invalid(`PLAIN message over ${MAX_SASL_MESSAGE_OCTETS} octets`);
  return message;
}

/** The ANONYMOUS initial response (RFC 4505 §2): the trace string, possibly empty. */
export function anonymousInitialResponse(trace = ''): Buffer {
  const problem = traceProblem(trace);
  if (problem !== undefined) throw invalid(problem);
  return Buffer.from(trace, 'utf8');
}

/** One SCRAM-SHA-256 exchange, driven by the caller: first(), final(), then verifyServer(). */
export interface ScramClient {
  /** client-first-message, the initial response (the same bytes if called again before final()). */
  first(): Buffer;
  /** client-final-message for the server's first challenge. Runs PBKDF2 (blocking). */
  final(serverFirst: Buffer): Buffer;
  /** Checks the server-final-message; throws SaslClientError unless the server proved it knows the credential. */
  verifyServer(serverFinal: Buffer): void;
}

// Only "n": this client does not support channel binding (RFC 5802 §6).
const GS2_HEADER = 'n,,';

function serverText(message: Buffer, what: string): string {
  if (message.length > MAX_SASL_MESSAGE_OCTETS)
    throw new SaslClientError(`SCRAM ${what} over ${MAX_SASL_MESSAGE_OCTETS} octets`);
  const text = decodeUtf8(message);
  if (text === undefined) throw new SaslClientError(`SCRAM ${what} is not valid UTF-8`);
  return text;
}

function serverBase64(text: string, what: string): Buffer {
  try {
    return decodeBase64Strict(text);
  } catch (error) {
    if (error instanceof Base64Error) throw new SaslClientError(`SCRAM ${what} is not valid base64`);
    throw error;
  }
}

const ITERATION_COUNT = /^[1-9][0-9]{0,9}$/;

/**
 * Starts a SCRAM-SHA-256 client exchange. `nonce` (printable ASCII without ",") is for replaying
 * test vectors; by default 18 random octets in base64. The user name is sent as given (escaped,
 * not SASLprep'd: agents compare names exactly); the password is SASLprep'd (RFC 5802 §2.2).
 * Throws SaslClientError 'invalid-argument' for an unusable user name, password or nonce.
 */
export function createScramClient(user: string, password: string, nonce?: string): ScramClient {
  checkUser(user);
  let prepared: string;
  try {
    prepared = preparePassword(password, { stored: false });
  } catch (error) {
    if (error instanceof SaslprepError) throw invalid(`password refused: ${error.message}`);
    throw error;
  }
  const clientNonce = nonce ?? randomBytes(CLIENT_NONCE_OCTETS).toString('base64');
  if (!NONCE_PATTERN.test(clientNonce))
    throw invalid('SCRAM client nonce must be printable ASCII without ","');
  const clientFirstBare = `n=${encodeSaslname(user)},r=${clientNonce}`;
  let phase: 'first' | 'final' | 'verify' | 'done' = 'first';
  let expectedServerSignature: Buffer | undefined;

  return {
    first(): Buffer {
      // Repeatable until final(): the same message each time.
      if (phase !== 'first' && phase !== 'final') throw invalid('SCRAM first() called out of order');
      phase = 'final';
      return Buffer.from(GS2_HEADER + clientFirstBare, 'utf8');
    },

    final(serverFirstMessage: Buffer): Buffer {
      if (phase !== 'final') throw invalid('SCRAM final() called out of order');
      phase = 'done';
      const serverFirst = serverText(serverFirstMessage, 'server-first-message');
      const [nonceField = '', saltField = '', iterationField = '', ...extensions] = serverFirst.split(',');
      if (nonceField.startsWith('m='))
        throw new SaslClientError('SCRAM server requires an unsupported extension');
      if (!nonceField.startsWith('r=') || !saltField.startsWith('s=') || !iterationField.startsWith('i=')) {
        throw new SaslClientError('SCRAM server-first-message is malformed');
      }
      if (extensions.some((extension) => !/^[A-Za-z]=[^\0]+$/.test(extension))) {
        throw new SaslClientError('SCRAM server-first-message has a malformed extension');
      }
      const combinedNonce = nonceField.slice(2);
      // RFC 5802 §5.1: the server's nonce starts with ours and adds its own part.
      if (
        !combinedNonce.startsWith(clientNonce) ||
        combinedNonce.length === clientNonce.length ||
        !NONCE_PATTERN.test(combinedNonce)
      ) {
        throw new SaslClientError('SCRAM server nonce does not extend the client nonce');
      }
      const salt = serverBase64(saltField.slice(2), 'salt');
      if (salt.length === 0) throw new SaslClientError('SCRAM salt is empty');
      const iterationText = iterationField.slice(2);
      const iterations = ITERATION_COUNT.test(iterationText) ? Number(iterationText) : Number.NaN;
      if (!(iterations >= MIN_SERVER_ITERATIONS && iterations <= MAX_SERVER_ITERATIONS)) {
        throw new SaslClientError(
          `SCRAM iteration count must be from ${MIN_SERVER_ITERATIONS} to ${MAX_SERVER_ITERATIONS}`,
        );
      }
      const { clientKey, storedKey, serverKey } = scramKeys(saltPassword(prepared, salt, iterations));
      const withoutProof = `c=${encodeBase64(Buffer.from(GS2_HEADER, 'utf8'))},r=${combinedNonce}`;
      const message = authMessage(clientFirstBare, serverFirst, withoutProof);
      const proof = xor(clientKey, hmacSha256(storedKey, message));
      expectedServerSignature = hmacSha256(serverKey, message);
      phase = 'verify';
      return Buffer.from(`${withoutProof},p=${encodeBase64(proof)}`, 'utf8');
    },

    verifyServer(serverFinalMessage: Buffer): void {
      if (phase !== 'verify' || expectedServerSignature === undefined) {
        throw invalid('SCRAM verifyServer() called out of order');
      }
      phase = 'done';
      const [field = ''] = serverText(serverFinalMessage, 'server-final-message').split(',');
      if (field.startsWith('e=')) {
        // Quoted only when it is a plain RFC 5802 §7 error token, so a server cannot inject text.
        const value = field.slice(2);
        throw new SaslClientError(
          `SCRAM server reported an error${/^[a-z-]{1,64}$/.test(value) ? `: ${value}` : ''}`,
        );
      }
      if (!field.startsWith('v=')) throw new SaslClientError('SCRAM server-final-message is malformed');
      const signature = serverBase64(field.slice(2), 'server signature');
      if (!keysEqual(signature, expectedServerSignature)) {
        throw new SaslClientError('SCRAM server signature is wrong: the server does not know the credential');
      }
    },
  };
}
