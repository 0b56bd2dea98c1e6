/** Namespace commands: the logic behind CREATE / DESCRIBE / DELETE / LIST NAMESPACE(S). */
import type { CoreDeps } from './deps.ts';
import type { Identity } from './identity.ts';
import type { NamespaceRecord } from '../ports/registry.ts';
import { ownsNamespace, requireUser } from './access.ts';
import { EsonError, exists, forbidden, invalidName, notFound } from './errors.ts';
import { flowServiceName } from './fns-records.ts';
import { isWithin, MAX_NAME_OCTETS, parentName, parseNamespaceName } from './names.ts';
import { viaDns } from './via-dns.ts';

/** The nearest existing namespace strictly above `name`, if any. */
export async function nearestAncestor(deps: CoreDeps, name: string): Promise<NamespaceRecord | undefined> {
  for (let up = parentName(name); up !== undefined; up = parentName(up)) {
    const record = await deps.registry.getNamespace(up);
    if (record) return record;
  }
  return undefined;
}

export async function createNamespace(
  deps: CoreDeps,
  identity: Identity,
  input: string,
): Promise<NamespaceRecord> {
  const user = requireUser(identity, 'create namespaces');
  const name = parseNamespaceName(input);
  if (await deps.registry.getNamespace(name)) throw exists(`namespace ${name}`);
  const parent = await nearestAncestor(deps, name);
  if (!parent) throw invalidName(`namespace ${name} is outside the namespaces this agent serves`);
  if (!(await ownsNamespace(deps.registry, user, parent.name))) {
    throw forbidden(`not permitted: ${user} does not own namespace ${parent.name}`);
  }
  // Namespaces are created top-down: a new one may not slip between a namespace and what it holds,
  // or flows and child namespaces would silently change parents.
  const [siblings, flows] = await Promise.all([
    deps.registry.listNamespaces(),
    deps.registry.listFlows({ namespace: parent.name }),
  ]);
  const below = siblings.find((ns) => ns.name !== name && isWithin(ns.name, name));
  if (below) {
    throw new EsonError(
      'exists',
      `namespace ${below.name} already lies below ${name}: create namespaces from the top down`,
    );
  }
  const flowBelow = flows.find((flow) => isWithin(flow.name, name));
  if (flowBelow) throw new EsonError('exists', `flow ${flowBelow.name} already lies below ${name}`);
  const record: NamespaceRecord = {
    name,
    owner: user,
    parent: parent.name,
    description: '',
    createdAt: deps.now().toISOString(),
  };
  const ns = deps.nameService;
  if (ns) {
    // Its records live at `_flow._tcp.<namespace>`: a name DNS cannot hold is a bad name (553), not
    // a DNS failure (451) that no retry can cure.
    const service = flowServiceName(name);
    const octets = Buffer.byteLength(service, 'utf8');
    if (octets > MAX_NAME_OCTETS) {
      throw invalidName(
        `namespace ${name} is too long to publish in DNS: ${service.slice(0, 32)}... would be ${octets} octets, over ${MAX_NAME_OCTETS}`,
      );
    }
    await viaDns(`registration of namespace ${name}`, () =>
      ns.writer.registerNamespace({ namespace: name, agent: ns.agent, ttl: ns.ttl }),
    );
  }
  try {
    await deps.registry.createNamespace(record);
  } catch (error) {
    if (ns)
      await ns.writer
        .unregisterNamespace({ namespace: name, agent: ns.agent, ttl: ns.ttl })
        .catch(() => undefined);
    throw error;
  }
  return record;
}

/**
 * Writes the `_flow._tcp` records of every namespace created by CREATE NAMESPACE again (the agent
 * registers the ones it serves by configuration when it starts): an agent that starts on other
 * ports would otherwise leave them pointing at its old ones. Returns what failed.
 */
export async function republishNamespaces(deps: CoreDeps): Promise<string[]> {
  const ns = deps.nameService;
  if (!ns) return [];
  const failures: string[] = [];
  for (const record of await deps.registry.listNamespaces()) {
    if (record.parent === null) continue;
    await ns.writer
      .registerNamespace({ namespace: record.name, agent: ns.agent, ttl: ns.ttl })
      .catch((error: unknown) => {
        failures.push(`namespace ${record.name}: ${error instanceof Error ? error.message : String(error)}`);
      });
  }
  return failures;
}

export interface NamespaceDescription extends NamespaceRecord {
  readonly flows: number;
  readonly children: number;
}

export async function describeNamespace(
  deps: CoreDeps,
  identity: Identity,
  input: string,
): Promise<NamespaceDescription> {
  const user = requireUser(identity, 'describe namespaces');
  const name = parseNamespaceName(input);
  const record = await deps.registry.getNamespace(name);
  if (!record) throw notFound(`namespace ${name}`);
  if (!(await ownsNamespace(deps.registry, user, name)))
    throw forbidden(`not permitted: ${user} does not own namespace ${name}`);
  const [flows, all] = await Promise.all([
    deps.registry.listFlows({ namespace: name }),
    deps.registry.listNamespaces(),
  ]);
  return { ...record, flows: flows.length, children: all.filter((ns) => ns.parent === name).length };
}

export async function deleteNamespace(deps: CoreDeps, identity: Identity, input: string): Promise<void> {
  const user = requireUser(identity, 'delete namespaces');
  const name = parseNamespaceName(input);
  const record = await deps.registry.getNamespace(name);
  if (!record) throw notFound(`namespace ${name}`);
  if (!(await ownsNamespace(deps.registry, user, name)))
    throw forbidden(`not permitted: ${user} does not own namespace ${name}`);
  if (record.parent === null)
    throw forbidden(`namespace ${name} is served by this agent's configuration and cannot be deleted`);
  const ns = deps.nameService;
  if (ns) {
    // Checked before DNS is touched, so that a namespace still in use keeps its records.
    const [flows, all] = await Promise.all([
      deps.registry.listFlows({ namespace: name }),
      deps.registry.listNamespaces(),
    ]);
    const children = all.filter((n) => n.parent === name).length;
    if (flows.length > 0 || children > 0) {
      throw new EsonError(
        'exists',
        `namespace ${name} still holds ${flows.length} flows and ${children} child namespaces`,
      );
    }
    const records = { namespace: name, agent: ns.agent, ttl: ns.ttl };
    await viaDns(`removal of namespace ${name}`, () => ns.writer.unregisterNamespace(records));
    try {
      await deps.registry.deleteNamespace(name);
    } catch (error) {
      // The namespace stays: so must its records ("nothing was changed").
      await ns.writer.registerNamespace(records).catch(() => undefined);
      throw error;
    }
    return;
  }
  await deps.registry.deleteNamespace(name);
}

export async function listNamespaces(deps: CoreDeps, identity: Identity): Promise<NamespaceRecord[]> {
  const user = requireUser(identity, 'list namespaces');
  return deps.registry.listNamespaces({ owner: user });
}
