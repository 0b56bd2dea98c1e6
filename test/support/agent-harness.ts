/**
 * Starts a real agent for a test: its own temporary data directory, a fresh CA and certificate,
 * port 0 for both listeners, and three users. Each test gets its own agent; nothing is shared.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentLimits } from '../../src/agent/limits.ts';
import type { RunningAgent } from '../../src/agent/agent.ts';
import { openRegistry, startAgent } from '../../src/agent/agent.ts';
import { parseAgentConfig } from '../../src/config/agent-config.ts';
import { addUser, setDisabled } from '../../src/core/users.ts';
import type { CertificateAuthority, PemPair } from '../../src/tls/certificates.ts';
import { createCertificateAuthority, issueServerCertificate } from '../../src/tls/certificates.ts';
import { writeFile } from 'node:fs/promises';
import type { Logger } from '../../src/log/logger.ts';
import { silentLogger } from '../../src/log/logger.ts';

export const FQDN = 'fnaa.example.test';
export const NAMESPACE = 'flows.example.test';
/** alice owns NAMESPACE; bob owns OTHER_NAMESPACE; mallory is disabled. */
export const OTHER_NAMESPACE = 'flows.other.test';
export const USERS = {
  alice: 'alice-password-1',
  bob: 'bob-password-22',
  mallory: 'mallory-password-3',
} as const;

export interface TestAgentOptions {
  readonly limits?: Partial<AgentLimits>;
  /** Give the agent a certificate (STARTTLS and implicit TLS). Default true. */
  readonly tls?: boolean;
  readonly insecurePlain?: boolean;
  readonly greetingDelayMs?: number;
  readonly log?: Logger;
  /** Reuse a data directory (restart tests); otherwise a new temporary one. */
  readonly dataDir?: string;
}

export interface TestAgent {
  readonly agent: RunningAgent;
  readonly dir: string;
  readonly port: number;
  readonly tlsPort: number;
  /** PEM of the CA that signed the agent certificate. */
  readonly ca: string;
  stop(): Promise<void>;
  /** Stops the agent and removes its directory. */
  dispose(): Promise<void>;
}

let sharedCa: Promise<{ ca: CertificateAuthority; server: PemPair }> | undefined;

/** One CA and certificate per test process: generating them is the slow part of a start. */
export function testCertificates(): Promise<{ ca: CertificateAuthority; server: PemPair }> {
  sharedCa ??= (async () => {
    const ca = await createCertificateAuthority('ESON test CA');
    return { ca, server: await issueServerCertificate(ca, [FQDN, 'localhost', '127.0.0.1']) };
  })();
  return sharedCa;
}

export async function startTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const dir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'eson-agent-')));
  const { ca, server } = await testCertificates();
  const withTls = options.tls ?? true;
  if (withTls) {
    await writeFile(path.join(dir, 'key.pem'), server.keyPem, { mode: 0o600 });
    await writeFile(path.join(dir, 'cert.pem'), server.certPem);
  }
  if (!options.dataDir) {
    const registry = await openRegistry(path.join(dir, 'data'));
    try {
      for (const [name, password] of Object.entries(USERS)) await addUser(registry, name, password);
      await setDisabled(registry, 'mallory', true);
    } finally {
      await registry.close();
    }
  }
  const config = parseAgentConfig(
    {
      fqdn: FQDN,
      dataDir: 'data',
      listen: { host: '127.0.0.1', port: 0, tlsPort: 0 },
      ...(withTls ? { tls: { keyFile: 'key.pem', certFile: 'cert.pem' } } : {}),
      namespaces: [
        { name: NAMESPACE, owner: 'alice' },
        { name: OTHER_NAMESPACE, owner: 'bob' },
      ],
      brokers: { local: { fsync: false } },
      insecurePlain: options.insecurePlain ?? false,
      greetingDelayMs: options.greetingDelayMs ?? 0,
      limits: { authFailureDelayMs: 10, shutdownGraceMs: 2000, ...options.limits },
    },
    dir,
  );
  const agent = await startAgent(config, { log: options.log ?? silentLogger() });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await agent.stop();
  };
  return {
    agent,
    dir,
    port: agent.addresses.port,
    tlsPort: agent.addresses.tlsPort ?? 0,
    ca: ca.certPem,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
