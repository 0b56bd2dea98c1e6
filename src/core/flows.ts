/** Flow commands: the logic behind CREATE / DESCRIBE / UPDATE / DELETE / LIST FLOW(S), READ and WRITE. */
import type { CoreDeps } from './deps.ts';
import type { Identity } from './identity.ts';
import type { Broker, QueueInfo, StoredEvent } from '../ports/broker.ts';
import type { FlowPatch, FlowRecord, NamespaceRecord, Visibility } from '../ports/registry.ts';
import { mayManageFlow, mayReadFlow, ownsNamespace, requireUser } from './access.ts';
import { exists, forbidden, invalidArgument, invalidName, isEsonError, notFound, unavailable } from './errors.ts';
import { parentName, parseFlowName, parseNamespaceName } from './names.ts';

export interface CreateFlowOptions {
  readonly broker?: string | undefined;
  readonly visibility?: Visibility | undefined;
  readonly description?: string | undefined;
}

export function parseVisibility(value: string): Visibility {
  const v = value.toLowerCase();
  if (v !== 'public' && v !== 'private') throw invalidArgument(`visibility must be public or private, not "${value}"`);
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
    throw invalidArgument(`broker "${type}" is not configured on this agent (configured: ${[...deps.brokers.keys()].join(', ')})`);
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
  if (await deps.registry.getFlow(name)) throw exists(`flow ${name}`);
  if (await deps.registry.getNamespace(name)) throw exists(`namespace ${name} (a flow may not share its name)`);
  const namespace = await namespaceOf(deps, name);
  if (!(await ownsNamespace(deps.registry, user, namespace.name))) {
    throw forbidden(`not permitted: ${user} does not own namespace ${namespace.name}`);
  }
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
  await viaBroker('create the queue', async () => {
    try {
      await broker.createQueue(record.queue);
    } catch (error) {
      // A queue without a flow is an orphan of an earlier crash between these two steps: reset it.
      if (!isEsonError(error) || error.kind !== 'exists') throw error;
      // Unless a concurrent creation of the same flow has registered it meanwhile: then it is that flow's.
      if (await deps.registry.getFlow(name)) throw exists(`flow ${name}`);
      await broker.deleteQueue(record.queue);
      await broker.createQueue(record.queue);
    }
  });
  try {
    await deps.registry.createFlow(record);
  } catch (error) {
    // 'exists': a concurrent creation of the same flow won the race, and the queue is its own.
    if (!isEsonError(error) || error.kind !== 'exists') await broker.deleteQueue(record.queue).catch(() => undefined);
    throw error;
  }
  return record;
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
}

export async function describeFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowDescription> {
  const flow = await readableFlow(deps, identity, input);
  const queue = await viaBroker('describe the queue', () => brokerFor(deps, flow.broker).describeQueue(flow.queue));
  return { flow, queue };
}

export async function updateFlow(deps: CoreDeps, identity: Identity, input: string, patch: FlowPatch): Promise<FlowRecord> {
  const flow = await manageableFlow(deps, identity, input);
  if (Object.keys(patch).length === 0) throw invalidArgument('UPDATE FLOW needs at least one key=value');
  return deps.registry.updateFlow(flow.name, patch);
}

export async function deleteFlow(deps: CoreDeps, identity: Identity, input: string): Promise<FlowRecord> {
  const flow = await manageableFlow(deps, identity, input);
  await deps.registry.deleteFlow(flow.name);
  // The registry no longer knows the flow; a queue left by a failure here is reset on the next create.
  await brokerFor(deps, flow.broker)
    .deleteQueue(flow.queue)
    .catch(() => undefined);
  return flow;
}

export async function listFlows(deps: CoreDeps, identity: Identity, namespaceInput?: string): Promise<FlowRecord[]> {
  if (namespaceInput === undefined) {
    const user = requireUser(identity, 'list their own flows (name a namespace)');
    const all = await deps.registry.listFlows();
    const mine: FlowRecord[] = [];
    for (const flow of all) if (await mayManageFlow(deps.registry, { kind: 'user', name: user }, flow)) mine.push(flow);
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

export async function readFlow(deps: CoreDeps, identity: Identity, input: string, request: ReadRequest): Promise<ReadResponse> {
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
    const readOnce = () => broker.read(flow.queue, { from, limit: request.limit, maxBytes: request.maxBytes });
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
