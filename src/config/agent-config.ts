/**
 * The agent's configuration: one typed object, validated once at start-up; unknown keys are
 * refused so that a typo is an error, not a silently ignored setting. Paths are resolved against
 * the config file's directory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../agent/limits.ts';
import type { AgentLimits } from '../agent/limits.ts';
import { canonicalName } from '../core/names.ts';
import { splitHostPort } from '../core/host-port.ts';

/** Local defaults of the contract: 61000 (STARTTLS) and 61001 (implicit TLS). */
export const DEFAULT_PORT = 61000;
export const DEFAULT_TLS_PORT = 61001;

const fqdn = z.string().transform((value, ctx) => {
  try {
    return canonicalName(value, 'agent');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

const limitsSchema = z
  .object({
    maxLineOctets: z.number().int().min(512),
    idleTimeoutMs: z.number().int().positive(),
    tlsHandshakeTimeoutMs: z.number().int().positive(),
    maxSessions: z.number().int().positive(),
    maxSessionsPerAddress: z.number().int().positive(),
    maxUnauthenticatedCommands: z.number().int().positive(),
    maxUnknownCommands: z.number().int().positive(),
    maxAuthFailures: z.number().int().positive(),
    authFailureDelayMs: z.number().int().nonnegative(),
    maxEventOctets: z.number().int().min(1024),
    maxBatchEvents: z.number().int().positive(),
    maxBatchOctets: z.number().int().positive(),
    maxReadEvents: z.number().int().positive(),
    defaultReadEvents: z.number().int().positive(),
    maxReadOctets: z.number().int().positive(),
    maxWaitSeconds: z.number().int().nonnegative(),
    shutdownGraceMs: z.number().int().nonnegative(),
  } satisfies Record<keyof AgentLimits, z.ZodType>)
  .partial()
  .strict();

const hostPort = z.string().transform((value, ctx) => {
  const parsed = splitHostPort(value);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `must be host:port, not "${value}"` });
    return z.NEVER;
  }
  return parsed;
});

/** TTL of the records an agent writes when the config does not say. */
export const DEFAULT_DNS_TTL = 60;

const dnsSchema = z
  .object({
    /** How the agent writes its records. */
    writer: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('rfc2136'),
          /** the primary server that takes UPDATEs (BIND9, the embedded server) */
          server: hostPort,
          zone: z.string().min(1),
          key: z.object({ name: z.string().min(1), secret: z.string().min(1) }).strict(),
          timeoutMs: z.number().int().positive().optional(),
          retries: z.number().int().nonnegative().optional(),
        })
        .strict(),
      z
        .object({
          type: z.literal('route53'),
          hostedZoneId: z.string().min(1),
          region: z.string().default('us-east-1'),
          /** an emulator (moto, LocalStack) instead of AWS */
          endpoint: z.string().optional(),
          waitForInsync: z.boolean().default(false),
        })
        .strict(),
    ]),
    /** Resolvers the agent reads DNS through (DESCRIBE FLOW); default: the system's. */
    nameservers: z.array(hostPort).optional(),
    /** Accept only answers a validating resolver marked authenticated (AD). */
    requireDnssec: z.boolean().default(false),
    ttl: z.number().int().min(1).max(86_400).default(DEFAULT_DNS_TTL),
    /** What SRV/TXT advertise; default: fqdn, the implicit-TLS port (with "tls") or the plain port. */
    advertise: z
      .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), tls: z.boolean() })
      .strict()
      .optional(),
    /** Also write A/AAAA records of the agent's fqdn (single-machine networks; RFC 2136 only). */
    addresses: z.array(z.string()).optional(),
  })
  .strict();

export type DnsConfig = z.output<typeof dnsSchema>;

export const agentConfigSchema = z
  .object({
    /** The agent's host name, in its greeting and (later) its DNS records. */
    fqdn,
    /** Registry, broker log and keys live here. */
    dataDir: z.string().min(1),
    listen: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(DEFAULT_PORT),
        tlsPort: z.number().int().min(0).max(65535).default(DEFAULT_TLS_PORT),
      })
      .strict()
      .prefault({}),
    /** PEM files; without them the agent offers neither STARTTLS nor the implicit-TLS port. */
    tls: z.object({ keyFile: z.string(), certFile: z.string() }).strict().optional(),
    /** The namespaces this agent serves, each owned by one user. */
    namespaces: z
      .array(z.object({ name: fqdn, owner: z.string().min(1), description: z.string().default('') }).strict())
      .default([]),
    brokers: z
      .object({
        default: z.enum(['local']).default('local'),
        local: z
          .object({ fsync: z.boolean().default(true) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The Flow Name Service; without it the agent registers nothing in DNS. */
    dns: dnsSchema.optional(),
    /** Accept SASL PLAIN without TLS. Only for a loopback development network. */
    insecurePlain: z.boolean().default(false),
    /** Wait this long before the greeting and refuse clients that talk first (0: greet at once). */
    greetingDelayMs: z.number().int().nonnegative().default(0),
    limits: limitsSchema.default({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema> & { readonly resolvedLimits: AgentLimits };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a config object; relative paths are taken from `baseDir`. */
export function parseAgentConfig(input: unknown, baseDir: string): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) {
    // An unknown key is reported at its own path (`limits.maxLinOctets`), not at its parent's.
    const at = (keys: readonly PropertyKey[]) => keys.map(String).join('.') || '(root)';
    const problems = result.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => `${at([...i.path, key])}: unknown key`)
        : [`${at(i.path)}: ${i.message}`],
    );
    throw new ConfigError(`invalid agent configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = result.data;
  const resolve = (p: string) => path.resolve(baseDir, p);
  const limits = { ...DEFAULT_LIMITS, ...config.limits };
  if (limits.defaultReadEvents > limits.maxReadEvents) {
    throw new ConfigError(
      'invalid agent configuration: limits.defaultReadEvents exceeds limits.maxReadEvents',
    );
  }
  return {
    ...config,
    dataDir: resolve(config.dataDir),
    ...(config.tls
      ? { tls: { keyFile: resolve(config.tls.keyFile), certFile: resolve(config.tls.certFile) } }
      : {}),
    resolvedLimits: limits,
  };
}

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseAgentConfig(json, path.dirname(path.resolve(file)));
}
