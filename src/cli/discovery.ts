/**
 * Finds the agent that serves a flow or namespace through the Flow Name Service (the seed's FNUA
 * "discover the FNAA server for a given Flow URI"): the flow's PTR, SRV and TXT, or, for a flow
 * DNS does not know yet, the closest namespace's `_flow._tcp` records.
 */
import { DnsResolver, FlowResolveError, FlowResolver } from '../dns/resolver/index.ts';
import type { FlowResolution, NamespaceResolution } from '../dns/resolver/index.ts';
import { parseHostPort } from './session.ts';

export interface DiscoveredAgent {
  /** the SRV target: the agent's name, which its certificate carries */
  readonly fqdn: string;
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
}

export function flowResolver(nameserver: string | undefined): FlowResolver {
  const nameservers = nameserver ? [parseHostPort(nameserver, '--nameserver')] : undefined;
  return new FlowResolver({
    resolver: new DnsResolver({ ...(nameservers ? { nameservers } : {}), cache: false }),
  });
}

/**
 * A registered flow, else the namespace of that very name (`eson get flows flows.orange.test`
 * names a namespace, whose `_flow._tcp` records the flow fallback, looking only above the name,
 * would miss), else the closest namespace above it.
 */
export async function resolveFlowOrNamespace(
  name: string,
  nameserver: string | undefined,
): Promise<FlowResolution> {
  const resolver = flowResolver(nameserver);
  const asNamespace = (): Promise<NamespaceResolution | undefined> =>
    resolver.resolveNamespace(name).catch(() => undefined);
  let found: FlowResolution;
  try {
    found = await resolver.resolveFlow(name);
  } catch (error) {
    if (!(error instanceof FlowResolveError && error.problem === 'unknown-flow')) throw error;
    const own = await asNamespace();
    if (!own) throw error;
    return { ...own, kind: 'namespace', flow: own.namespace, unknownFlow: error.message, broker: undefined };
  }
  if (found.kind === 'flow') return found;
  const own = await asNamespace();
  return own ? { ...found, ...own, kind: 'namespace', broker: undefined } : found;
}

/** The agent for a flow or namespace name (FQDN or flow:// URI). Throws the resolver's clear errors. */
export async function discoverAgent(name: string, nameserver: string | undefined): Promise<DiscoveredAgent> {
  const found = await resolveFlowOrNamespace(name, nameserver);
  const { agent } = found;
  return { fqdn: agent.host, address: agent.addresses[0] ?? agent.host, port: agent.port, tls: agent.tls };
}
