/**
 * Assembles one agent from its configuration: the SQLite registry and the embedded broker in the
 * data directory, the served namespaces, TLS material, and the listeners. The composition root:
 * the only place that names adapters.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentConfig } from '../config/agent-config.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { Logger } from '../log/logger.ts';
import { createLogger } from '../log/logger.ts';
import type { Broker } from '../ports/broker.ts';
import { SqliteRegistry } from '../adapters/registry/sqlite/sqlite-registry.ts';
import { CachedRegistry } from '../adapters/registry/cached-registry.ts';
import { EmbeddedBroker } from '../adapters/broker/embedded/embedded-broker.ts';
import { SASL_MECHANISMS } from '../auth/sasl/registry.ts';
import type { AgentEndpoint } from '../ports/name-service.ts';
import { createNameService } from './name-service.ts';
import { republishFlows } from '../core/flows.ts';
import { republishNamespaces } from '../core/namespaces.ts';
import type { AgentContext } from './command.ts';
import type { ListeningAddresses, TlsMaterial } from './server.ts';
import { AgentServer } from './server.ts';

export const REGISTRY_FILE = 'registry.db';
export const BROKER_DIR = 'broker';

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly addresses: ListeningAddresses;
  readonly deps: CoreDeps;
  readonly server: AgentServer;
  stop(): Promise<void>;
}

/** Opens the registry of a data directory (also used by `eson user` against a stopped agent). */
export async function openRegistry(dataDir: string): Promise<SqliteRegistry> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return SqliteRegistry.open(path.join(dataDir, REGISTRY_FILE));
}

export async function startAgent(config: AgentConfig, options: { log?: Logger } = {}): Promise<RunningAgent> {
  const log = options.log ?? createLogger({ level: config.log.level, name: config.fqdn });
  const registry = await openRegistry(config.dataDir);
  const brokers = new Map<string, Broker>();
  let server: AgentServer | undefined;
  const closers: (() => Promise<void>)[] = [];
  try {
    for (const ns of config.namespaces) {
      await registry.upsertServedNamespace({
        name: ns.name,
        owner: ns.owner,
        parent: null,
        description: ns.description,
        createdAt: new Date().toISOString(),
      });
    }
    const tls = config.tls ? await loadTls(config.tls.keyFile, config.tls.certFile) : undefined;
    // Filled in once the listeners have their ports (the broker endpoint and the DNS records
    // advertise them); no command runs before start() returns.
    const deps: { -readonly [K in keyof CoreDeps]: CoreDeps[K] } = {
      registry: new CachedRegistry(registry),
      brokers,
      defaultBroker: config.brokers.default,
      now: () => new Date(),
    };
    const agent: AgentContext = {
      fqdn: config.fqdn,
      deps,
      limits: config.resolvedLimits,
      tlsAvailable: tls !== undefined,
      insecurePlain: config.insecurePlain,
      mechanisms: SASL_MECHANISMS,
      log,
    };
    server = new AgentServer({
      agent,
      host: config.listen.host,
      port: config.listen.port,
      tlsPort: tls ? config.listen.tlsPort : undefined,
      tls,
      greetingDelayMs: config.greetingDelayMs,
    });
    const addresses = await server.start();
    // The embedded broker is read through the agent itself (READ FLOW), so its endpoint is the
    // agent's own, known only once the listeners have their ports.
    const tlsPort = addresses.tlsPort;
    brokers.set(
      'local',
      new EmbeddedBroker({
        dir: path.join(config.dataDir, BROKER_DIR),
        endpoint: `${config.fqdn}:${tlsPort ?? addresses.port}`,
        tls: tlsPort !== undefined,
        fsync: config.brokers.local.fsync,
      }),
    );
    if (config.dns) {
      const advertised: AgentEndpoint = config.dns.advertise ?? {
        host: config.fqdn,
        port: addresses.tlsPort ?? addresses.port,
        tls: addresses.tlsPort !== undefined,
      };
      const nameService = createNameService(config.dns, advertised, log);
      closers.push(() => nameService.writer.close());
      deps.nameService = nameService;
      await nameService.registerOwnAddresses(config.fqdn);
      for (const ns of config.namespaces) {
        await nameService.writer.registerNamespace({
          namespace: ns.name,
          agent: advertised,
          ttl: nameService.ttl,
        });
      }
      // What an earlier run created still advertises that run's address and ports (free ports
      // change between runs): publish it again. A failure is logged, not fatal: DNS may be back later.
      const failures = [...(await republishNamespaces(deps)), ...(await republishFlows(deps))];
      for (const failure of failures) log.warn({ failure }, 'could not publish again in DNS');
    }
    const running = server;
    return {
      config,
      addresses,
      deps,
      server: running,
      async stop() {
        await running.stop();
        for (const close of closers) await close().catch(() => undefined);
        await Promise.all([...brokers.values()].map((b) => b.close()));
        await registry.close();
      },
    };
  } catch (error) {
    await server?.stop();
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([...brokers.values()].map((b) => b.close().catch(() => undefined)));
    await registry.close();
    throw error;
  }
}

async function loadTls(keyFile: string, certFile: string): Promise<TlsMaterial> {
  const [key, cert] = await Promise.all([readFile(keyFile), readFile(certFile)]);
  return { key, cert };
}
