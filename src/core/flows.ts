/** Flow commands: the logic behind CREATE / DESCRIBE / UPDATE / DELETE / LIST FLOW(S), READ and WRITE. */
import type { CoreDeps } from './deps.ts';
import type { Identity } from './identity.ts';
import type { Broker, QueueInfo, StoredEvent } from '../ports/broker.ts';
import type { BrokerEndpoint, FlowRegistration, NameServiceWriter } from '../ports/name-service.ts';
import type { DnsView } from './deps.ts';
import { lockFor } from './keyed-lock.ts';
import type { FlowPatch, FlowRecord, NamespaceRecord, Visibility } from '../ports/registry.ts';
import { mayManageFlow, mayReadFlow, ownsNamespace, requireUser } from './access.ts';
import {
  EsonError,
  exists,
  forbidden,
  invalidArgument,
  invalidName,
  isEsonError,
  notFound,
  unavailable,
} from './errors.ts';
import { MAX_NAME_OCTETS, parentName, parseFlowName, parseNamespaceName } from './names.ts';
import { queueServiceName } from './fns-records.ts';
import { viaDns } from './via-dns.ts';

export interface CreateFlowOptions {
  readonly broker?: string | undefined;
  readonly visibility?: Visibility | undefined;
  readonly description?: string | undefined;
}

export function parseVisibility(value: string): Visibility {
  const v = value.toLowerCase();
  if (v !== 'public' && v !== 'private')
    throw invalidArgument(`visibility must be public or private, not "${value}"`);
  return v;
}

/** The namespace a flow FQDN belongs to: the longest existing namespace that is a proper suffix. */
async function namespaceOf(deps: CoreDeps, flow: string): Promise<NamespaceRecord> {
  for (let up = parentName(flow); up !== undefined; up = parentName(up)) {
    const ns = await deps.registry.getNamespace(up);
    if (ns) return ns;
  }
  throw invalidName(`flow ${flow} is outside the namespaces this agent serves`);
}

export function brokerFor(deps: CoreDeps, type: string): Broker {
  const broker = deps.brokers.get(type);
  if (!broker) {
    throw invalidArgument(
      `broker "${type}" is not configured on this agent (configured: ${[...deps.brokers.keys()].join(', ')})`,
    );
  }
  return broker;
}

/** Wraps a broker call so that a broker fault reaches the client as 451, not as an internal error. */
async function viaBroker<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isEsonError(error)) throw error;
    throw unavailable(`broker failed to ${what}; nothing was changed`, error);
  }
}

export async function createFlow(
  deps: CoreDeps,
  identity: Identity,
  input: string,
  options: CreateFlowOptions = {},
): Promise<FlowRecord> {
  const user = requireUser(identity, 'create flows');
  const name = parseFlowName(input);
  return lockFor(deps).run(name, () => createFlowLocked(deps, user, name, options));
}

/**
 * Queue, then DNS, then registry: each step undone if a later one fails, so that a failure leaves
 * no half-created flow (no queue, no records, no registry row) and the client gets 451.
 */
async function createFlowLocked(
  deps: CoreDeps,
  user: string,
  name: string,
  options: CreateFlowOptions,
): Promise<FlowRecord> {
  if (await deps.registry.getFlow(name)) throw exists(`flow ${name}`);
  if (await deps.registry.getNamespace(name))
    throw new EsonError('exists', `a namespace named ${name} exists; a flow may not share its name`);
  const namespace = await namespaceOf(deps, name);
  if (!(await ownsNamespace(deps.registry, user, namespace.name))) {
    throw forbidden(`not permitted: ${user} does not own namespace ${namespace.name}`);
  }
  if (deps.nameService) checkPublishable(name);
  const brokerType = options.broker ?? deps.defaultBroker;
  const broker = brokerFor(deps, brokerType);
  const now = deps.now().toISOString();
  const record: FlowRecord = {
    name,
    namespace: namespace.name,
    owner: user,
    broker: brokerType,
    queue: name,
    visibility: options.visibility ?? 'private',
    description: options.description ?? '',
    createdAt: now,
    updatedAt: now,
  };
  const queue = await viaBroker('create the queue', async () => {
    try {
      return await broker.createQueue(record.queue);
    } catch (error) {
      // A queue without a flow is an orphan of an earlier crash between these steps: reset it.
      if (!isEsonError(error) || error.kind !== 'exists') throw error;
      if (await deps.registry.getFlow(name)) throw exists(`flow ${name}`);
      await broker.deleteQueue(record.queue);
      return broker.createQueue(record.queue);
    }
  });
  const dropQueue = () => broker.deleteQueue(record.queue).catch(() => undefined);
  const registration = flowRegistration(deps, record, queue);
  if (registration) {
    try {
      await viaDns(`registration of flow ${name}`, () =>
        registration.writer.registerFlow(registration.records),
      );
    } catch (error) {
      await dropQueue();
      throw error;
    }
  }
  try {
    await deps.registry.createFlow(record);
  } catch (error) {
    // 'exists': a concurrent creation (another process on the same registry) won the race; the
    // queue and records are that flow's now, so they stay.
    if (!isEsonError(error) || error.kind !== 'exists') {
      if (registration) await registration.writer.unregisterFlow(registration.records).catch(() => undefined);
      await dropQueue();
    }
    throw error;
  }
  return record;
}

/**
 * A flow this agent publishes must fit in DNS: its longest record name is `_queue._flow._tcp.<flow>`,
 * at most 253 octets, so the flow name holds at most 235. Refused as an invalid name (553) before
 * anything is created, not as a DNS failure (451) that no retry can cure.
 */
function checkPublishable(name: string): void {
  const longest = queueServiceName(name);
  const octets = Buffer.byteLength(longest, 'utf8');
  if (octets > MAX_NAME_OCTETS) {
    const most = MAX_NAME_OCTETS - (octets - Buffer.byteLength(name, 'utf8'));
    throw invalidName(
      `flow ${name} is too long to publish in DNS: ${longest.slice(0, 32)}... would be ${octets} octets, over ${MAX_NAME_OCTETS} (a flow name holds at most ${most})`,
    );
  }
}

/** The records of a flow served by this agent, or undefined when the agent has no name service. */
function flowRegistration(
  deps: CoreDeps,
  flow: FlowRecord,
  queue: QueueInfo,
): { writer: NameServiceWriter; records: FlowRegistration } | undefined {
  const ns = deps.nameService;
  if (!ns) return undefined;
  return {
    writer: ns.writer,
    records: { flow: flow.name, agent: ns.agent, broker: brokerEndpoint(flow, queue), ttl: ns.ttl },
  };
}

/**
 * Writes the records of every flow in the registry again, as this agent advertises itself now: an
 * agent that starts on other ports (`eson dev --base-port 0`) would otherwise leave SRV records
 * that point at its old ones. Records that are gone are registered again. Returns what failed, one
 * message per flow; the flows themselves are not touched.
 */
export async function republishFlows(deps: CoreDeps): Promise<string[]> {
  if (!deps.nameService) return [];
  const failures: string[] = [];
  for (const flow of await deps.registry.listFlows()) {
    await lockFor(deps).run(flow.name, async () => {
      try {
        const queue = await brokerFor(deps, flow.broker).describeQueue(flow.queue);
        const registration = flowRegistration(deps, flow, queue);
        if (!registration) return;
        await registration.writer.updateFlow(registration.records).catch(async (error: unknown) => {
          // updateFlow needs the PTR to be there; without it, the flow is registered afresh.
          if (!isEsonError(error) || error.kind !== 'not-found') throw error;
          await registration.writer.registerFlow(registration.records);
        });
      } catch (error) {
        failures.push(`flow ${flow.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }
  return failures;
}

/** Stands in for a queue that is already gone: unregistering only needs the record names. */
function placeholderQueue(flow: FlowRecord): QueueInfo {
  return {
    name: flow.queue,
    type: flow.broker,
    endpoint: 'unknown:0',
    tls: false,
    firstPosition: 0,
    nextPosition: 0,
    retentionMs: undefined,
    createdAt: flow.createdAt,
  };
}

/** The broker endpoint of a queue as DNS carries it: host and port, or an URL's host and port. */
export function brokerEndpoint(flow: FlowRecord, queue: QueueInfo): BrokerEndpoint {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(queue.endpoint)) {
    const url = new URL(queue.endpoint);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return {
      type: flow.broker,
      host: url.hostname,
      port,
      queue: flow.queue,
      queueUrl: queue.endpoint,
      tls: queue.tls,
    };
  }
  const colon = queue.endpoint.lastIndexOf(':');
  const host = colon > 0 ? queue.endpoint.slice(0, colon).replace(/^\[|\]$/g, '') : queue.endpoint;
  const port = colon > 0 ? Number(queue.endpoint.slice(colon + 1)) : 0;
  return { type: flow.broker, host, port, queue: flow.queue, tls: queue.tls };
}

async function getFlow(deps: CoreDeps, input: string): Promise<FlowRecord> {
  const name = parseFlowName(input);
  const flow = await deps.registry.getFlow(name);
  if (!flow) throw notFound(`flow ${name}`);
  return flow;
}

/** Loads a flow the identity may read; a private flow of someone else looks like a missing one. */
export async function readableFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowRecord> {
  const flow = await getFlow(deps, input);
  if (!(await mayReadFlow(deps.registry, identity, flow))) throw notFound(`flow ${flow.name}`);
  return flow;
}

export async function manageableFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowRecord> {
  const flow = await getFlow(deps, input);
  if (!(await mayManageFlow(deps.registry, identity, flow))) {
    if (!(await mayReadFlow(deps.registry, identity, flow))) throw notFound(`flow ${flow.name}`);
    throw forbidden(`not permitted: only the owner may change flow ${flow.name}`);
  }
  return flow;
}

export interface FlowDescription {
  readonly flow: FlowRecord;
  readonly queue: QueueInfo;
  /** What DNS says about the flow; undefined when the agent has no name service. */
  readonly dns: DnsView | undefined;
}

export async function describeFlow(
  deps: CoreDeps,
  identity: Identity,
  input: string,
): Promise<FlowDescription> {
  const flow = await readableFlow(deps, identity, input);
  const queue = await viaBroker('describe the queue', () =>
    brokerFor(deps, flow.broker).describeQueue(flow.queue),
  );
  const lookup = deps.nameService?.lookup;
  const dns = lookup
    ? await lookup(flow.name).catch((error: unknown): DnsView => ({
        status: 'unavailable',
        detail: error instanceof Error ? error.message : String(error),
      }))
    : undefined;
  return { flow, queue, dns };
}

export async function updateFlow(
  deps: CoreDeps,
  identity: Identity,
  input: string,
  patch: FlowPatch,
): Promise<FlowRecord> {
  const flow = await manageableFlow(deps, identity, input);
  if (Object.keys(patch).length === 0) throw invalidArgument('UPDATE FLOW needs at least one key=value');
  return deps.registry.updateFlow(flow.name, patch);
}

export async function deleteFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowRecord> {
  const target = await manageableFlow(deps, identity, input);
  return lockFor(deps).run(target.name, () => deleteFlowLocked(deps, target));
}

/** DNS first: if its records cannot be removed, the flow stays whole (451) rather than half-deleted. */
async function deleteFlowLocked(deps: CoreDeps, flow: FlowRecord): Promise<FlowRecord> {
  if (deps.nameService) {
    const queue = await viaBroker('describe the queue', () =>
      brokerFor(deps, flow.broker).describeQueue(flow.queue),
    ).catch(() => undefined);
    const registration = flowRegistration(deps, flow, queue ?? placeholderQueue(flow));
    if (registration) {
      await viaDns(`removal of flow ${flow.name}`, () =>
        registration.writer.unregisterFlow(registration.records),
      );
      try {
        await deps.registry.deleteFlow(flow.name);
      } catch (error) {
        // The flow stays: so must its records ("nothing was changed").
        await registration.writer.registerFlow(registration.records).catch(() => undefined);
        throw error;
      }
    }
  } else {
    await deps.registry.deleteFlow(flow.name);
  }
  // The registry no longer knows the flow; a queue left by a failure here is reset on the next create.
  await brokerFor(deps, flow.broker)
    .deleteQueue(flow.queue)
    .catch(() => undefined);
  return flow;
}

export async function listFlows(
  deps: CoreDeps,
  identity: Identity,
  namespaceInput?: string,
): Promise<FlowRecord[]> {
  if (namespaceInput === undefined) {
    const user = requireUser(identity, 'list their own flows (name a namespace)');
    const all = await deps.registry.listFlows();
    const mine: FlowRecord[] = [];
    for (const flow of all)
      if (await mayManageFlow(deps.registry, { kind: 'user', name: user }, flow)) mine.push(flow);
    return mine;
  }
  const namespace = parseNamespaceName(namespaceInput);
  if (!(await deps.registry.getNamespace(namespace))) throw notFound(`namespace ${namespace}`);
  const flows = await deps.registry.listFlows({ namespace });
  const visible: FlowRecord[] = [];
  for (const flow of flows) if (await mayReadFlow(deps.registry, identity, flow)) visible.push(flow);
  return visible;
}

/** Where a READ FLOW starts: a position, the ends of the log, or the identity's committed position. */
export type ReadStart = number | 'earliest' | 'latest' | 'committed';

export interface ReadRequest {
  readonly start: ReadStart;
  readonly limit: number;
  readonly maxBytes: number;
  readonly waitMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface ReadResponse {
  readonly flow: FlowRecord;
  readonly events: StoredEvent[];
  readonly next: number;
  /** Records the identity's position; set for reads from the committed position by a named user. */
  readonly commit?: () => Promise<void>;
}

export async function readFlow(
  deps: CoreDeps,
  identity: Identity,
  input: string,
  request: ReadRequest,
): Promise<ReadResponse> {
  const flow = await readableFlow(deps, identity, input);
  const broker = brokerFor(deps, flow.broker);
  const consumer = identity.kind === 'user' ? `user:${identity.name}` : undefined;
  return viaBroker('read the queue', async () => {
    let from: number;
    if (typeof request.start === 'number') from = request.start;
    else if (request.start === 'committed') {
      from = consumer === undefined ? 0 : ((await broker.committed(flow.queue, consumer)) ?? 0);
    } else {
      const info = await broker.describeQueue(flow.queue);
      from = request.start === 'earliest' ? info.firstPosition : info.nextPosition;
    }
    const readOnce = () =>
      broker.read(flow.queue, { from, limit: request.limit, maxBytes: request.maxBytes });
    let result = await readOnce();
    if (result.events.length === 0 && request.waitMs > 0 && !request.signal?.aborted) {
      await broker.waitFor(flow.queue, result.next, request.waitMs, request.signal);
      from = result.next;
      result = await readOnce();
    }
    const commit =
      request.start === 'committed' && consumer !== undefined
        ? () => broker.commit(flow.queue, consumer, result.next)
        : undefined;
    return { flow, events: result.events, next: result.next, ...(commit ? { commit } : {}) };
  });
}

/** Checks that the identity may write to the flow; WRITE FLOW calls it before answering 354. */
export async function writableFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowRecord> {
  requireUser(identity, 'write flows');
  return manageableFlow(deps, identity, input);
}

/** Appends an already validated batch: all events stored, or none. */
export async function appendEvents(
  deps: CoreDeps,
  flow: FlowRecord,
  events: readonly string[],
): Promise<{ first: number; next: number }> {
  return viaBroker('store the events', () => brokerFor(deps, flow.broker).append(flow.queue, events));
}
