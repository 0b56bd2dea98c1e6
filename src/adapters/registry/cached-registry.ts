/**
 * A read-through cache of namespace and flow records in front of a registry. Every command reads
 * them (authorisation walks a flow's namespaces), and a SQLite lookup costs more than the rest of
 * a DESCRIBE FLOW. Correct because the agent process is the only writer of namespaces and flows:
 * each write through this object updates or drops the cached entry. Users are not cached, since
 * `eson user` changes them from another process.
 */
import type {
  FlowPatch,
  FlowRecord,
  NamespaceRecord,
  Registry,
  UserPatch,
  UserRecord,
} from '../../ports/registry.ts';

/** Entries kept per kind; the oldest is dropped past it. */
export const REGISTRY_CACHE_ENTRIES = 10_000;

class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

export class CachedRegistry implements Registry {
  private readonly inner: Registry;
  // `null` records "known not to exist", so a miss is cached too.
  private readonly flows: BoundedMap<FlowRecord | null>;
  private readonly namespaces: BoundedMap<NamespaceRecord | null>;
  /** Bumped by every write: a read that a write overtook does not fill the cache with its answer. */
  private generation = 0;

  constructor(inner: Registry, entries = REGISTRY_CACHE_ENTRIES) {
    this.inner = inner;
    this.flows = new BoundedMap(entries);
    this.namespaces = new BoundedMap(entries);
  }

  getUser(name: string): Promise<UserRecord | undefined> {
    return this.inner.getUser(name);
  }

  createUser(user: UserRecord): Promise<void> {
    return this.inner.createUser(user);
  }

  updateUser(name: string, patch: UserPatch): Promise<UserRecord> {
    return this.inner.updateUser(name, patch);
  }

  listUsers(): Promise<UserRecord[]> {
    return this.inner.listUsers();
  }

  async getNamespace(name: string): Promise<NamespaceRecord | undefined> {
    if (this.namespaces.has(name)) return this.namespaces.get(name) ?? undefined;
    const generation = this.generation;
    const record = await this.inner.getNamespace(name);
    if (generation === this.generation) this.namespaces.set(name, record ?? null);
    return record;
  }

  async createNamespace(namespace: NamespaceRecord): Promise<void> {
    this.forgetNamespace(namespace.name);
    await this.inner.createNamespace(namespace);
  }

  async upsertServedNamespace(namespace: NamespaceRecord): Promise<void> {
    this.forgetNamespace(namespace.name);
    await this.inner.upsertServedNamespace(namespace);
  }

  async deleteNamespace(name: string): Promise<void> {
    this.forgetNamespace(name);
    await this.inner.deleteNamespace(name);
  }

  listNamespaces(filter?: { owner?: string }): Promise<NamespaceRecord[]> {
    return this.inner.listNamespaces(filter);
  }

  async getFlow(name: string): Promise<FlowRecord | undefined> {
    if (this.flows.has(name)) return this.flows.get(name) ?? undefined;
    const generation = this.generation;
    const record = await this.inner.getFlow(name);
    if (generation === this.generation) this.flows.set(name, record ?? null);
    return record;
  }

  async createFlow(flow: FlowRecord): Promise<void> {
    this.forgetFlow(flow.name);
    await this.inner.createFlow(flow);
  }

  updateFlow(name: string, patch: FlowPatch): Promise<FlowRecord> {
    this.forgetFlow(name);
    return this.inner.updateFlow(name, patch);
  }

  async deleteFlow(name: string): Promise<void> {
    this.forgetFlow(name);
    await this.inner.deleteFlow(name);
  }

  listFlows(filter?: { namespace?: string }): Promise<FlowRecord[]> {
    return this.inner.listFlows(filter);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private forgetFlow(name: string): void {
    this.generation++;
    this.flows.delete(name);
  }

  private forgetNamespace(name: string): void {
    this.generation++;
    this.namespaces.delete(name);
  }
}
