/** The one place where domain errors become FNAP replies (docs/fnap.md §Reply codes). */
import type { ErrorKind } from '../core/errors.ts';
import { isEsonError } from '../core/errors.ts';
import { ReplyCode } from './codes.ts';
import type { Reply } from './reply.ts';
import { reply } from './reply.ts';

const CODE_BY_KIND: Record<ErrorKind, number> = {
  'not-found': ReplyCode.NotPermitted,
  forbidden: ReplyCode.NotPermitted,
  exists: ReplyCode.NotPermitted,
  'invalid-name': ReplyCode.InvalidName,
  'invalid-argument': ReplyCode.BadArguments,
  rejected: ReplyCode.Rejected,
  unavailable: ReplyCode.TransientFailure,
};

/** The reply for a domain error, or undefined for anything else (a bug: the caller answers 421). */
export function replyForError(error: unknown): Reply | undefined {
  if (!isEsonError(error)) return undefined;
  return reply(CODE_BY_KIND[error.kind], oneLine(error.message));
}

/** Reply text must stay on one line whatever a message holds. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
