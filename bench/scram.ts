/**
 * A SCRAM-SHA-256 client for the load generator that caches the PBKDF2 result. RFC 5802 §5.1
 * lets a client store ClientKey/ServerKey (derived from SaltedPassword) per (salt, iteration count)
 * and skip Hi() when the server offers the same pair again; the project's client
 * (src/auth/sasl/client.ts) runs PBKDF2 (4096 iterations) on every exchange, which would make the
 * benchmark measure the client's PBKDF2 instead of the agent. Everything else (fresh nonce, proof,
 * checking the server's signature) runs for every exchange, with the project's own primitives.
 */
import { randomBytes } from 'node:crypto';
import { encodeBase64 } from '../src/auth/base64.ts';
import {
  hmacSha256,
  keysEqual,
  preparePassword,
  saltPassword,
  scramKeys,
} from '../src/auth/scram-credential.ts';
import { authMessage, encodeSaslname, xor } from '../src/auth/sasl/scram-sha-256.ts';

const GS2_HEADER = 'n,,';
const CHANNEL_BINDING = Buffer.from(GS2_HEADER).toString('base64');

interface Keys {
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const cache = new Map<string, Keys>();
/** PBKDF2 runs (cache misses) and exchanges, reported in the results. */
export const scramCounters = { pbkdf2: 0, exchanges: 0 };

export interface ScramExchange {
  /** client-first-message, base64: the AUTHENTICATE initial response. */
  readonly first: string;
  /** client-final-message (base64) for the server-first-message (base64). */
  final(serverFirstBase64: string): string;
  /** Throws unless server-final-message (base64) proves the server knows the credential. */
  verify(serverFinalBase64: string): void;
}

export function scramExchange(user: string, password: string): ScramExchange {
  scramCounters.exchanges++;
  const nonce = randomBytes(18).toString('base64');
  const bare = `n=${encodeSaslname(user)},r=${nonce}`;
  let expected: Buffer | undefined;
  return {
    first: Buffer.from(GS2_HEADER + bare).toString('base64'),
    final(serverFirstBase64: string): string {
      const serverFirst = Buffer.from(serverFirstBase64, 'base64').toString('utf8');
      const fields = new Map(serverFirst.split(',').map((f) => [f.slice(0, 1), f.slice(2)] as const));
      const combined = fields.get('r') ?? '';
      const salt = fields.get('s') ?? '';
      const iterations = Number(fields.get('i'));
      if (!combined.startsWith(nonce) || salt === '' || !(iterations >= 4096)) {
        throw new Error(`bad SCRAM server-first-message: ${serverFirst}`);
      }
      const cacheKey = `${user}\0${password}\0${salt}\0${iterations}`;
      let keys = cache.get(cacheKey);
      if (!keys) {
        scramCounters.pbkdf2++;
        const prepared = preparePassword(password, { stored: false });
        keys = scramKeys(saltPassword(prepared, Buffer.from(salt, 'base64'), iterations));
        cache.set(cacheKey, keys);
      }
      const withoutProof = `c=${CHANNEL_BINDING},r=${combined}`;
      const message = authMessage(bare, serverFirst, withoutProof);
      const proof = xor(keys.clientKey, hmacSha256(keys.storedKey, message));
      expected = hmacSha256(keys.serverKey, message);
      return Buffer.from(`${withoutProof},p=${encodeBase64(proof)}`).toString('base64');
    },
    verify(serverFinalBase64: string): void {
      const text = Buffer.from(serverFinalBase64, 'base64').toString('utf8');
      if (!expected || !text.startsWith('v=') || !keysEqual(Buffer.from(text.slice(2), 'base64'), expected)) {
        throw new Error(`SCRAM server signature did not verify: ${text}`);
      }
    },
  };
}
