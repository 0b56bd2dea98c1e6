/**
 * Builds the agent's Flow Name Service from its `dns` config: the writer adapter (RFC 2136 + TSIG
 * or Route 53), what SRV/TXT advertise, and the read-back that DESCRIBE FLOW reports.
 */
import type { DnsConfig } from '../config/agent-config.ts';
import type { DnsView, NameServiceDeps } from '../core/deps.ts';
import type { AgentEndpoint, NameServiceWriter } from '../ports/name-service.ts';
import { Rfc2136Writer } from '../adapters/dns/rfc2136/rfc2136-writer.ts';
import { Route53Writer } from '../adapters/dns/route53/route53-writer.ts';
import { DnsResolver, FlowResolver, isDnsResolveError } from '../dns/resolver/index.ts';
import type { Logger } from '../log/logger.ts';

/** Per-attempt wait and retries of RFC 2136 updates when the config does not say. */
export const DNS_UPDATE_TIMEOUT_MS = 2000;
export const DNS_UPDATE_RETRIES = 2;

export interface AgentNameService extends NameServiceDeps {
  /** Writes the A/AAAA records of the agent's own name, where the config asks for it. */
  registerOwnAddresses(fqdn: string): Promise<void>;
}

export function createNameService(config: DnsConfig, agent: AgentEndpoint, log: Logger): AgentNameService {
  const w = config.writer;
  let writer: NameServiceWriter;
  let rfc2136: Rfc2136Writer | undefined;
  if (w.type === 'rfc2136') {
    rfc2136 = new Rfc2136Writer({
      server: w.server,
      zone: w.zone,
      key: { name: w.key.name, algorithm: 'hmac-sha256', secret: w.key.secret },
      timeoutMs: w.timeoutMs ?? DNS_UPDATE_TIMEOUT_MS,
      retries: w.retries ?? DNS_UPDATE_RETRIES,
    });
    writer = rfc2136;
  } else {
    writer = new Route53Writer({
      hostedZoneId: w.hostedZoneId,
      client: { region: w.region, ...(w.endpoint ? { endpoint: w.endpoint } : {}) },
      waitForInsync: w.waitForInsync,
      log,
    });
  }
  // Read-back is uncached: DESCRIBE FLOW must show what DNS says now, not what it said a TTL ago.
  const resolver = new FlowResolver({
    resolver: new DnsResolver({
      ...(config.nameservers ? { nameservers: config.nameservers } : {}),
      cache: false,
      requireDnssec: config.requireDnssec,
    }),
  });
  const lookup = async (flow: string): Promise<DnsView> => {
    try {
      const found = await resolver.resolveFlow(flow);
      if (found.kind === 'namespace') return { status: 'missing', detail: found.unknownFlow };
      const agentAt = `${found.agent.host}:${found.agent.port}`;
      const brokerAt = `${found.broker.type} ${found.broker.host}:${found.broker.port} queue=${found.broker.queue}`;
      const ours = found.agent.host === agent.host && found.agent.port === agent.port;
      return { status: ours ? 'registered' : 'other', agent: agentAt, broker: brokerAt };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isDnsResolveError(error) && (error.reason === 'nxdomain' || error.reason === 'nodata')) {
        return { status: 'missing', detail: message };
      }
      return { status: 'unavailable', detail: message };
    }
  };
  return {
    writer,
    agent,
    ttl: config.ttl,
    lookup,
    async registerOwnAddresses(fqdn: string) {
      if (!config.addresses || config.addresses.length === 0) return;
      if (!rfc2136) throw new Error('dns.addresses needs the rfc2136 writer');
      await rfc2136.registerAddress(fqdn, config.addresses, config.ttl);
    },
  };
}
