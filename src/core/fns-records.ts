/**
 * The Flow Name Service record layout (shared/product/fns-records.md), built in one place for
 * every writer. For flow F served by agent A, with events on broker B:
 *
 *   F.                      PTR  _flow._tcp.F.
 *   _flow._tcp.F.           SRV  <prio> <weight> <A's FNAP port> <A's host>.
 *   _flow._tcp.F.           TXT  "tls"                                   (when A offers TLS)
 *   _queue._flow._tcp.F.    SRV  <prio> <weight> <B's port> <B's host>.
 *   _queue._flow._tcp.F.    TXT  "broker-type=<type>" "queue=<name>" ["queue-url=<url>"] ["tls"]
 *
 * and for namespace N: `_flow._tcp.N.` SRV (and TXT "tls") of the agent serving it.
 */
import type {
  AgentEndpoint,
  FlowRegistration,
  NamespaceRegistration,
  ResourceRecord,
} from '../ports/name-service.ts';
import { invalidArgument } from './errors.ts';

export const FLOW_SERVICE_LABEL = '_flow._tcp';
export const QUEUE_SERVICE_LABEL = '_queue._flow._tcp';
/** RFC 1035 §3.3: a character-string holds at most 255 octets. */
export const MAX_TXT_STRING_OCTETS = 255;
/** TTL of flow records when the agent's config does not say otherwise. */
export const DEFAULT_RECORD_TTL = 60;
export const DEFAULT_SRV_PRIORITY = 10;
export const DEFAULT_SRV_WEIGHT = 10;

export const flowServiceName = (flow: string): string => `${FLOW_SERVICE_LABEL}.${flow}`;
export const queueServiceName = (flow: string): string => `${QUEUE_SERVICE_LABEL}.${flow}`;

function txt(name: string, ttl: number, strings: readonly string[]): ResourceRecord {
  for (const s of strings) {
    const octets = Buffer.byteLength(s, 'utf8');
    if (octets > MAX_TXT_STRING_OCTETS) {
      throw invalidArgument(
        `TXT string "${s.slice(0, 32)}..." of ${name} is ${octets} octets, over ${MAX_TXT_STRING_OCTETS}`,
      );
    }
  }
  return { name, ttl, type: 'TXT', strings };
}

function agentRecords(name: string, agent: AgentEndpoint, ttl: number): ResourceRecord[] {
  const records: ResourceRecord[] = [
    {
      name,
      ttl,
      type: 'SRV',
      priority: agent.priority ?? DEFAULT_SRV_PRIORITY,
      weight: agent.weight ?? DEFAULT_SRV_WEIGHT,
      port: agent.port,
      target: agent.host,
    },
  ];
  if (agent.tls) records.push(txt(name, ttl, ['tls']));
  return records;
}

/** Every record of a flow, in a fixed order (writers rely on it for golden tests). */
export function flowRecords(r: FlowRegistration): ResourceRecord[] {
  const service = flowServiceName(r.flow);
  const queue = queueServiceName(r.flow);
  const brokerStrings = [`broker-type=${r.broker.type}`, `queue=${r.broker.queue}`];
  if (r.broker.queueUrl) brokerStrings.push(`queue-url=${r.broker.queueUrl}`);
  if (r.broker.tls) brokerStrings.push('tls');
  return [
    { name: r.flow, ttl: r.ttl, type: 'PTR', target: service },
    ...agentRecords(service, r.agent, r.ttl),
    {
      name: queue,
      ttl: r.ttl,
      type: 'SRV',
      priority: DEFAULT_SRV_PRIORITY,
      weight: DEFAULT_SRV_WEIGHT,
      port: r.broker.port,
      target: r.broker.host,
    },
    txt(queue, r.ttl, brokerStrings),
  ];
}

/** The names that hold a flow's records (what unregisterFlow clears). */
export function flowRecordNames(flow: string): string[] {
  return [flow, flowServiceName(flow), queueServiceName(flow)];
}

export function namespaceRecords(r: NamespaceRegistration): ResourceRecord[] {
  return agentRecords(flowServiceName(r.namespace), r.agent, r.ttl);
}
