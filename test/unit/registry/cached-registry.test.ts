import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedRegistry } from '../../../src/adapters/registry/cached-registry.ts';
import { SqliteRegistry } from '../../../src/adapters/registry/sqlite/sqlite-registry.ts';
import type { FlowRecord, Registry } from '../../../src/ports/registry.ts';
import { registryContract } from '../../contract/registry.contract.ts';

// The cache must keep every promise of the port.
registryContract('CachedRegistry over SQLite', () =>
  Promise.resolve(new CachedRegistry(SqliteRegistry.open(':memory:'))),
);

/** Counts the reads that reach the registry behind the cache. */
function counting(inner: Registry): { registry: Registry; reads: () => number } {
  let reads = 0;
  const wrapper = Object.create(inner) as Registry;
  wrapper.getFlow = (name) => {
    reads++;
    return inner.getFlow(name);
  };
  return { registry: wrapper, reads: () => reads };
}

const flow = (name: string): FlowRecord => ({
  name,
  namespace: 'flows.example.test',
  owner: 'alice',
  broker: 'local',
  queue: name,
  visibility: 'private',
  description: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('CachedRegistry', () => {
  async function setup() {
    const sqlite = SqliteRegistry.open(':memory:');
    await sqlite.upsertServedNamespace({
      name: 'flows.example.test',
      owner: 'alice',
      parent: null,
      description: '',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const inner = counting(sqlite);
    return { cache: new CachedRegistry(inner.registry), reads: inner.reads, sqlite };
  }

  it('answers repeated reads, misses included, from memory', async () => {
    const { cache, reads, sqlite } = await setup();
    assert.equal(await cache.getFlow('a.flows.example.test'), undefined);
    assert.equal(await cache.getFlow('a.flows.example.test'), undefined);
    assert.equal(reads(), 1);
    await sqlite.close();
  });

  it('sees its own writes: create, update and delete drop the cached entry', async () => {
    const { cache, sqlite } = await setup();
    const name = 'a.flows.example.test';
    assert.equal(await cache.getFlow(name), undefined);
    await cache.createFlow(flow(name));
    assert.equal((await cache.getFlow(name))?.visibility, 'private');
    await cache.updateFlow(name, { visibility: 'public' });
    assert.equal((await cache.getFlow(name))?.visibility, 'public');
    await cache.deleteFlow(name);
    assert.equal(await cache.getFlow(name), undefined);
    await sqlite.close();
  });

  it('does not cache a read that a write overtook', async () => {
    const { cache, sqlite } = await setup();
    const name = 'b.flows.example.test';
    const stale = cache.getFlow(name); // reads "absent" now, resumes after the create below
    await cache.createFlow(flow(name));
    assert.equal(await stale, undefined);
    assert.equal((await cache.getFlow(name))?.name, name);
    await sqlite.close();
  });
});
