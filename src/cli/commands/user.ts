/**
 * eson user add|list|disable|enable|passwd --data-dir <dir>: administration straight on the agent's
 * registry (SQLite tolerates the running agent beside it). Passwords come from standard input
 * (--password-stdin) or are generated and printed once.
 */
import { createInterface } from 'node:readline';
import { openRegistry } from '../../agent/agent.ts';
import { addUser, generatePassword, setDisabled, setPassword } from '../../core/users.ts';
import type { Output } from '../output.ts';
import { CliError, ExitCode } from '../exit-codes.ts';

export interface UserOptions {
  dataDir?: string;
  passwordStdin?: boolean;
}

function dataDir(options: UserOptions): string {
  const dir = options.dataDir ?? process.env['ESON_DATA_DIR'];
  if (!dir)
    throw new CliError('--data-dir (or ESON_DATA_DIR) is required: the agent data directory', ExitCode.Usage);
  return dir;
}

async function readPassword(options: UserOptions): Promise<{ password: string; generated: boolean }> {
  if (!options.passwordStdin) return { password: generatePassword(), generated: true };
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    return { password: line, generated: false };
  }
  throw new CliError('--password-stdin: no password on standard input', ExitCode.Usage);
}

async function withRegistry<T>(
  options: UserOptions,
  fn: (r: Awaited<ReturnType<typeof openRegistry>>) => Promise<T>,
): Promise<T> {
  const registry = await openRegistry(dataDir(options));
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

export async function userAdd(name: string, options: UserOptions, out: Output): Promise<void> {
  const { password, generated } = await readPassword(options);
  await withRegistry(options, (r) => addUser(r, name, password));
  out.result(generated ? [`user ${name} added`, `password: ${password}`] : `user ${name} added`, {
    user: name,
    added: true,
    ...(generated ? { password } : {}),
  });
}

export async function userList(options: UserOptions, out: Output): Promise<void> {
  const users = await withRegistry(options, (r) => r.listUsers());
  out.result(
    users.length === 0 ? ['no users'] : users.map((u) => `${u.name}${u.disabled ? '  (disabled)' : ''}`),
    users.map((u) => ({ user: u.name, disabled: u.disabled, created: u.createdAt, updated: u.updatedAt })),
  );
}

export async function userDisable(
  name: string,
  disabled: boolean,
  options: UserOptions,
  out: Output,
): Promise<void> {
  await withRegistry(options, (r) => setDisabled(r, name, disabled));
  out.result(`user ${name} ${disabled ? 'disabled' : 'enabled'}`, { user: name, disabled });
}

export async function userPasswd(name: string, options: UserOptions, out: Output): Promise<void> {
  const { password, generated } = await readPassword(options);
  await withRegistry(options, (r) => setPassword(r, name, password));
  out.result(
    generated ? [`password of ${name} reset`, `password: ${password}`] : `password of ${name} reset`,
    {
      user: name,
      reset: true,
      ...(generated ? { password } : {}),
    },
  );
}
