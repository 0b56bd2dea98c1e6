/**
 * The Flow Name Service ports (seed 2.1.2, figure 10): a writer that registers, updates and
 * unregisters a flow's DNS records and a namespace's agent records, and a resolver that follows
 * them. The record layout is fixed by shared/product/fns-records.md and built once, in
 * core/fns-records.ts; writers (RFC 2136 + TSIG, Route 53, the embedded DNS server) only carry it.
 */

/** One resource record in presentation terms; names are FQDNs without the trailing dot. */
export type ResourceRecord =
  | { readonly name: string; readonly ttl: number; readonly type: 'PTR'; readonly target: string }
  | {
      readonly name: string;
      readonly ttl: number;
      readonly type: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  /** One TXT record holding several character-strings (RFC 6763 §6), each at most 255 octets. */
  | { readonly name: string; readonly ttl: number; readonly type: 'TXT'; readonly strings: readonly string[] }
  | { readonly name: string; readonly ttl: number; readonly type: 'A' | 'AAAA'; readonly address: string };

export type RecordType = ResourceRecord['type'];

/** Where an agent is reached: the SRV target and port, and whether it offers TLS there. */
export interface AgentEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly priority?: number;
  readonly weight?: number;
}

/** Where a flow's events live. */
export interface BrokerEndpoint {
  /** `kafka`, `sqs`, `local` */
  readonly type: string;
  readonly host: string;
  readonly port: number;
  /** topic or queue name */
  readonly queue: string;
  /** SQS: the queue URL (TXT `queue-url=`) */
  readonly queueUrl?: string | undefined;
  readonly tls: boolean;
}

export interface FlowRegistration {
  /** canonical flow FQDN */
  readonly flow: string;
  readonly agent: AgentEndpoint;
  readonly broker: BrokerEndpoint;
  readonly ttl: number;
}

export interface NamespaceRegistration {
  readonly namespace: string;
  readonly agent: AgentEndpoint;
  readonly ttl: number;
}

/**
 * Writes a participant's records. Each call changes DNS all or nothing. `registerFlow` fails with
 * an EsonError of kind 'exists' when records of that flow are already there (another agent's, or
 * an earlier registration), so two agents cannot silently overwrite each other's flow.
 * Transient failures (timeouts, SERVFAIL, throttling after retries) are kind 'unavailable';
 * refusals (REFUSED, NOTAUTH, BADKEY, BADSIG, BADTIME) are 'forbidden' with a message naming them.
 */
export interface NameServiceWriter {
  registerFlow(registration: FlowRegistration): Promise<void>;
  /** Replaces the records of a flow this agent registered. */
  updateFlow(registration: FlowRegistration): Promise<void>;
  /** Removes exactly the records registerFlow wrote; a flow with no records is not an error. */
  unregisterFlow(registration: FlowRegistration): Promise<void>;
  /** Creates or replaces the `_flow._tcp.<namespace>` SRV and TXT records. */
  registerNamespace(registration: NamespaceRegistration): Promise<void>;
  unregisterNamespace(registration: NamespaceRegistration): Promise<void>;
  close(): Promise<void>;
}
