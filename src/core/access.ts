/**
 * Authorisation: owners manage their namespaces and flows (owning a namespace covers everything
 * below it); anybody may read a public flow; nothing else is allowed. Every check reads the
 * registry: nothing is trusted from the caller.
 */
import type { Identity } from './identity.ts';
import type { FlowRecord, NamespaceRecord, Registry } from '../ports/registry.ts';
import { forbidden } from './errors.ts';
import { parentName } from './names.ts';

/** True when the user owns `namespace` or one of the namespaces above it. */
export async function ownsNamespace(registry: Registry, user: string, namespace: string): Promise<boolean> {
  for (let name: string | undefined = namespace; name !== undefined; name = parentName(name)) {
    const record: NamespaceRecord | undefined = await registry.getNamespace(name);
    if (record?.owner === user) return true;
  }
  return false;
}

export async function mayManageFlow(
  registry: Registry,
  identity: Identity,
  flow: FlowRecord,
): Promise<boolean> {
  if (identity.kind !== 'user') return false;
  return flow.owner === identity.name || (await ownsNamespace(registry, identity.name, flow.namespace));
}

export async function mayReadFlow(
  registry: Registry,
  identity: Identity,
  flow: FlowRecord,
): Promise<boolean> {
  return flow.visibility === 'public' || (await mayManageFlow(registry, identity, flow));
}

/** Narrows an identity to a named user, or refuses (anonymous sessions only read public flows). */
export function requireUser(identity: Identity, action: string): string {
  if (identity.kind !== 'user') throw forbidden(`anonymous sessions may not ${action}`);
  return identity.name;
}
