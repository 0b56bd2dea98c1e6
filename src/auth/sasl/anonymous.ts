/**
 * SASL ANONYMOUS (RFC 4505), server side: one optional trace string, no credentials. The identity
 * gets read access to public flows only; whether ANONYMOUS is offered at all is the agent's choice.
 */
import { anonymousIdentity } from '../../core/identity.ts';
import { clientFirstExchange, decodeUtf8, malformed, success } from './mechanism.ts';
import type { SaslServerExchange, SaslServerMechanism } from './mechanism.ts';

export const ANONYMOUS = 'ANONYMOUS';

/** RFC 4505 §3: the trace is at most 255 characters (code points), in UTF-8. */
export const MAX_TRACE_CHARS = 255;

// Characters that would corrupt a log line or disguise its text: controls, line and paragraph
// separators, bidi embeddings, overrides and isolates.
const UNSAFE_TRACE = /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/u;

/** Why a trace string is refused, or undefined when it is acceptable. Empty is acceptable. */
export function traceProblem(trace: string): string | undefined {
  if (!trace.isWellFormed()) return 'ANONYMOUS trace is not valid Unicode';
  let chars = 0;
  for (const _char of trace) chars += 1;
  if (chars > MAX_TRACE_CHARS) return `ANONYMOUS trace over ${MAX_TRACE_CHARS} characters`;
  if (UNSAFE_TRACE.test(trace)) return 'ANONYMOUS trace contains control characters';
  return undefined;
}

export const anonymousMechanism: SaslServerMechanism = {
  name: ANONYMOUS,
  start(): SaslServerExchange {
    return clientFirstExchange((response) => {
      const trace = decodeUtf8(response);
      if (trace === undefined) return malformed('ANONYMOUS trace is not valid UTF-8');
      const problem = traceProblem(trace);
      return problem === undefined ? success(anonymousIdentity(trace)) : malformed(problem);
    });
  },
};
