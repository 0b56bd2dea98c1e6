/**
 * The CLI's exit codes (docs/cli.md). Each FNAP reply class maps to one code, so scripts can tell
 * "retry later" from "fix your input" from "not allowed".
 */
import type { ErrorKind } from '../core/errors.ts';
import { isEsonError } from '../core/errors.ts';
import { FnapReplyError } from '../client/fnap-client.ts';

export const ExitCode = {
  Ok: 0,
  /** An unexpected failure (a bug): the message says what happened. */
  Internal: 1,
  /** Wrong command-line usage: unknown flag, missing argument. */
  Usage: 2,
  /** No such object, or not permitted (550). */
  NotFound: 3,
  /** Invalid name or argument (553, 501). */
  Invalid: 4,
  /** Content rejected, e.g. an invalid CloudEvent (554). */
  Rejected: 5,
  /** The agent or a dependency is unavailable; trying again later may work (451, 421, network). */
  Unavailable: 6,
  /** Authentication failed or is required (535, 530, 538). */
  Auth: 7,
  /** Local configuration missing or wrong (no login, bad config file). */
  Config: 8,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  'not-found': ExitCode.NotFound,
  forbidden: ExitCode.NotFound,
  exists: ExitCode.NotFound,
  'invalid-name': ExitCode.Invalid,
  'invalid-argument': ExitCode.Invalid,
  rejected: ExitCode.Rejected,
  unavailable: ExitCode.Unavailable,
};

export function exitCodeForReply(code: number): number {
  if (code === 550) return ExitCode.NotFound;
  if (code === 553 || code === 501 || code === 500 || code === 504) return ExitCode.Invalid;
  if (code === 554) return ExitCode.Rejected;
  if (code === 530 || code === 535 || code === 538) return ExitCode.Auth;
  if (code >= 400 && code < 500) return ExitCode.Unavailable;
  return ExitCode.Internal;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof FnapReplyError) return exitCodeForReply(error.reply.code);
  if (isEsonError(error)) return BY_KIND[error.kind];
  return ExitCode.Internal;
}

/** A failure the CLI itself detects (no login, bad flag value), with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
