import type { Broker } from '../ports/broker.ts';
import type { AgentEndpoint, NameServiceWriter } from '../ports/name-service.ts';
import type { Registry } from '../ports/registry.ts';

/** What the commands need to publish flows in the Flow Name Service. */
export interface NameServiceDeps {
  readonly writer: NameServiceWriter;
  /** This agent as SRV/TXT advertise it: host, FNAP port and whether TLS is spoken there. */
  readonly agent: AgentEndpoint;
  /** TTL of the records this agent writes. */
  readonly ttl: number;
  /** Reads back what DNS says about a flow (DESCRIBE FLOW); optional. */
  readonly lookup?: (flow: string) => Promise<DnsView>;
}

/** What DNS says about a flow, as DESCRIBE FLOW reports it. */
export interface DnsView {
  /** `registered` (records point at this agent), `missing`, `other` (another agent), `unavailable` */
  readonly status: 'registered' | 'missing' | 'other' | 'unavailable';
  readonly agent?: string;
  readonly broker?: string;
  readonly detail?: string;
}

/**
 * What the command logic needs from the outside world: the ports, never an adapter. The same
 * object is built in-process by the local agent and, later, inside each Lambda function.
 */
export interface CoreDeps {
  readonly registry: Registry;
  /** Brokers by type (`local`, `kafka`, `sqs`); `defaultBroker` names the one used when none is asked. */
  readonly brokers: ReadonlyMap<string, Broker>;
  readonly defaultBroker: string;
  readonly now: () => Date;
  /** The Flow Name Service; without it the agent registers nothing in DNS. */
  readonly nameService?: NameServiceDeps | undefined;
}
