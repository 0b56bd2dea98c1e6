/**
 * Agents that publish their flows in DNS, for the Flow Name Service integration tests: a real
 * embedded DNS server per test (127.0.0.1, a free port, its own state file, zones orange.test and
 * blue.test with fresh TSIG keys) that can be stopped and started again on the same port, and real
 * agents (startAgent) configured with a `dns` section that points at it (or at BIND9). The outside
 * tools (`dig`, `nsupdate`) come from test/integration/dns-server/helpers.ts.
 *
 * Each test makes its own servers, directories and ports; nothing is shared but one CA and
 * certificate per process (generating them is the slow part of a start).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunningAgent } from '../../../src/agent/agent.ts';
import { openRegistry, startAgent } from '../../../src/agent/agent.ts';
import type { FnapReply } from '../../../src/client/fnap-client.ts';
import { FnapClient } from '../../../src/client/fnap-client.ts';
import { parseAgentConfig } from '../../../src/config/agent-config.ts';
import { addUser } from '../../../src/core/users.ts';
import { DnsResolver, FlowResolver } from '../../../src/dns/resolver/index.ts';
import type { DnsZoneKeyOptions, DnsZoneOptions } from '../../../src/dns/server/options.ts';
import type { DnsServerAddress } from '../../../src/dns/server/server.ts';
import { EmbeddedDnsServer } from '../../../src/dns/server/server.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { CertificateAuthority, PemPair } from '../../../src/tls/certificates.ts';
import { createCertificateAuthority, issueServerCertificate } from '../../../src/tls/certificates.ts';
import { dig } from '../dns-server/helpers.ts';

export const ZONE = 'orange.test';
export const NAMESPACE = 'flows.orange.test';
export const AGENT_FQDN = 'fnaa.orange.test';
/** The owner of every served namespace of these agents. */
export const USER = 'alice';
export const PASSWORD = 'alice-password-1';
/** Every name an agent of these tests may carry in its certificate. */
const AGENT_NAMES = [
  AGENT_FQDN,
  'fnaa-a.orange.test',
  'fnaa-b.orange.test',
  'fnaa.signed.test',
  'localhost',
  '127.0.0.1',
];

/** One CI step may wait for a few DNS round trips and a TLS handshake on a loaded 2-core machine. */
export const T = { timeout: 60_000 };

export const newKey = (name: string): DnsZoneKeyOptions => ({
  name,
  algorithm: 'hmac-sha256',
  secret: randomBytes(32).toString('base64'),
});

export interface TestDnsServer extends DnsServerAddress {
  readonly dir: string;
  readonly stateFile: string;
  readonly orangeKey: DnsZoneKeyOptions;
  readonly blueKey: DnsZoneKeyOptions;
  /** Stops the running server (the records stay in the state file). */
  stop(): Promise<void>;
  /** Starts a new server on the same port and state file; `zones` replaces the zone set. */
  start(zones?: readonly DnsZoneOptions[]): Promise<void>;
  /** Stops the server and removes its directory. */
  cleanup(): Promise<void>;
}

/**
 * An embedded DNS server authoritative for orange.test (orange's key) and blue.test (blue's key).
 * `zones` overrides the zone set of the first start (e.g. one key allowed in two zones).
 */
export async function startTestDns(
  zones?: (keys: { orange: DnsZoneKeyOptions; blue: DnsZoneKeyOptions }) => DnsZoneOptions[],
): Promise<TestDnsServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-fns-dns-'));
  const stateFile = path.join(dir, 'dns-state.json');
  const orangeKey = newKey('orange-key');
  const blueKey = newKey('blue-key');
  const defaultZones: DnsZoneOptions[] = [
    { name: ZONE, keys: [orangeKey] },
    { name: 'blue.test', keys: [blueKey] },
  ];
  let server: EmbeddedDnsServer | undefined;
  let port = 0;
  const launch = async (set: readonly DnsZoneOptions[]): Promise<void> => {
    const next = new EmbeddedDnsServer({ host: '127.0.0.1', port, stateFile, zones: set });
    server = next;
    port = (await next.start()).port;
  };
  try {
    await launch(zones ? zones({ orange: orangeKey, blue: blueKey }) : defaultZones);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    dir,
    stateFile,
    orangeKey,
    blueKey,
    async stop() {
      await server?.stop();
    },
    async start(set = defaultZones) {
      await server?.stop();
      await launch(set);
    },
    async cleanup() {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let certificates: Promise<{ ca: CertificateAuthority; server: PemPair }> | undefined;

function testCertificates(): Promise<{ ca: CertificateAuthority; server: PemPair }> {
  certificates ??= (async () => {
    const ca = await createCertificateAuthority('ESON FNS test CA');
    return { ca, server: await issueServerCertificate(ca, AGENT_NAMES) };
  })();
  return certificates;
}

export interface DnsAgentOptions {
  /** where the RFC 2136 writer sends its updates */
  readonly server: DnsServerAddress;
  readonly key: DnsZoneKeyOptions;
  readonly zone?: string;
  readonly fqdn?: string;
  /** served namespaces, each owned by USER; default [NAMESPACE] */
  readonly namespaces?: readonly string[];
  /** resolvers of the read-back (DESCRIBE FLOW); default [server] */
  readonly nameservers?: readonly DnsServerAddress[];
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** a certificate (implicit TLS port advertised with "tls"); default true */
  readonly tls?: boolean;
  /** reuse a directory (restart); otherwise a new one with USER in its registry */
  readonly dir?: string;
}

export interface DnsAgent {
  readonly agent: RunningAgent;
  readonly dir: string;
  readonly fqdn: string;
  readonly port: number;
  readonly tlsPort: number | undefined;
  /** the port SRV advertises: the implicit-TLS one when there is a certificate */
  readonly advertisedPort: number;
  /** An authenticated session (USER by default; ANONYMOUS with `anonymous`). */
  session(options?: { anonymous?: boolean }): Promise<FnapClient>;
  stop(): Promise<void>;
  /** Stops the agent and removes its directory. */
  dispose(): Promise<void>;
}

const hostPort = (a: DnsServerAddress): string => `${a.host}:${a.port}`;

export async function startDnsAgent(options: DnsAgentOptions): Promise<DnsAgent> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'eson-fns-agent-')));
  const fqdn = options.fqdn ?? AGENT_FQDN;
  const withTls = options.tls ?? true;
  const { ca, server } = await testCertificates();
  try {
    if (withTls) {
      await writeFile(path.join(dir, 'key.pem'), server.keyPem, { mode: 0o600 });
      await writeFile(path.join(dir, 'cert.pem'), server.certPem);
    }
    if (!options.dir) {
      const registry = await openRegistry(path.join(dir, 'data'));
      try {
        await addUser(registry, USER, PASSWORD);
      } finally {
        await registry.close();
      }
    }
    const config = parseAgentConfig(
      {
        fqdn,
        dataDir: 'data',
        listen: { host: '127.0.0.1', port: 0, tlsPort: 0 },
        ...(withTls ? { tls: { keyFile: 'key.pem', certFile: 'cert.pem' } } : {}),
        namespaces: (options.namespaces ?? [NAMESPACE]).map((name) => ({ name, owner: USER })),
        brokers: { local: { fsync: false } },
        // Plain PLAIN is only for the no-TLS agent; sessions use SCRAM either way.
        insecurePlain: !withTls,
        limits: { authFailureDelayMs: 10, shutdownGraceMs: 2000 },
        dns: {
          writer: {
            type: 'rfc2136',
            server: hostPort(options.server),
            zone: options.zone ?? ZONE,
            key: { name: options.key.name, secret: options.key.secret },
            timeoutMs: options.timeoutMs ?? 2000,
            retries: options.retries ?? 1,
          },
          nameservers: (options.nameservers ?? [options.server]).map(hostPort),
          addresses: ['127.0.0.1'],
        },
      },
      dir,
    );
    const agent = await startAgent(config, { log: silentLogger() });
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await agent.stop();
    };
    const tlsPort = agent.addresses.tlsPort;
    return {
      agent,
      dir,
      fqdn,
      port: agent.addresses.port,
      tlsPort,
      advertisedPort: tlsPort ?? agent.addresses.port,
      async session(o = {}) {
        const client = await FnapClient.connect({
          host: '127.0.0.1',
          port: tlsPort ?? agent.addresses.port,
          tls: tlsPort === undefined ? 'none' : 'implicit',
          ca: ca.certPem,
          servername: fqdn,
          clientName: 'fns-test',
        });
        try {
          await client.authenticate(
            o.anonymous
              ? { mechanism: 'ANONYMOUS' }
              : { mechanism: 'SCRAM-SHA-256', user: USER, password: PASSWORD },
          );
        } catch (error) {
          await client.close();
          throw error;
        }
        return client;
      },
      stop,
      async dispose() {
        await stop();
        if (!options.dir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (!options.dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs `fn` with a session, always closed. */
export async function withSession<R>(agent: DnsAgent, fn: (c: FnapClient) => Promise<R>): Promise<R> {
  const c = await agent.session();
  try {
    return await fn(c);
  } finally {
    await c.quit().catch(() => undefined);
  }
}

/** The `key=value` lines of a DESCRIBE reply. */
export function body(r: FnapReply): Record<string, string> {
  return FnapClient.body(r);
}

/** A reply as one line for assertion messages. */
export const text = (r: FnapReply): string => `${r.code} ${r.lines.join(' / ')}`;

/** The three names that hold a flow's records. */
export const flowNames = (flow: string): string[] => [
  flow,
  `_flow._tcp.${flow}`,
  `_queue._flow._tcp.${flow}`,
];

/**
 * Everything `dig` shows at `names` (ANY over TCP: every RRset), one `name ttl type rdata` line per
 * record, sorted.
 */
export async function digNames(dns: DnsServerAddress, names: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const name of names) {
    for (const rr of await dig(dns, name, 'ANY', ['+tcp']))
      lines.push(`${rr.name} ${rr.ttl} ${rr.type} ${rr.rdata}`);
  }
  return lines.sort();
}

/** What shared/product/fns-records.md says a flow of an agent with the embedded broker holds. */
export function expectedFlowRecords(
  flow: string,
  agent: { fqdn: string; port: number; tls: boolean },
): string[] {
  const ttl = 60;
  const service = `_flow._tcp.${flow}.`;
  const queue = `_queue._flow._tcp.${flow}.`;
  return [
    `${flow}. ${ttl} PTR ${service}`,
    `${service} ${ttl} SRV 10 10 ${agent.port} ${agent.fqdn}.`,
    ...(agent.tls ? [`${service} ${ttl} TXT "tls"`] : []),
    // The embedded broker is read through the agent itself: its endpoint is the agent's.
    `${queue} ${ttl} SRV 10 10 ${agent.port} ${agent.fqdn}.`,
    `${queue} ${ttl} TXT "broker-type=local" "queue=${flow}"${agent.tls ? ' "tls"' : ''}`,
  ].sort();
}

/** What a namespace's `_flow._tcp` name holds. */
export function expectedNamespaceRecords(
  namespace: string,
  agent: { fqdn: string; port: number; tls: boolean },
): string[] {
  const service = `_flow._tcp.${namespace}.`;
  return [
    `${service} 60 SRV 10 10 ${agent.port} ${agent.fqdn}.`,
    ...(agent.tls ? [`${service} 60 TXT "tls"`] : []),
  ].sort();
}

/** The project's own flow resolver, uncached, asking `dns` only. */
export function projectResolver(dns: DnsServerAddress): FlowResolver {
  return new FlowResolver({
    resolver: new DnsResolver({
      nameservers: [{ host: dns.host, port: dns.port }],
      cache: false,
      retries: 0,
    }),
  });
}

/** Waits until `check` holds, at most `timeoutMs`; returns its last value. */
export async function eventually<V>(
  read: () => Promise<V>,
  check: (value: V) => boolean,
  timeoutMs = 10_000,
): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}
