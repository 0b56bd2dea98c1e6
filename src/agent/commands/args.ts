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
  // Up to 16 digits: positions reach 2^53 - 1 (docs/fnap.md §3.6); larger values fail the bound below.
  if (!/^\d{1,16}$/.test(value)) throw invalidArgument(`${name} must be a whole number, not "${value}"`);
  // Compared exactly: past 2^53 a Number would round (9999999999999999 reads as 1e16).
  const exact = BigInt(value);
  if (exact < BigInt(min) || exact > BigInt(max)) {
    throw invalidArgument(`${name} must be between ${min} and ${max}, not ${exact}`);
  }
  return Number(exact);
}
