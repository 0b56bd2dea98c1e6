import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';

/**
 * STARTTLS: the connection answers 220 and hands the socket to TLS (RFC 3207). The checks run in
 * the order of docs/fnap.md §6.3: authenticated, argument, no certificate, already under TLS.
 */
export const starttls: CommandHandler = (args, ctx) => {
  const answer = (code: number, text: string) => Promise.resolve(done(reply(code, text)));
  if (ctx.session.identity)
    return answer(ReplyCode.BadSequence, 'STARTTLS is not allowed after authentication');
  if (args.length > 0) return answer(ReplyCode.BadArguments, 'STARTTLS takes no arguments');
  if (!ctx.agent.tlsAvailable)
    return answer(ReplyCode.UnknownCommand, 'STARTTLS not offered: the agent has no certificate');
  if (ctx.session.tls) return answer(ReplyCode.BadSequence, 'TLS already active');
  return Promise.resolve({ kind: 'starttls' });
};
