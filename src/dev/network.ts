/**
 * `eson dev`: a whole network on one machine (shared/product/local-network.md). Each participant
 * gets its own directory with a CA, an agent certificate, a registry and an embedded broker, one
 * generated user who owns the participant's namespace, and an agent on loopback. What a client
 * needs goes to `<dir>/network.json`. State persists: starting again on the same dir keeps users,
 * flows and events (and the passwords in network.json).
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { EmbeddedDnsServer } from '../dns/server/server.ts';
import path from 'node:path';
import { parseAgentConfig } from '../config/agent-config.ts';
import type { RunningAgent } from '../agent/agent.ts';
import { openRegistry, startAgent } from '../agent/agent.ts';
import { addUser, generatePassword, setPassword } from '../core/users.ts';
import { createCertificateAuthority, issueServerCertificate } from '../tls/certificates.ts';
import { createLogger, fileDestination } from '../log/logger.ts';
import { canonicalName } from '../core/names.ts';
import type { NetworkJson, ParticipantJson } from './network-file.ts';
export { DEFAULT_BASE_PORT, DEFAULT_DEV_DIR, DEFAULT_DNS_PORT, DEFAULT_PARTICIPANTS } from './defaults.ts';
import { networkFile, readNetwork } from './network-file.ts';

/** The generated user of the n-th participant. */
const USER_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];

export interface DevNetworkOptions {
  readonly dir: string;
  readonly participants: readonly string[];
  /** Participant i listens on basePort + 2i (STARTTLS) and basePort + 2i + 1 (TLS); 0 picks free ports. */
  readonly basePort: number;
  /** The embedded DNS server's port (UDP and TCP); 0 picks a free one. */
  readonly dnsPort: number;
  readonly host?: string;
}

interface TsigKeyFile {
  readonly name: string;
  readonly secret: string;
}

/** A participant's TSIG key (HMAC-SHA256, 32 random octets), created once and kept in its dir. */
async function ensureTsigKey(home: string, participant: string): Promise<TsigKeyFile> {
  const file = path.join(home, 'tsig-key.json');
  if (await exists(file)) return JSON.parse(await readFile(file, 'utf8')) as TsigKeyFile;
  const key = { name: `eson-${participant}`, secret: randomBytes(32).toString('base64') };
  await writeFile(file, `${JSON.stringify(key)}\n`, { mode: 0o600 });
  return key;
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
async function ensureCertificates(
  dir: string,
  fqdn: string,
  host: string,
): Promise<{ ca: string; key: string; cert: string }> {
  const files = {
    ca: path.join(dir, 'ca.pem'),
    key: path.join(dir, 'agent-key.pem'),
    cert: path.join(dir, 'agent-cert.pem'),
  };
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
  const previous = (await exists(networkFile(dir)))
    ? await readNetwork(dir).catch(() => undefined)
    : undefined;
  const names = options.participants.map((p) => p.toLowerCase());
  const homes = names.map((name) => path.join(dir, name));
  for (const home of homes) await mkdir(home, { recursive: true, mode: 0o700 });
  const keys = await Promise.all(names.map((name, i) => ensureTsigKey(homes[i] ?? dir, name)));

  // One DNS server plays the Internet's DNS: authoritative for every zone, each zone writable
  // only with its own participant's key. Its records persist in the network's dir.
  const dns = new EmbeddedDnsServer({
    host,
    port: options.dnsPort,
    stateFile: path.join(dir, 'dns-state.json'),
    zones: names.map((name, i) => ({
      name: `${name}.test`,
      keys: [{ name: keys[i]?.name ?? '', algorithm: 'hmac-sha256', secret: keys[i]?.secret ?? '' }],
    })),
    log: createLogger({
      level: 'info',
      name: 'dns',
      destination: fileDestination(path.join(dir, 'dns.log')),
    }),
  });
  const dnsAddress = await dns.start();
  const running: RunningAgent[] = [];
  const participants: ParticipantJson[] = [];
  try {
    for (const [index, name] of names.entries()) {
      const zone = canonicalName(`${name}.test`, 'participant');
      const namespace = `flows.${zone}`;
      const fqdn = `fnaa.${zone}`;
      const home = homes[index] ?? dir;
      const key = keys[index];
      if (!key) throw new Error(`no TSIG key for ${name}`);
      const certs = await ensureCertificates(home, fqdn, host);
      const userName = USER_NAMES[index] ?? `${name}-user`;
      const password =
        previous?.participants.find((p) => p.name === name)?.users.find((u) => u.name === userName)
          ?.password ?? generatePassword();
      const dataDir = path.join(home, 'data');
      const registry = await openRegistry(dataDir);
      try {
        if (await registry.getUser(userName)) await setPassword(registry, userName, password);
        else await addUser(registry, userName, password);
      } finally {
        await registry.close();
      }
      const port = options.basePort === 0 ? 0 : options.basePort + 2 * index;
      const dnsServer = `${dnsAddress.host}:${dnsAddress.port}`;
      const config = parseAgentConfig(
        {
          fqdn,
          dataDir,
          listen: { host, port, tlsPort: options.basePort === 0 ? 0 : port + 1 },
          tls: { keyFile: certs.key, certFile: certs.cert },
          namespaces: [{ name: namespace, owner: userName, description: `${name}'s flows` }],
          dns: {
            writer: { type: 'rfc2136', server: dnsServer, zone, key },
            nameservers: [dnsServer],
            addresses: [host],
          },
        },
        home,
      );
      const log = createLogger({
        level: 'info',
        name: fqdn,
        destination: fileDestination(path.join(home, 'agent.log')),
      });
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
    await dns.stop();
    throw error;
  }
  const caBundle = path.join(dir, 'ca-bundle.pem');
  const pems = await Promise.all(participants.map((p) => readFile(p.caFile, 'utf8')));
  await writeFile(caBundle, pems.map((pem) => `${pem.trimEnd()}\n`).join(''));
  const network: NetworkJson = {
    dns: { host: dnsAddress.host, port: dnsAddress.port },
    caBundle,
    participants,
  };
  const file = networkFile(dir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(network, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return {
    network,
    file,
    async stop() {
      await Promise.all(running.map((a) => a.stop()));
      await dns.stop();
    },
  };
}
