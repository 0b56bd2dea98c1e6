/** Opens an authenticated FNAP session for a CLI command, from the saved login and the global flags. */
import { readFile } from 'node:fs/promises';
import type { Credentials, TlsMode } from '../client/fnap-client.ts';
import { FnapClient, FnapReplyError } from '../client/fnap-client.ts';
import { CliError, ExitCode, exitCodeForReply } from './exit-codes.ts';
import type { Profile } from './profile.ts';
import { loadProfile } from './profile.ts';
import { splitHostPort } from '../core/host-port.ts';

/** Flags every command accepts (they override the saved login). */
export interface GlobalOptions {
  json?: boolean;
  agent?: string;
  tls?: string;
  ca?: string;
  servername?: string;
  user?: string;
  anonymous?: boolean;
  nameserver?: string;
}

export function parseHostPort(value: string, flag = '--agent'): { host: string; port: number } {
  const parsed = splitHostPort(value);
  if (!parsed) throw new CliError(`${flag} must be host:port, not "${value}"`, ExitCode.Usage);
  return parsed;
}

export function parseTlsMode(value: string): TlsMode {
  if (value === 'implicit' || value === 'starttls' || value === 'none') return value;
  throw new CliError(`--tls must be implicit, starttls or none, not "${value}"`, ExitCode.Usage);
}

/** The saved login with the global flags applied; with --agent no login is needed. */
export async function resolveProfile(options: GlobalOptions): Promise<Profile> {
  let base: Profile | undefined;
  if (!options.agent) base = await loadProfile();
  const hostPort = options.agent ? parseHostPort(options.agent) : undefined;
  const profile: Profile = {
    host: hostPort?.host ?? base?.host ?? '127.0.0.1',
    port: hostPort?.port ?? base?.port ?? 61000,
    tls: options.tls ? parseTlsMode(options.tls) : (base?.tls ?? 'starttls'),
    mechanism: options.anonymous ? 'ANONYMOUS' : (base?.mechanism ?? 'SCRAM-SHA-256'),
  };
  const ca = options.ca ?? base?.ca;
  if (ca) profile.ca = ca;
  const servername = options.servername ?? base?.servername;
  if (servername) profile.servername = servername;
  const user = options.user ?? base?.user;
  if (user) profile.user = user;
  const password =
    process.env['ESON_PASSWORD'] ??
    (options.user && options.user !== base?.user ? undefined : base?.password);
  if (password !== undefined) profile.password = password;
  const nameserver = options.nameserver ?? base?.nameserver;
  if (nameserver) profile.nameserver = nameserver;
  return profile;
}

/**
 * The profile to reach the agent serving `target` (a flow or namespace): found through DNS when a
 * nameserver is known (flag or login) or when there is no login, unless --agent names one. The
 * saved credentials go to the agent the login was made for; any other agent gets ANONYMOUS,
 * which reads public flows, unless --user is given.
 */
export async function profileFor(options: GlobalOptions, target: string): Promise<Profile> {
  if (options.agent) return resolveProfile(options);
  let noLogin: unknown;
  const saved = await loadProfile().catch((error: unknown) => {
    noLogin = error;
    return undefined;
  });
  const nameserver = options.nameserver ?? saved?.nameserver;
  if (saved && !nameserver) return resolveProfile(options);
  const { discoverAgent } = await import('./discovery.ts');
  const found = await discoverAgent(target, nameserver).catch((error: unknown) => {
    // Without a login or a nameserver, the system's DNS was only a guess: when it finds nothing,
    // say how to name an agent rather than only what DNS lacked.
    if (nameserver || !(noLogin instanceof CliError)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `${noLogin.message}, or pass --agent or --nameserver (DNS found no agent for ${target}: ${why})`,
      noLogin.exitCode,
    );
  });
  const base = saved ? await resolveProfile(options) : undefined;
  const ours = base !== undefined && (base.servername ?? base.host) === found.fqdn;
  const profile: Profile = {
    host: found.address,
    port: found.port,
    // "tls" in the agent's TXT: TLS from the first byte; otherwise STARTTLS, never silent plaintext.
    tls: options.tls ? parseTlsMode(options.tls) : found.tls ? 'implicit' : 'starttls',
    servername: found.fqdn,
    mechanism:
      options.anonymous || (!ours && !options.user) ? 'ANONYMOUS' : (base?.mechanism ?? 'SCRAM-SHA-256'),
  };
  const ca = options.ca ?? base?.ca;
  if (ca) profile.ca = ca;
  if (profile.mechanism !== 'ANONYMOUS') {
    const user = options.user ?? base?.user;
    if (user) profile.user = user;
    const password = process.env['ESON_PASSWORD'] ?? (ours ? base?.password : undefined);
    if (password !== undefined) profile.password = password;
  }
  if (nameserver) profile.nameserver = nameserver;
  return profile;
}

export async function openSession(profile: Profile): Promise<FnapClient> {
  const ca = profile.ca
    ? await readFile(profile.ca).catch(() => {
        throw new CliError(`cannot read CA file ${profile.ca ?? ''}`, ExitCode.Config);
      })
    : undefined;
  const client = await FnapClient.connect({
    host: profile.host,
    port: profile.port,
    tls: profile.tls,
    ca,
    servername: profile.servername,
    clientName: 'eson-cli',
  });
  try {
    const credentials: Credentials =
      profile.mechanism === 'ANONYMOUS'
        ? { mechanism: 'ANONYMOUS' }
        : {
            mechanism: profile.mechanism,
            user: required(profile.user, 'no user: run "eson login" or pass --user'),
            password: required(profile.password, 'no password: run "eson login" or set ESON_PASSWORD'),
          };
    await client.authenticate(credentials).catch((error: unknown) => {
      // The failing line of a SCRAM exchange is a base64 proof: name the user, not that line.
      if (!(error instanceof FnapReplyError)) throw error;
      const who = credentials.mechanism === 'ANONYMOUS' ? 'anonymous' : (credentials.user ?? '');
      const { code, lines } = error.reply;
      throw new CliError(
        `authentication as ${who} failed: ${code} ${lines.join(' / ')}`,
        exitCodeForReply(code),
      );
    });
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

function required(value: string | undefined, message: string): string {
  if (value === undefined) throw new CliError(message, ExitCode.Config);
  return value;
}

/**
 * Runs `fn` in an authenticated session and always says QUIT. With `target` (the flow or namespace
 * the command names) the agent may be found through DNS (profileFor).
 */
export async function withSession<T>(
  options: GlobalOptions,
  fn: (client: FnapClient) => Promise<T>,
  target?: string,
): Promise<T> {
  const client = await openSession(
    target ? await profileFor(options, target) : await resolveProfile(options),
  );
  try {
    return await fn(client);
  } finally {
    await client.quit().catch(() => undefined);
  }
}
