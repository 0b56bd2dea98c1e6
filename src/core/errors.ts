/**
 * Domain errors. Core code throws these; the protocol layer maps each kind to one FNAP reply code
 * in exactly one place (`protocol/error-replies.ts`), and the CLI maps them to exit codes.
 */
export type ErrorKind =
  | 'not-found' // no such object (550)
  | 'forbidden' // the identity may not do this (550)
  | 'exists' // the object already exists (550)
  | 'invalid-name' // not a valid flow or namespace FQDN, or outside the agent's namespaces (553)
  | 'invalid-argument' // a bad argument; the message names it (501)
  | 'rejected' // content refused, e.g. an invalid CloudEvent (554)
  | 'unavailable'; // a dependency failed transiently; nothing was changed (451)

export interface EsonErrorOptions {
  cause?: unknown;
  /** Structured context for logs; never credentials. */
  context?: Record<string, string | number | boolean>;
}

export class EsonError extends Error {
  readonly kind: ErrorKind;
  readonly context: Record<string, string | number | boolean>;

  constructor(kind: ErrorKind, message: string, options: EsonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EsonError';
    this.kind = kind;
    this.context = options.context ?? {};
  }

  /** True where trying the same call again later may succeed. */
  get retriable(): boolean {
    return this.kind === 'unavailable';
  }
}

export const notFound = (what: string): EsonError => new EsonError('not-found', `${what} does not exist`);
export const forbidden = (message: string): EsonError => new EsonError('forbidden', message);
export const exists = (what: string): EsonError => new EsonError('exists', `${what} already exists`);
export const invalidName = (message: string): EsonError => new EsonError('invalid-name', message);
export const invalidArgument = (message: string): EsonError => new EsonError('invalid-argument', message);
export const rejected = (message: string): EsonError => new EsonError('rejected', message);
export const unavailable = (message: string, cause?: unknown): EsonError =>
  new EsonError('unavailable', message, { cause });

export function isEsonError(error: unknown): error is EsonError {
  return error instanceof EsonError;
}
