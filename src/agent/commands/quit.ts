import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { closingReply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';

/** QUIT: 221, then the connection closes. */
export const quit: CommandHandler = (_args, ctx) =>
  Promise.resolve(done(closingReply(ReplyCode.Closing, `${ctx.agent.fqdn} closing`)));
