/**
 * Where `eson login` keeps the agent address and credentials: `<config dir>/eson/config.json`,
 * mode 0600 (the directory 0700), like ~/.netrc. The config dir is $ESON_CONFIG_DIR, else
 * $XDG_CONFIG_HOME, else ~/.config.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from './exit-codes.ts';

export const profileSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    tls: z.enum(['implicit', 'starttls', 'none']),
    ca: z.string().optional(),
    servername: z.string().optional(),
    mechanism: z.enum(['SCRAM-SHA-256', 'PLAIN', 'ANONYMOUS']),
    user: z.string().optional(),
    password: z.string().optional(),
    /** host:port of the DNS server to find agents through (eson dev's embedded one) */
    nameserver: z.string().optional(),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['ESON_CONFIG_DIR']) return env['ESON_CONFIG_DIR'];
  return path.join(env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config'), 'eson');
}

export function profileFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'config.json');
}

export async function saveProfile(profile: Profile, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = profileFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  // Written with mode 0600 from the first byte, then renamed: the password is never world-readable.
  await writeFile(temp, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

export async function loadProfile(env: NodeJS.ProcessEnv = process.env): Promise<Profile> {
  const file = profileFile(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(`not logged in: run "eson login" first (no ${file})`, ExitCode.Config);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`${file} is damaged; run "eson login" again`, ExitCode.Config);
  return parsed.data;
}
