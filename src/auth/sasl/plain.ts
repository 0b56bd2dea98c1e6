/**
 * SASL PLAIN (RFC 4616), server side: `[authzid] NUL authcid NUL passwd` in UTF-8, checked against
 * the user's SCRAM credential. Offer it only inside TLS (RFC 4616 §4): the password travels as is.
 */
import { userIdentity } from '../../core/identity.ts';
import { unknownUserCredential, verifyPasswordAsync } from '../scram-credential.ts';
import {
  accountDisabled,
  badCredentials,
  clientFirstExchange,
  decodeUtf8,
  failure,
  malformed,
  MAX_USERNAME_OCTETS,
  success,
} from './mechanism.ts';
import type { SaslContext, SaslServerExchange, SaslServerMechanism, SaslStep } from './mechanism.ts';

export const PLAIN = 'PLAIN';

/** The fields of a PLAIN message (RFC 4616 §2). */
export interface PlainMessage {
  readonly authzid: string;
  readonly authcid: string;
  readonly passwd: string;
}

/** Parses a PLAIN message; a string result is the reason it is malformed. */
export function parsePlainMessage(message: Uint8Array): PlainMessage | string {
  const first = message.indexOf(0);
  const second = first < 0 ? -1 : message.indexOf(0, first + 1);
  if (second < 0) return 'PLAIN message needs two NUL separators';
  if (message.indexOf(0, second + 1) >= 0) return 'PLAIN message has more than two NUL separators';
  const authzidBytes = message.subarray(0, first);
  const authcidBytes = message.subarray(first + 1, second);
  const passwdBytes = message.subarray(second + 1);
  if (authcidBytes.length === 0) return 'PLAIN authentication identity is empty';
  if (passwdBytes.length === 0) return 'PLAIN password is empty';
  if (authcidBytes.length > MAX_USERNAME_OCTETS || authzidBytes.length > MAX_USERNAME_OCTETS) {
    return `PLAIN identity over ${MAX_USERNAME_OCTETS} octets`;
  }
  const authzid = decodeUtf8(authzidBytes);
  const authcid = decodeUtf8(authcidBytes);
  const passwd = decodeUtf8(passwdBytes);
  if (authzid === undefined || authcid === undefined || passwd === undefined) {
    return 'PLAIN message is not valid UTF-8';
  }
  return { authzid, authcid, passwd };
}

async function authenticate(ctx: SaslContext, response: Buffer): Promise<SaslStep> {
  const message = parsePlainMessage(response);
  if (typeof message === 'string') return malformed(message);
  // No proxy authorisation: an authzid, if given, must name the authenticating user.
  if (message.authzid !== '' && message.authzid !== message.authcid) {
    return failure(
      'unsupported',
      'authorization identity must be empty or equal the authentication identity',
    );
  }
  const user = await ctx.lookupUser(message.authcid);
  // An unknown user costs the same PBKDF2 as a known one, so timing does not reveal who exists.
  const credential = user?.credential ?? unknownUserCredential(message.authcid);
  const matches = await verifyPasswordAsync(credential, message.passwd);
  if (user === undefined || !matches) return badCredentials();
  // Checked after the password, so that only the account holder learns it is disabled.
  if (user.disabled) return accountDisabled();
  return success(userIdentity(message.authcid));
}

export const plainMechanism: SaslServerMechanism = {
  name: PLAIN,
  start(ctx: SaslContext): SaslServerExchange {
    return clientFirstExchange((response) => authenticate(ctx, response));
  },
};
