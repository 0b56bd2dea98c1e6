/**
 * `eson dev`: a whole network on one machine (shared/product/local-network.md). Each participant
 * gets its own directory with a CA, an agent certificate, a registry and an embedded broker, one
 * generated user who owns the participant's namespace, and an agent on loopback. What a client
 * needs goes to `<dir>/network.json`. State persists: starting again on the same dir keeps users,
 * flows and events (and the passwords in network.json).
 */
import { mkdir, writeFile, rename, access } from 'node:fs/promises';
import path from 'node:path';
import { parseAgentConfig } from '../config/agent-config.ts';
import type { RunningAgent } from '../agent/agent.ts';
import { openRegistry, startAgent } from '../agent/agent.ts';
import { addUser, generatePassword, setPassword } from '../core/users.ts';
import { createCertificateAuthority, issueServerCertificate } from '../tls/certificates.ts';
import { createLogger, fileDestination } from '../log/logger.ts';
import { canonicalName } from '../core/names.ts';
import type { NetworkJson, ParticipantJson } from './network-file.ts';
export { DEFAULT_BASE_PORT, DEFAULT_DEV_DIR, DEFAULT_PARTICIPANTS } from './defaults.ts';
import { networkFile, readNetwork } from './network-file.ts';

/** The generated user of the n-th participant. */
const USER_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

export interface DevNetworkOptions {
  readonly dir: string;
  readonly participants: readonly string[];
  /** Participant i listens on basePort + 2i (STARTTLS) and basePort + 2i + 1 (TLS); 0 picks free ports. */
  readonly basePort: number;
  readonly host?: string;
}

export interface DevNetwork {
  readonly network: NetworkJson;
  readonly file: string;
  stop(): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The CA and agent certificate of a participant, created on first start and kept after. */
async function ensureCertificates(dir: string, fqdn: string, host: string): Promise<{ ca: string; key: string; cert: string }> {
  const files = { ca: path.join(dir, 'ca.pem'), key: path.join(dir, 'agent-key.pem'), cert: path.join(dir, 'agent-cert.pem') };
  if ((await exists(files.ca)) && (await exists(files.key)) && (await exists(files.cert))) return files;
  const ca = await createCertificateAuthority(`ESON dev CA for ${fqdn}`);
  const server = await issueServerCertificate(ca, [fqdn, 'localhost', host]);
  await writeFile(files.ca, ca.certPem);
  await writeFile(files.key, server.keyPem, { mode: 0o600 });
  await writeFile(files.cert, server.certPem);
  return files;
}

export async function startDevNetwork(options: DevNetworkOptions): Promise<DevNetwork> {
  const dir = path.resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const previous = (await exists(networkFile(dir))) ? await readNetwork(dir).catch(() => undefined) : undefined;
  const running: RunningAgent[] = [];
  const participants: ParticipantJson[] = [];
  try {
    for (const [index, rawName] of options.participants.entries()) {
      const name = rawName.toLowerCase();
      const zone = canonicalName(`${name}.test`, 'participant');
      const namespace = `flows.${zone}`;
      const fqdn = `fnaa.${zone}`;
      const home = path.join(dir, name);
      await mkdir(home, { recursive: true, mode: 0o700 });
      const certs = await ensureCertificates(home, fqdn, host);
      const userName = USER_NAMES[index] ?? `${name}-user`;
      const password =
        previous?.participants.find((p) => p.name === name)?.users.find((u) => u.name === userName)?.password ??
        generatePassword();
      const dataDir = path.join(home, 'data');
      const registry = await openRegistry(dataDir);
      try {
        if (await registry.getUser(userName)) await setPassword(registry, userName, password);
        else await addUser(registry, userName, password);
      } finally {
        await registry.close();
      }
      const port = options.basePort === 0 ? 0 : options.basePort + 2 * index;
      const config = parseAgentConfig(
        {
          fqdn,
          dataDir,
          listen: { host, port, tlsPort: options.basePort === 0 ? 0 : port + 1 },
          tls: { keyFile: certs.key, certFile: certs.cert },
          namespaces: [{ name: namespace, owner: userName, description: `${name}'s flows` }],
        },
        home,
      );
      const log = createLogger({ level: 'info', name: fqdn, destination: fileDestination(path.join(home, 'agent.log')) });
      const agent = await startAgent(config, { log });
      running.push(agent);
      participants.push({
        name,
        zone,
        namespace,
        agent: { fqdn, host, port: agent.addresses.port, tlsPort: agent.addresses.tlsPort ?? 0 },
        caFile: certs.ca,
        users: [{ name: userName, password }],
        dataDir,
      });
    }
  } catch (error) {
    await Promise.all(running.map((a) => a.stop()));
    throw error;
  }
  const network: NetworkJson = { participants };
  const file = networkFile(dir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(network, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return {
    network,
    file,
    async stop() {
      await Promise.all(running.map((a) => a.stop()));
    },
  };
}
