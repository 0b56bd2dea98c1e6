/** eson dev: starts a local network (shared/product/local-network.md) until SIGINT or SIGTERM. */
import { once } from 'node:events';
import {
  DEFAULT_BASE_PORT,
  DEFAULT_DEV_DIR,
  DEFAULT_DNS_PORT,
  DEFAULT_PARTICIPANTS,
  startDevNetwork,
} from '../../dev/network.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';

export interface DevOptions {
  dir?: string;
  participants?: string;
  basePort?: string;
  dnsPort?: string;
}

export async function dev(options: DevOptions, out: Output): Promise<void> {
  const participants = options.participants
    ? options.participants.split(',').map((p) => p.trim())
    : [...DEFAULT_PARTICIPANTS];
  if (
    participants.some((p) => !/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/i.test(p)) ||
    new Set(participants).size !== participants.length
  ) {
    throw new CliError(`--participants must be distinct DNS labels, e.g. orange,blue`, ExitCode.Usage);
  }
  const basePort = options.basePort === undefined ? DEFAULT_BASE_PORT : Number(options.basePort);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535 - 2 * participants.length) {
    throw new CliError(`--base-port must be a port number (0 picks free ports)`, ExitCode.Usage);
  }
  // With free agent ports (--base-port 0) the DNS port is free too, unless given.
  const dnsPort =
    options.dnsPort !== undefined ? Number(options.dnsPort) : basePort === 0 ? 0 : DEFAULT_DNS_PORT;
  if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535) {
    throw new CliError('--dns-port must be a port number (0 picks a free one)', ExitCode.Usage);
  }
  const net = await startDevNetwork({ dir: options.dir ?? DEFAULT_DEV_DIR, participants, basePort, dnsPort });
  out.result(
    [
      `eson dev: ${net.network.participants.length} participants, network written to ${net.file}`,
      `  DNS      ${net.network.dns.host}:${net.network.dns.port} (authoritative for ${net.network.participants.map((p) => p.zone).join(', ')})`,
      ...net.network.participants.map(
        (p) =>
          `  ${p.name.padEnd(8)} agent ${p.agent.fqdn} at ${p.agent.host}:${p.agent.port} (TLS ${p.agent.tlsPort})  ` +
          `namespace ${p.namespace}  user ${p.users[0]?.name ?? ''}`,
      ),
      'log in with: eson login --dev <participant>   stop with Ctrl-C',
    ],
    { file: net.file, ...net.network },
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await net.stop();
}
