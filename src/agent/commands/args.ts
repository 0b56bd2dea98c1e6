import { invalidArgument } from '../../core/errors.ts';

/** Checks the number of arguments; the message gives the command's syntax. */
export function expectArgs(args: readonly string[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) throw invalidArgument(`syntax: ${usage}`);
}

/** The first argument, which expectArgs has already proven present. */
export function first(args: readonly string[]): string {
  const value = args[0];
  if (value === undefined) throw invalidArgument('missing argument');
  return value;
}

export function parseCount(value: string, name: string, min: number, max: number): number {
  if (!/^\d{1,15}$/.test(value)) throw invalidArgument(`${name} must be a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw invalidArgument(`${name} must be between ${min} and ${max}, not ${n}`);
  return n;
}
