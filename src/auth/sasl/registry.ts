/** The SASL mechanisms an agent implements, and which of them it offers on a given session. */
import { ANONYMOUS, anonymousMechanism } from './anonymous.ts';
import type { SaslServerMechanism } from './mechanism.ts';
import { PLAIN, plainMechanism } from './plain.ts';
import { SCRAM_SHA_256, scramSha256Mechanism } from './scram-sha-256.ts';

/** Every implemented mechanism, by its upper-case name (RFC 4422 §3.1). A Map, so that names like "__proto__" find nothing. */
export const SASL_MECHANISMS: ReadonlyMap<string, SaslServerMechanism> = new Map(
  [scramSha256Mechanism, plainMechanism, anonymousMechanism].map((mechanism) => [mechanism.name, mechanism]),
);

export interface SaslOfferOptions {
  /** The session is inside TLS. PLAIN is offered only then (RFC 4616 §4). */
  readonly secure: boolean;
  /** The agent lets anonymous clients read public flows (RFC 4505). */
  readonly allowAnonymous: boolean;
}

// ASCII-only: String#toUpperCase maps "ı" (dotless i) to "I", which would let "PLAıN" through.
const asciiUpperCase = (name: string): string => name.replace(/[a-z]/g, (c) => c.toUpperCase());

/** The mechanism named `name` (compared case-insensitively, ASCII only), offered or not. */
export function getSaslMechanism(name: string): SaslServerMechanism | undefined {
  return SASL_MECHANISMS.get(asciiUpperCase(name));
}

/** The names of the mechanisms to offer on a session, strongest first. */
export function offeredSaslMechanisms(options: SaslOfferOptions): string[] {
  const names = [SCRAM_SHA_256];
  if (options.secure) names.push(PLAIN);
  if (options.allowAnonymous) names.push(ANONYMOUS);
  return names;
}

/** The mechanism named `name` if it is offered on this session; undefined otherwise. */
export function findOfferedSaslMechanism(
  name: string,
  options: SaslOfferOptions,
): SaslServerMechanism | undefined {
  const mechanism = getSaslMechanism(name);
  return mechanism !== undefined && offeredSaslMechanisms(options).includes(mechanism.name)
    ? mechanism
    : undefined;
}
