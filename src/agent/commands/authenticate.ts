import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';
import { decodeBase64Strict } from '../../auth/base64.ts';
import { expectArgs, first } from './args.ts';

/** AUTHENTICATE <mechanism> [initial-response] (RFC 4954 §4): the connection drives the exchange. */
export const authenticate: CommandHandler = (args, ctx) => {
  expectArgs(args, 1, 2, 'AUTHENTICATE <mechanism> [initial-response]');
  if (ctx.session.identity)
    return Promise.resolve(done(reply(ReplyCode.BadSequence, 'already authenticated')));
  // ASCII-only: String#toUpperCase maps "ı" (dotless i) to "I", which would let "PLAıN" through.
  const name = first(args).replace(/[a-z]/g, (c) => c.toUpperCase());
  const mechanism = ctx.agent.mechanisms.get(name);
  if (!mechanism) {
    return Promise.resolve(
      done(
        reply(
          ReplyCode.UnknownMechanism,
          `unknown mechanism ${name} (offered: ${[...ctx.agent.mechanisms.keys()].join(' ')})`,
        ),
      ),
    );
  }
  if (name === 'PLAIN' && !ctx.session.tls && !ctx.agent.insecurePlain) {
    return Promise.resolve(
      done(reply(ReplyCode.EncryptionRequired, 'PLAIN requires TLS: use STARTTLS first')),
    );
  }
  const raw = args[1];
  let initial: Buffer | null = null;
  if (raw !== undefined) {
    // "=" stands for an empty initial response (RFC 4954 §4).
    if (raw === '=') initial = Buffer.alloc(0);
    else {
      try {
        initial = decodeBase64Strict(raw);
      } catch {
        return Promise.resolve(done(reply(ReplyCode.BadArguments, 'initial response is not valid base64')));
      }
    }
  }
  return Promise.resolve({ kind: 'sasl', mechanism, initial });
};
