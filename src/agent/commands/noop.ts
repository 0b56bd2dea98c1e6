import type { CommandHandler } from '../command.ts';
import { done } from '../command.ts';
import { reply } from '../../protocol/reply.ts';
import { ReplyCode } from '../../protocol/codes.ts';

/** NOOP: does nothing, answers 250 (keeps a session alive, measures round trips). */
export const noop: CommandHandler = () => done(reply(ReplyCode.Ok, 'OK'));
