/**
 * eson login: checks the agent address and credentials by opening a session, then saves them
 * (mode 0600). `--dev <participant>` takes everything from a running `eson dev` network.
 */
import { createInterface } from 'node:readline';
import path from 'node:path';
import { readNetwork } from '../../dev/network-file.ts';
import { DEFAULT_DEV_DIR } from '../../dev/defaults.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import type { Profile } from '../profile.ts';
import { saveProfile } from '../profile.ts';
import type { GlobalOptions } from '../session.ts';
import { openSession, parseHostPort, parseTlsMode } from '../session.ts';

export interface LoginOptions extends GlobalOptions {
  passwordStdin?: boolean;
  dev?: string;
  dir?: string;
}

async function stdinLine(): Promise<string> {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) return line;
  throw new CliError('--password-stdin: no password on standard input', ExitCode.Usage);
}

async function devProfile(participant: string, dir: string): Promise<Profile> {
  const network = await readNetwork(dir).catch(() => {
    throw new CliError(
      `no eson dev network in ${path.resolve(dir)} (start "eson dev" first)`,
      ExitCode.Config,
    );
  });
  const p = network.participants.find((x) => x.name === participant.toLowerCase());
  const user = p?.users[0];
  if (!p || !user) {
    throw new CliError(
      `no participant "${participant}" in the dev network (have: ${network.participants.map((x) => x.name).join(', ')})`,
      ExitCode.Usage,
    );
  }
  return {
    host: p.agent.host,
    port: p.agent.tlsPort,
    tls: 'implicit',
    // Every participant's CA, so that agents found through DNS can be verified too.
    ca: network.caBundle,
    nameserver: `${network.dns.host}:${network.dns.port}`,
    servername: p.agent.fqdn,
    mechanism: 'SCRAM-SHA-256',
    user: user.name,
    password: user.password,
  };
}

export async function login(options: LoginOptions, out: Output): Promise<void> {
  let profile: Profile;
  if (options.dev) profile = await devProfile(options.dev, options.dir ?? DEFAULT_DEV_DIR);
  else {
    if (!options.agent)
      throw new CliError('eson login needs --agent <host:port> (or --dev <participant>)', ExitCode.Usage);
    const { host, port } = parseHostPort(options.agent);
    profile = {
      host,
      port,
      tls: parseTlsMode(options.tls ?? 'starttls'),
      mechanism: options.anonymous ? 'ANONYMOUS' : 'SCRAM-SHA-256',
      ...(options.ca ? { ca: path.resolve(options.ca) } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
    };
    if (!options.anonymous) {
      if (!options.user)
        throw new CliError('eson login needs --user <name> (or --anonymous)', ExitCode.Usage);
      profile.user = options.user;
      profile.password = options.passwordStdin ? await stdinLine() : process.env['ESON_PASSWORD'];
      if (profile.password === undefined) {
        throw new CliError(
          'give the password on standard input with --password-stdin, or in ESON_PASSWORD',
          ExitCode.Usage,
        );
      }
    }
  }
  const client = await openSession(profile);
  await client.quit();
  const file = await saveProfile(profile);
  const who = profile.mechanism === 'ANONYMOUS' ? 'anonymous' : (profile.user ?? '');
  out.result(
    `logged in to ${profile.servername ?? profile.host}:${profile.port} as ${who} (saved in ${file})`,
    {
      agent: `${profile.host}:${profile.port}`,
      user: who,
      file,
    },
  );
}
