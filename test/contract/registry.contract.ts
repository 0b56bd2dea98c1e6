/**
 * The behaviour every Registry adapter must show, as a node:test suite. An adapter's test file
 * calls `registryContract(name, open, close)`; `open` must return an empty registry of its own for
 * each test, `close` (default: `registry.close()`) releases it and whatever `open` created.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { EsonError } from '../../src/core/errors.ts';
import type { ErrorKind } from '../../src/core/errors.ts';
import type {
  FlowRecord,
  NamespaceRecord,
  Registry,
  ScramCredential,
  UserRecord,
} from '../../src/ports/registry.ts';

// Fixed and in the past, so that any update is observably later.
const CREATED = '2024-01-02T03:04:05.678Z';

export const credential = (seed: string): ScramCredential => ({
  salt: Buffer.from(`salt-${seed}`).toString('base64'),
  iterations: 4096,
  storedKey: Buffer.from(`stored-${seed}`).toString('base64'),
  serverKey: Buffer.from(`server-${seed}`).toString('base64'),
});

export const user = (name: string, overrides: Partial<UserRecord> = {}): UserRecord => ({
  name,
  credential: credential(name),
  disabled: false,
  createdAt: CREATED,
  updatedAt: CREATED,
  ...overrides,
});

export const namespace = (name: string, overrides: Partial<NamespaceRecord> = {}): NamespaceRecord => ({
  name,
  owner: 'alice',
  parent: null,
  description: `namespace ${name}`,
  createdAt: CREATED,
  ...overrides,
});

/** `local` is the flow's first label; its namespace is `ns`. */
export const flow = (local: string, ns: string, overrides: Partial<FlowRecord> = {}): FlowRecord => ({
  name: `${local}.${ns}`,
  namespace: ns,
  owner: 'alice',
  broker: 'local',
  queue: `q-${local}.${ns}`,
  visibility: 'public',
  description: `flow ${local}`,
  createdAt: CREATED,
  updatedAt: CREATED,
  ...overrides,
});

/** Asserts that `promise` rejects with an EsonError of `kind` whose message matches `message`. */
export async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: ErrorKind,
  message?: RegExp,
): Promise<EsonError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof EsonError, `expected an EsonError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, `expected kind ${kind}, got ${caught.kind}: ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

function assertBumped(before: string, after: string): void {
  assert.ok(!Number.isNaN(Date.parse(after)), `updatedAt "${after}" is not a timestamp`);
  assert.ok(after > before, `updatedAt "${after}" is not later than "${before}"`);
}

export function registryContract(
  name: string,
  open: () => Promise<Registry>,
  close: (registry: Registry) => Promise<void> = (registry) => registry.close(),
): void {
  describe(`Registry contract: ${name}`, () => {
    let registry: Registry;

    beforeEach(async () => {
      registry = await open();
    });

    afterEach(async () => {
      await close(registry);
    });

    describe('users', () => {
      it('starts empty and returns undefined for an unknown user', async () => {
        assert.deepEqual(await registry.listUsers(), []);
        assert.equal(await registry.getUser('nobody'), undefined);
      });

      it('stores a user and returns it field for field', async () => {
        const alice = user('alice');
        const bob = user('bob', { disabled: true, createdAt: '2023-05-06T07:08:09.000Z' });
        await registry.createUser(alice);
        await registry.createUser(bob);
        assert.deepEqual(await registry.getUser('alice'), alice);
        assert.deepEqual(await registry.getUser('bob'), bob);
      });

      it("refuses a second user of the same name with 'exists' and keeps the first", async () => {
        await registry.createUser(user('alice'));
        await rejectsWithKind(registry.createUser(user('alice', { disabled: true })), 'exists', /alice/);
        assert.equal((await registry.getUser('alice'))?.disabled, false);
      });

      it('lists all users', async () => {
        for (const name of ['carol', 'alice', 'bob']) await registry.createUser(user(name));
        const names = (await registry.listUsers()).map((u) => u.name);
        assert.deepEqual([...names].sort(), ['alice', 'bob', 'carol']);
      });

      it('replaces the credential, keeps the rest and bumps updatedAt', async () => {
        await registry.createUser(user('alice'));
        const updated = await registry.updateUser('alice', { credential: credential('new') });
        assert.deepEqual(updated.credential, credential('new'));
        assert.equal(updated.disabled, false);
        assert.equal(updated.createdAt, CREATED);
        assertBumped(CREATED, updated.updatedAt);
        assert.deepEqual(await registry.getUser('alice'), updated);
      });

      it('disables and re-enables a user without touching the credential', async () => {
        await registry.createUser(user('alice'));
        const disabled = await registry.updateUser('alice', { disabled: true });
        assert.equal(disabled.disabled, true);
        assert.deepEqual(disabled.credential, credential('alice'));
        assertBumped(CREATED, disabled.updatedAt);
        const enabled = await registry.updateUser('alice', { disabled: false });
        assert.equal(enabled.disabled, false);
        assert.ok(enabled.updatedAt >= disabled.updatedAt);
        assert.deepEqual(await registry.getUser('alice'), enabled);
      });

      it("fails to update an unknown user with 'not-found'", async () => {
        await rejectsWithKind(registry.updateUser('nobody', { disabled: true }), 'not-found', /nobody/);
      });
    });

    describe('namespaces', () => {
      it('starts empty and returns undefined for an unknown namespace', async () => {
        assert.deepEqual(await registry.listNamespaces(), []);
        assert.equal(await registry.getNamespace('nowhere.example'), undefined);
      });

      it('stores served and child namespaces and returns them field for field', async () => {
        const served = namespace('example.com');
        const child = namespace('shop.example.com', { parent: 'example.com', owner: 'bob', description: '' });
        await registry.createNamespace(served);
        await registry.createNamespace(child);
        assert.deepEqual(await registry.getNamespace('example.com'), served);
        assert.deepEqual(await registry.getNamespace('shop.example.com'), child);
      });

      it("refuses a second namespace of the same name with 'exists'", async () => {
        await registry.createNamespace(namespace('example.com'));
        await rejectsWithKind(
          registry.createNamespace(namespace('example.com', { owner: 'bob' })),
          'exists',
          /example\.com/,
        );
        assert.equal((await registry.getNamespace('example.com'))?.owner, 'alice');
      });

      it("refuses a child of an unknown parent with 'not-found'", async () => {
        await rejectsWithKind(
          registry.createNamespace(namespace('shop.example.com', { parent: 'example.com' })),
          'not-found',
          /example\.com/,
        );
        assert.equal(await registry.getNamespace('shop.example.com'), undefined);
      });

      it('lists namespaces sorted by name, all or by owner', async () => {
        await registry.createNamespace(namespace('example.org', { owner: 'bob' }));
        await registry.createNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('b.example.com', { parent: 'example.com', owner: 'bob' }));
        await registry.createNamespace(namespace('a.example.com', { parent: 'example.com' }));

        const all = await registry.listNamespaces();
        assert.deepEqual(
          all.map((n) => n.name),
          ['a.example.com', 'b.example.com', 'example.com', 'example.org'],
        );
        assert.deepEqual(await registry.listNamespaces({}), all);
        assert.deepEqual(
          (await registry.listNamespaces({ owner: 'bob' })).map((n) => n.name),
          ['b.example.com', 'example.org'],
        );
        assert.deepEqual(await registry.listNamespaces({ owner: 'nobody' }), []);
      });

      it('deletes an empty namespace', async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.deleteNamespace('example.com');
        assert.equal(await registry.getNamespace('example.com'), undefined);
        assert.deepEqual(await registry.listNamespaces(), []);
      });

      it("fails to delete an unknown namespace with 'not-found'", async () => {
        await rejectsWithKind(registry.deleteNamespace('nowhere.example'), 'not-found', /nowhere\.example/);
      });

      it("refuses to delete a namespace that holds flows with 'exists', then deletes it once empty", async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.createFlow(flow('orders', 'example.com'));
        await registry.createFlow(flow('payments', 'example.com'));

        await rejectsWithKind(registry.deleteNamespace('example.com'), 'exists', /example\.com .*2 flows/);
        assert.ok(await registry.getNamespace('example.com'));
        assert.equal((await registry.listFlows()).length, 2);

        await registry.deleteFlow('orders.example.com');
        await rejectsWithKind(registry.deleteNamespace('example.com'), 'exists', /1 flow\b/);
        await registry.deleteFlow('payments.example.com');
        await registry.deleteNamespace('example.com');
        assert.equal(await registry.getNamespace('example.com'), undefined);
      });

      it("refuses to delete a namespace that holds child namespaces with 'exists'", async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('shop.example.com', { parent: 'example.com' }));
        await registry.createNamespace(namespace('blog.example.com', { parent: 'example.com' }));

        await rejectsWithKind(registry.deleteNamespace('example.com'), 'exists', /2 child namespaces/);
        assert.ok(await registry.getNamespace('example.com'));

        await registry.deleteNamespace('shop.example.com');
        await registry.deleteNamespace('blog.example.com');
        await registry.deleteNamespace('example.com');
        assert.deepEqual(await registry.listNamespaces(), []);
      });

      it('names both flows and child namespaces when refusing a delete', async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('shop.example.com', { parent: 'example.com' }));
        await registry.createFlow(flow('orders', 'example.com'));
        await rejectsWithKind(registry.deleteNamespace('example.com'), 'exists', /1 flow.*1 child namespace/);
      });

      it('upsertServedNamespace creates a namespace that does not exist', async () => {
        const served = namespace('example.com');
        await registry.upsertServedNamespace(served);
        assert.deepEqual(await registry.getNamespace('example.com'), served);
      });

      it('upsertServedNamespace is idempotent', async () => {
        const served = namespace('example.com');
        await registry.upsertServedNamespace(served);
        await registry.upsertServedNamespace(served);
        await registry.upsertServedNamespace({ ...served, createdAt: '2030-01-01T00:00:00.000Z' });
        assert.deepEqual(await registry.listNamespaces(), [served]);
      });

      it('upsertServedNamespace changes owner and description but keeps createdAt', async () => {
        await registry.upsertServedNamespace(namespace('example.com'));
        await registry.upsertServedNamespace(
          namespace('example.com', {
            owner: 'bob',
            description: 'now bob’s',
            createdAt: '2030-01-01T00:00:00.000Z',
          }),
        );
        assert.deepEqual(
          await registry.getNamespace('example.com'),
          namespace('example.com', { owner: 'bob', description: 'now bob’s' }),
        );
        assert.deepEqual(
          (await registry.listNamespaces({ owner: 'bob' })).map((n) => n.name),
          ['example.com'],
        );
        assert.deepEqual(await registry.listNamespaces({ owner: 'alice' }), []);
      });

      it('upsertServedNamespace keeps the flows and children of the namespace', async () => {
        await registry.upsertServedNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('shop.example.com', { parent: 'example.com' }));
        await registry.createFlow(flow('orders', 'example.com'));
        await registry.upsertServedNamespace(namespace('example.com', { owner: 'bob' }));
        assert.equal((await registry.listFlows({ namespace: 'example.com' })).length, 1);
        assert.equal((await registry.getNamespace('shop.example.com'))?.parent, 'example.com');
      });

      it('upsertServedNamespace turns a child namespace into a served one (parent null)', async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('shop.example.com', { parent: 'example.com' }));
        await registry.upsertServedNamespace(namespace('shop.example.com'));
        assert.equal((await registry.getNamespace('shop.example.com'))?.parent, null);
        await registry.deleteNamespace('example.com');
      });

      it("upsertServedNamespace refuses a namespace with a parent with 'invalid-argument'", async () => {
        await registry.createNamespace(namespace('example.com'));
        await rejectsWithKind(
          registry.upsertServedNamespace(namespace('shop.example.com', { parent: 'example.com' })),
          'invalid-argument',
          /shop\.example\.com/,
        );
        assert.equal(await registry.getNamespace('shop.example.com'), undefined);
      });
    });

    describe('flows', () => {
      beforeEach(async () => {
        await registry.createNamespace(namespace('example.com'));
        await registry.createNamespace(namespace('example.org', { owner: 'bob' }));
      });

      it('returns undefined for an unknown flow', async () => {
        assert.deepEqual(await registry.listFlows(), []);
        assert.equal(await registry.getFlow('orders.example.com'), undefined);
      });

      it('stores a flow and returns it field for field', async () => {
        const orders = flow('orders', 'example.com');
        const secret = flow('secret', 'example.org', {
          owner: 'bob',
          broker: 'kafka',
          queue: 'topic-1',
          visibility: 'private',
          description: '',
        });
        await registry.createFlow(orders);
        await registry.createFlow(secret);
        assert.deepEqual(await registry.getFlow('orders.example.com'), orders);
        assert.deepEqual(await registry.getFlow('secret.example.org'), secret);
      });

      it("refuses a second flow of the same name with 'exists' and keeps the first", async () => {
        await registry.createFlow(flow('orders', 'example.com'));
        await rejectsWithKind(
          registry.createFlow(flow('orders', 'example.com', { visibility: 'private' })),
          'exists',
          /orders\.example\.com/,
        );
        assert.equal((await registry.getFlow('orders.example.com'))?.visibility, 'public');
      });

      it("refuses a flow in an unknown namespace with 'not-found'", async () => {
        await rejectsWithKind(
          registry.createFlow(flow('orders', 'nowhere.example')),
          'not-found',
          /nowhere\.example/,
        );
        assert.equal(await registry.getFlow('orders.nowhere.example'), undefined);
      });

      it('lists flows sorted by name, all or by namespace', async () => {
        await registry.createFlow(flow('zeta', 'example.com'));
        await registry.createFlow(flow('alpha', 'example.org'));
        await registry.createFlow(flow('beta', 'example.com'));
        await registry.createFlow(flow('alpha', 'example.com'));

        const all = await registry.listFlows();
        assert.deepEqual(
          all.map((f) => f.name),
          ['alpha.example.com', 'alpha.example.org', 'beta.example.com', 'zeta.example.com'],
        );
        assert.deepEqual(await registry.listFlows({}), all);
        assert.deepEqual(
          (await registry.listFlows({ namespace: 'example.com' })).map((f) => f.name),
          ['alpha.example.com', 'beta.example.com', 'zeta.example.com'],
        );
        assert.deepEqual(await registry.listFlows({ namespace: 'nowhere.example' }), []);
      });

      it('updates visibility, keeps the rest and bumps updatedAt', async () => {
        const orders = flow('orders', 'example.com');
        await registry.createFlow(orders);
        const updated = await registry.updateFlow('orders.example.com', { visibility: 'private' });
        assert.deepEqual(updated, { ...orders, visibility: 'private', updatedAt: updated.updatedAt });
        assertBumped(CREATED, updated.updatedAt);
        assert.deepEqual(await registry.getFlow('orders.example.com'), updated);
      });

      it('updates the description, to empty too, keeping the visibility', async () => {
        const orders = flow('orders', 'example.com', { visibility: 'private' });
        await registry.createFlow(orders);
        const described = await registry.updateFlow('orders.example.com', { description: 'all orders' });
        assert.equal(described.description, 'all orders');
        assert.equal(described.visibility, 'private');
        assertBumped(CREATED, described.updatedAt);
        const emptied = await registry.updateFlow('orders.example.com', { description: '' });
        assert.equal(emptied.description, '');
        assert.ok(emptied.updatedAt >= described.updatedAt);
        assert.deepEqual(await registry.getFlow('orders.example.com'), emptied);
      });

      it('updates both fields at once', async () => {
        await registry.createFlow(flow('orders', 'example.com'));
        const updated = await registry.updateFlow('orders.example.com', {
          visibility: 'private',
          description: 'hidden',
        });
        assert.equal(updated.visibility, 'private');
        assert.equal(updated.description, 'hidden');
      });

      it("fails to update an unknown flow with 'not-found'", async () => {
        await rejectsWithKind(
          registry.updateFlow('orders.example.com', { visibility: 'private' }),
          'not-found',
          /orders\.example\.com/,
        );
      });

      it('deletes a flow', async () => {
        await registry.createFlow(flow('orders', 'example.com'));
        await registry.createFlow(flow('payments', 'example.com'));
        await registry.deleteFlow('orders.example.com');
        assert.equal(await registry.getFlow('orders.example.com'), undefined);
        assert.deepEqual(
          (await registry.listFlows()).map((f) => f.name),
          ['payments.example.com'],
        );
      });

      it("fails to delete an unknown flow with 'not-found'", async () => {
        await rejectsWithKind(registry.deleteFlow('orders.example.com'), 'not-found', /orders\.example\.com/);
      });
    });
  });
}
