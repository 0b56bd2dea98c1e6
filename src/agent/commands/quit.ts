import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { closingReply, reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';

/** QUIT: 221, then the connection closes. QUIT takes no argument (RFC 5321 §4.1.1.10): 501 keeps the session. */
export const quit: CommandHandler = (args, ctx) =>
  Promise.resolve(
    done(
      args.length > 0
        ? reply(ReplyCode.BadArguments, 'QUIT takes no arguments')
        : closingReply(ReplyCode.Closing, `${ctx.agent.fqdn} closing`),
    ),
  );
