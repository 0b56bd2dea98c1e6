/** Shared fixtures for the auth tests: the RFC 7677 §3 vector and an in-memory user table. */
import assert from 'node:assert/strict';
import type { SaslContext, SaslStep } from '../../../src/auth/sasl/mechanism.ts';
import { MAX_SASL_MESSAGE_OCTETS } from '../../../src/auth/sasl/mechanism.ts';
import { deriveScramCredential } from '../../../src/auth/scram-credential.ts';
import type { ScramCredential } from '../../../src/ports/registry.ts';

/** RFC 7677 §3. */
export const RFC7677 = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  iterations: 4096,
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
} as const;

/** The credential of the RFC 7677 user, derived once (PBKDF2 is the slow part of these tests). */
export const RFC7677_CREDENTIAL: ScramCredential = deriveScramCredential(RFC7677.password, {
  salt: Buffer.from(RFC7677.salt, 'base64'),
  iterations: RFC7677.iterations,
});

export interface TestUser {
  credential: ScramCredential;
  disabled?: boolean;
}

/** A SaslContext over a fixed user table, recording every name looked up. */
export function testContext(
  users: Record<string, TestUser>,
  nonce?: () => string,
): SaslContext & { lookedUp: string[] } {
  const table = new Map(Object.entries(users));
  const lookedUp: string[] = [];
  return {
    lookedUp,
    lookupUser(name) {
      lookedUp.push(name);
      const user = table.get(name);
      return Promise.resolve(user && { credential: user.credential, disabled: user.disabled ?? false });
    },
    ...(nonce === undefined ? {} : { nonce }),
  };
}

export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Asserts the step is a challenge and returns its data as text. */
export function challengeText(step: SaslStep): string {
  assert.equal(step.kind, 'challenge', `expected a challenge, got ${JSON.stringify(step)}`);
  return step.kind === 'challenge' ? step.data.toString('utf8') : '';
}

/** Asserts the step is a challenge and returns its data. */
export function challengeData(step: SaslStep): Buffer {
  assert.equal(step.kind, 'challenge', `expected a challenge, got ${JSON.stringify(step)}`);
  return step.kind === 'challenge' ? step.data : Buffer.alloc(0);
}

const REASONS = new Set(['malformed', 'bad-credentials', 'disabled', 'bad-nonce', 'unsupported']);

/** The structural contract of a SaslStep, whatever the input was. */
export function assertWellFormedStep(step: SaslStep): void {
  switch (step.kind) {
    case 'challenge':
      assert.ok(Buffer.isBuffer(step.data));
      assert.ok(step.data.length <= MAX_SASL_MESSAGE_OCTETS);
      break;
    case 'success':
      if (step.identity.kind === 'user') assert.ok(step.identity.name.length > 0);
      else assert.equal(typeof step.identity.trace, 'string');
      break;
    case 'failure':
      assert.ok(REASONS.has(step.reason), step.reason);
      // Printable ASCII, one line: the message can go into a reply as is, and never echoes input.
      assert.match(step.message, /^[\x20-\x7e]+$/);
      break;
    default:
      assert.fail(`unknown step ${JSON.stringify(step)}`);
  }
}
