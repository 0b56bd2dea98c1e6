/**
 * Fixtures for the core and command tests: each test builds its own CoreDeps (an in-memory SQLite
 * registry and an EmbeddedBroker in its own temporary directory), closed and removed when it ends.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { EmbeddedBroker } from '../../../src/adapters/broker/embedded/embedded-broker.ts';
import { SqliteRegistry } from '../../../src/adapters/registry/sqlite/sqlite-registry.ts';
import type { CoreDeps } from '../../../src/core/deps.ts';
import { EsonError } from '../../../src/core/errors.ts';
import type { ErrorKind } from '../../../src/core/errors.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { anonymousIdentity, userIdentity } from '../../../src/core/identity.ts';
import type { Broker } from '../../../src/ports/broker.ts';
import type { Registry } from '../../../src/ports/registry.ts';

/** A namespace the agent serves by configuration, owned by alice. */
export const SERVED = 'flows.example.test';
/** Another served namespace, owned by bob. */
export const OTHER = 'flows.other.test';
export const ENDPOINT = 'fnaa.example.test:61001';
export const NOW = new Date('2025-01-02T03:04:05.000Z');

export const alice: Identity = userIdentity('alice');
export const bob: Identity = userIdentity('bob');
export const carol: Identity = userIdentity('carol');
export const anonymous: Identity = anonymousIdentity('trace');

export interface Fixture {
  readonly deps: CoreDeps;
  readonly registry: SqliteRegistry;
  readonly broker: EmbeddedBroker;
  readonly dir: string;
}

export interface FixtureOptions {
  /** Wraps the registry (to inject failures); the wrapper is what CoreDeps holds. */
  readonly wrapRegistry?: (registry: Registry) => Registry;
  /** Brokers of CoreDeps; default `local` only. */
  readonly brokers?: (broker: EmbeddedBroker) => ReadonlyMap<string, Broker>;
}

/** CoreDeps over a fresh registry and broker, with SERVED (alice) and OTHER (bob) served. */
export async function fixture(t: TestContext, options: FixtureOptions = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'eson-core-'));
  const registry = SqliteRegistry.open(':memory:');
  const broker = new EmbeddedBroker({ dir, endpoint: ENDPOINT, fsync: false });
  t.after(async () => {
    await broker.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (const [name, owner] of [
    [SERVED, 'alice'],
    [OTHER, 'bob'],
  ] as const) {
    await registry.upsertServedNamespace({
      name,
      owner,
      parent: null,
      description: '',
      createdAt: NOW.toISOString(),
    });
  }
  const deps: CoreDeps = {
    registry: options.wrapRegistry ? options.wrapRegistry(registry) : registry,
    brokers: options.brokers ? options.brokers(broker) : new Map([['local', broker]]),
    defaultBroker: 'local',
    now: () => NOW,
  };
  return { deps, registry, broker, dir };
}

/** An assert.rejects / assert.throws validator: an EsonError of `kind` whose message matches. */
export function isKind(kind: ErrorKind, message?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof EsonError, `expected EsonError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
}

/** A small valid CloudEvent 1.0 in JSON structured mode. */
export function event(id: string | number, data: unknown = id): string {
  return JSON.stringify({ specversion: '1.0', id: String(id), source: '/test', type: 'test.event', data });
}

export function events(count: number, prefix = 'e'): string[] {
  return Array.from({ length: count }, (_, i) => event(`${prefix}${i}`));
}

/** Positions of stored events, for compact assertions. */
export function ids(stored: readonly { json: string }[]): string[] {
  return stored.map((e) => (JSON.parse(e.json) as { id: string }).id);
}

/** A broker that forwards to `broker` except for the methods in `overrides` (to inject failures). */
export function brokerWith(broker: Broker, overrides: Partial<Broker>): Broker {
  return {
    type: broker.type,
    createQueue: (name, options) => broker.createQueue(name, options),
    describeQueue: (name) => broker.describeQueue(name),
    updateQueue: (name, options) => broker.updateQueue(name, options),
    deleteQueue: (name) => broker.deleteQueue(name),
    listConsumers: (name) => broker.listConsumers(name),
    append: (name, events) => broker.append(name, events),
    read: (name, options) => broker.read(name, options),
    waitFor: (name, position, timeoutMs, signal) => broker.waitFor(name, position, timeoutMs, signal),
    commit: (name, consumer, position) => broker.commit(name, consumer, position),
    committed: (name, consumer) => broker.committed(name, consumer),
    close: () => broker.close(),
    ...overrides,
  };
}
