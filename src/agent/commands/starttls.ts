import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';

/** STARTTLS: the connection answers 220 and hands the socket to TLS (RFC 3207). */
export const starttls: CommandHandler = (args, ctx) => {
  if (args.length > 0) return Promise.resolve(done(reply(ReplyCode.BadArguments, 'STARTTLS takes no arguments')));
  if (!ctx.agent.tlsAvailable) {
    return Promise.resolve(done(reply(ReplyCode.UnknownCommand, 'STARTTLS not offered: the agent has no certificate')));
  }
  if (ctx.session.tls) return Promise.resolve(done(reply(ReplyCode.BadSequence, 'TLS already active')));
  if (ctx.session.identity) {
    return Promise.resolve(done(reply(ReplyCode.BadSequence, 'STARTTLS is not allowed after authentication')));
  }
  return Promise.resolve({ kind: 'starttls' });
};
