import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFlow } from '../../../src/core/flows.ts';
import type { Identity } from '../../../src/core/identity.ts';
import {
  createNamespace,
  deleteNamespace,
  describeNamespace,
  listNamespaces,
  nearestAncestor,
} from '../../../src/core/namespaces.ts';
import { NOW, OTHER, SERVED, alice, anonymous, bob, carol, fixture, isKind } from './helpers.ts';
import type { Fixture } from './helpers.ts';

/** A namespace owned by `owner` below `parent`, put straight into the registry. */
async function plant(f: Fixture, name: string, parent: string, owner: string): Promise<void> {
  await f.registry.createNamespace({ name, owner, parent, description: '', createdAt: NOW.toISOString() });
}

describe('createNamespace', () => {
  it('creates a child of a served namespace, owned by the creator', async (t) => {
    const { deps, registry } = await fixture(t);
    const ns = await createNamespace(deps, alice, 'Team.Flows.Example.Test.');
    assert.deepEqual(ns, {
      name: `team.${SERVED}`,
      owner: 'alice',
      parent: SERVED,
      description: '',
      createdAt: NOW.toISOString(),
    });
    assert.deepEqual(await registry.getNamespace(`team.${SERVED}`), ns);
  });

  it('takes the nearest existing ancestor as parent, skipping missing levels', async (t) => {
    const { deps } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    assert.equal((await createNamespace(deps, alice, `eu.team.${SERVED}`)).parent, `team.${SERVED}`);
    assert.equal((await createNamespace(deps, alice, `x.y.z.${SERVED}`)).parent, SERVED);
    assert.equal((await nearestAncestor(deps, `a.b.eu.team.${SERVED}`))?.name, `eu.team.${SERVED}`);
    assert.equal(await nearestAncestor(deps, 'nowhere.test'), undefined);
  });

  it('lets the owner of any ancestor create below a namespace owned by someone else', async (t) => {
    const f = await fixture(t);
    await plant(f, `bob.${SERVED}`, SERVED, 'bob');
    // alice owns the served namespace above bob's.
    const mine = await createNamespace(f.deps, alice, `a.bob.${SERVED}`);
    assert.equal(mine.owner, 'alice');
    assert.equal(mine.parent, `bob.${SERVED}`);
    assert.equal((await createNamespace(f.deps, bob, `b.bob.${SERVED}`)).owner, 'bob');
    await assert.rejects(
      createNamespace(f.deps, carol, `c.bob.${SERVED}`),
      isKind('forbidden', new RegExp(`carol does not own namespace bob\\.${SERVED}`)),
    );
  });

  const refusals: readonly [string, Identity, string, Parameters<typeof isKind>][] = [
    [
      'a non-owner',
      bob,
      `team.${SERVED}`,
      ['forbidden', /not permitted: bob does not own namespace flows\.example\.test/],
    ],
    [
      'the owner of another served namespace',
      alice,
      `team.${OTHER}`,
      ['forbidden', /alice does not own namespace flows\.other\.test/],
    ],
    [
      'an anonymous session',
      anonymous,
      `team.${SERVED}`,
      ['forbidden', /anonymous sessions may not create namespaces/],
    ],
    ['a served namespace', alice, SERVED, ['exists', /namespace flows\.example\.test already exists/]],
    [
      'a name outside the served namespaces',
      alice,
      'team.elsewhere.test',
      ['invalid-name', /outside the namespaces this agent serves/],
    ],
    ['the parent of a served namespace', alice, 'example.test', ['invalid-name', /outside/]],
    ['an invalid name', alice, `te_am.${SERVED}`, ['invalid-name', /invalid label "te_am"/]],
    ['a single label', alice, 'team', ['invalid-name', /at least two labels/]],
  ];
  for (const [what, who, name, expected] of refusals) {
    it(`refuses ${what}`, async (t) => {
      const { deps, registry } = await fixture(t);
      await assert.rejects(createNamespace(deps, who, name), isKind(...expected));
      assert.equal((await registry.listNamespaces()).length, 2);
    });
  }

  it('refuses a namespace that exists', async (t) => {
    const { deps } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    await assert.rejects(
      createNamespace(deps, alice, `TEAM.${SERVED}`),
      isKind('exists', /namespace team\.flows/),
    );
  });

  it('refuses a namespace between an existing namespace and a namespace it holds (top-down rule)', async (t) => {
    const { deps, registry } = await fixture(t);
    await createNamespace(deps, alice, `a.b.${SERVED}`);
    await assert.rejects(
      createNamespace(deps, alice, `b.${SERVED}`),
      isKind(
        'exists',
        /namespace a\.b\.flows\.example\.test already lies below b\.flows\.example\.test: create namespaces from the top down/,
      ),
    );
    assert.equal(await registry.getNamespace(`b.${SERVED}`), undefined);
    // A name that merely ends with the same characters is not below it.
    await createNamespace(deps, alice, `xb.${SERVED}`);
  });

  it('refuses a namespace between an existing namespace and a flow it holds (top-down rule)', async (t) => {
    const { deps, registry } = await fixture(t);
    await createFlow(deps, alice, `orders.b.${SERVED}`);
    await assert.rejects(
      createNamespace(deps, alice, `b.${SERVED}`),
      isKind('exists', /flow orders\.b\.flows\.example\.test already lies below b\.flows\.example\.test/),
    );
    assert.equal(await registry.getNamespace(`b.${SERVED}`), undefined);
    assert.equal((await registry.getFlow(`orders.b.${SERVED}`))?.namespace, SERVED);
  });

  it('refuses a namespace named like an existing flow', async (t) => {
    const { deps } = await fixture(t);
    await createFlow(deps, alice, `orders.${SERVED}`);
    await assert.rejects(
      createNamespace(deps, alice, `orders.${SERVED}`),
      isKind('exists', /flow orders\.flows/),
    );
  });
});

describe('describeNamespace', () => {
  it('describes a namespace with its direct flows and child namespaces', async (t) => {
    const { deps } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    await createNamespace(deps, alice, `eu.team.${SERVED}`);
    await createNamespace(deps, alice, `us.team.${SERVED}`);
    await createNamespace(deps, alice, `x.eu.team.${SERVED}`);
    await createFlow(deps, alice, `orders.team.${SERVED}`);
    await createFlow(deps, alice, `orders.eu.team.${SERVED}`);
    const d = await describeNamespace(deps, alice, `team.${SERVED}`);
    assert.equal(d.name, `team.${SERVED}`);
    assert.equal(d.owner, 'alice');
    assert.equal(d.parent, SERVED);
    assert.equal(d.flows, 1);
    assert.equal(d.children, 2);
    const served = await describeNamespace(deps, alice, SERVED);
    assert.equal(served.parent, null);
    assert.equal(served.children, 1);
    assert.equal(served.flows, 0);
  });

  it('is allowed to the owner of an ancestor', async (t) => {
    const f = await fixture(t);
    await plant(f, `bob.${SERVED}`, SERVED, 'bob');
    assert.equal((await describeNamespace(f.deps, alice, `bob.${SERVED}`)).owner, 'bob');
  });

  const refusals: readonly [string, Identity, string, Parameters<typeof isKind>][] = [
    ['a non-owner', bob, SERVED, ['forbidden', /bob does not own namespace flows\.example\.test/]],
    ['an anonymous session', anonymous, SERVED, ['forbidden', /anonymous/]],
    [
      'a missing namespace',
      alice,
      `nope.${SERVED}`,
      ['not-found', /namespace nope\.flows\.example\.test does not exist/],
    ],
    ['an invalid name', alice, 'nope', ['invalid-name', /at least two labels/]],
  ];
  for (const [what, who, name, expected] of refusals) {
    it(`refuses ${what}`, async (t) => {
      const { deps } = await fixture(t);
      await assert.rejects(describeNamespace(deps, who, name), isKind(...expected));
    });
  }
});

describe('deleteNamespace', () => {
  it('deletes an empty namespace of its owner', async (t) => {
    const { deps, registry } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    await deleteNamespace(deps, alice, `Team.${SERVED}.`);
    assert.equal(await registry.getNamespace(`team.${SERVED}`), undefined);
  });

  it('lets the owner of an ancestor delete a namespace owned by someone else', async (t) => {
    const f = await fixture(t);
    await plant(f, `bob.${SERVED}`, SERVED, 'bob');
    await deleteNamespace(f.deps, alice, `bob.${SERVED}`);
    assert.equal(await f.registry.getNamespace(`bob.${SERVED}`), undefined);
  });

  it('refuses a served namespace, even to its owner and even when empty', async (t) => {
    const { deps, registry } = await fixture(t);
    await assert.rejects(
      deleteNamespace(deps, alice, SERVED),
      isKind(
        'forbidden',
        /flows\.example\.test is served by this agent's configuration and cannot be deleted/,
      ),
    );
    assert.ok(await registry.getNamespace(SERVED));
  });

  it('refuses a namespace that still holds a flow', async (t) => {
    const { deps, registry } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    await createFlow(deps, alice, `orders.team.${SERVED}`);
    await createFlow(deps, alice, `billing.team.${SERVED}`);
    await assert.rejects(
      deleteNamespace(deps, alice, `team.${SERVED}`),
      isKind('exists', /namespace team\.flows\.example\.test still holds 2 flows/),
    );
    assert.ok(await registry.getNamespace(`team.${SERVED}`));
  });

  it('refuses a namespace that still holds a child namespace', async (t) => {
    const { deps } = await fixture(t);
    await createNamespace(deps, alice, `team.${SERVED}`);
    await createNamespace(deps, alice, `eu.team.${SERVED}`);
    await assert.rejects(
      deleteNamespace(deps, alice, `team.${SERVED}`),
      isKind('exists', /still holds 1 child namespace/),
    );
  });

  const refusals: readonly [string, Identity, Parameters<typeof isKind>][] = [
    ['a non-owner', bob, ['forbidden', /bob does not own namespace team\.flows\.example\.test/]],
    ['an anonymous session', anonymous, ['forbidden', /anonymous sessions may not delete namespaces/]],
  ];
  for (const [what, who, expected] of refusals) {
    it(`refuses ${what}`, async (t) => {
      const { deps, registry } = await fixture(t);
      await createNamespace(deps, alice, `team.${SERVED}`);
      await assert.rejects(deleteNamespace(deps, who, `team.${SERVED}`), isKind(...expected));
      assert.ok(await registry.getNamespace(`team.${SERVED}`));
    });
  }

  it('refuses a missing namespace', async (t) => {
    const { deps } = await fixture(t);
    await assert.rejects(deleteNamespace(deps, alice, `nope.${SERVED}`), isKind('not-found', /nope\.flows/));
  });
});

describe('listNamespaces', () => {
  it('lists the namespaces the user owns, sorted', async (t) => {
    const f = await fixture(t);
    await createNamespace(f.deps, alice, `z.${SERVED}`);
    await createNamespace(f.deps, alice, `a.${SERVED}`);
    await plant(f, `bob.${SERVED}`, SERVED, 'bob');
    assert.deepEqual(
      (await listNamespaces(f.deps, alice)).map((ns) => ns.name),
      [`a.${SERVED}`, SERVED, `z.${SERVED}`],
    );
    assert.deepEqual(
      (await listNamespaces(f.deps, bob)).map((ns) => ns.name),
      [`bob.${SERVED}`, OTHER],
    );
    assert.deepEqual(await listNamespaces(f.deps, carol), []);
  });

  it('refuses an anonymous session', async (t) => {
    const { deps } = await fixture(t);
    await assert.rejects(
      listNamespaces(deps, anonymous),
      isKind('forbidden', /anonymous sessions may not list namespaces/),
    );
  });
});
