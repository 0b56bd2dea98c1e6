/** User administration: the logic behind `eson user ...` (run against an agent's data directory). */
import { randomBytes } from 'node:crypto';
import type { Registry, UserRecord } from '../ports/registry.ts';
import { deriveScramCredential } from '../auth/scram-credential.ts';
import { invalidArgument, notFound } from './errors.ts';

/** User names: what SCRAM carries without surprises and what reads well in logs and lists. */
const USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/i;
export const MIN_PASSWORD_LENGTH = 12;
/** Generated passwords: 18 random octets, 24 base64url characters. */
export const GENERATED_PASSWORD_OCTETS = 18;

export function checkUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw invalidArgument(
      `user name "${name}" must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

export function checkPassword(password: string): string {
  // Characters are code points: String#length counts UTF-16 units, two for each emoji.
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw invalidArgument(`password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  return password;
}

export function generatePassword(): string {
  return randomBytes(GENERATED_PASSWORD_OCTETS).toString('base64url');
}

/** Adds a user; returns the record (the password itself is not kept, only SCRAM keys). */
export async function addUser(
  registry: Registry,
  name: string,
  password: string,
  now = new Date(),
): Promise<UserRecord> {
  const user: UserRecord = {
    name: checkUserName(name),
    credential: deriveScramCredential(checkPassword(password)),
    disabled: false,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await registry.createUser(user);
  return user;
}

export async function setPassword(registry: Registry, name: string, password: string): Promise<UserRecord> {
  if (!(await registry.getUser(name))) throw notFound(`user ${name}`);
  return registry.updateUser(name, { credential: deriveScramCredential(checkPassword(password)) });
}

export async function setDisabled(registry: Registry, name: string, disabled: boolean): Promise<UserRecord> {
  if (!(await registry.getUser(name))) throw notFound(`user ${name}`);
  return registry.updateUser(name, { disabled });
}
