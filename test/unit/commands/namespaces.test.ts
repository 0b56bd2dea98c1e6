import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBody } from '../../../src/protocol/kv.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { NOW, OTHER, SERVED, alice, anonymous, bob } from '../core/helpers.ts';
import { assertReply, commandFixture, execReply } from './helpers.ts';

describe('CREATE NAMESPACE', () => {
  const table: readonly [string, Identity, string, number, RegExp | string][] = [
    [
      'a child of an owned namespace',
      alice,
      `CREATE NAMESPACE Team.${SERVED}.`,
      250,
      `namespace team.${SERVED} created`,
    ],
    ['an existing namespace', alice, `CREATE NAMESPACE ${SERVED}`, 550, /already exists/],
    [
      'a namespace outside the agent',
      alice,
      'CREATE NAMESPACE team.elsewhere.test',
      553,
      /outside the namespaces/,
    ],
    [
      'a namespace of someone else',
      bob,
      `CREATE NAMESPACE team.${SERVED}`,
      550,
      /bob does not own namespace/,
    ],
    ['an anonymous session', anonymous, `CREATE NAMESPACE team.${SERVED}`, 550, /anonymous/],
    ['an invalid name', alice, 'CREATE NAMESPACE te_am.flows.example.test', 553, /invalid label "te_am"/],
    ['no argument', alice, 'CREATE NAMESPACE', 501, /syntax: CREATE NAMESPACE <namespace>/],
    ['two arguments', alice, `CREATE NAMESPACE a.${SERVED} b.${SERVED}`, 501, /syntax/],
  ];
  for (const [what, identity, line, code, last] of table) {
    it(`${what} -> ${code}`, async (t) => {
      const f = await commandFixture(t);
      assertReply(await execReply(f.ctx({ identity }), line), code, last);
    });
  }
});

describe('DESCRIBE NAMESPACE', () => {
  it('answers key=value lines closed by OK', async (t) => {
    const f = await commandFixture(t);
    const ctx = f.ctx({ identity: alice });
    await execReply(ctx, `CREATE NAMESPACE team.${SERVED}`);
    await execReply(ctx, `CREATE NAMESPACE eu.team.${SERVED}`);
    await execReply(ctx, `CREATE FLOW orders.team.${SERVED}`);
    const r = await execReply(ctx, `DESCRIBE NAMESPACE team.${SERVED}`);
    assertReply(r, 250, 'OK');
    assert.deepEqual(parseBody(r.lines.slice(0, -1)), {
      namespace: `team.${SERVED}`,
      owner: 'alice',
      parent: SERVED,
      description: '',
      flows: '1',
      namespaces: '1',
      created: NOW.toISOString(),
    });
    assert.deepEqual(
      r.lines.slice(0, -1).map((l) => l.split('=')[0]),
      ['namespace', 'owner', 'parent', 'description', 'flows', 'namespaces', 'created'],
    );
  });

  it('shows an empty parent for a served namespace', async (t) => {
    const f = await commandFixture(t);
    const r = await execReply(f.ctx({ identity: alice }), `DESCRIBE NAMESPACE ${SERVED}`);
    assert.ok(r.lines.includes('parent='));
  });

  const refusals: readonly [string, Identity, string, number][] = [
    ['a namespace of someone else', bob, SERVED, 550],
    ['a missing namespace', alice, `nope.${SERVED}`, 550],
    ['an anonymous session', anonymous, SERVED, 550],
    ['an invalid name', alice, 'nope', 553],
  ];
  for (const [what, identity, name, code] of refusals) {
    it(`refuses ${what} with ${code}`, async (t) => {
      const f = await commandFixture(t);
      assertReply(await execReply(f.ctx({ identity }), `DESCRIBE NAMESPACE ${name}`), code);
    });
  }
});

describe('DELETE NAMESPACE', () => {
  it('deletes an empty namespace, naming it canonically', async (t) => {
    const f = await commandFixture(t);
    const ctx = f.ctx({ identity: alice });
    await execReply(ctx, `CREATE NAMESPACE team.${SERVED}`);
    assertReply(
      await execReply(ctx, `DELETE NAMESPACE TEAM.${SERVED}.`),
      250,
      `namespace team.${SERVED} deleted`,
    );
    assert.equal(await f.registry.getNamespace(`team.${SERVED}`), undefined);
  });

  it('refuses a served namespace and a non-empty one with 550', async (t) => {
    const f = await commandFixture(t);
    const ctx = f.ctx({ identity: alice });
    assertReply(
      await execReply(ctx, `DELETE NAMESPACE ${SERVED}`),
      550,
      /served by this agent's configuration/,
    );
    await execReply(ctx, `CREATE NAMESPACE team.${SERVED}`);
    await execReply(ctx, `CREATE FLOW orders.team.${SERVED}`);
    assertReply(
      await execReply(ctx, `DELETE NAMESPACE team.${SERVED}`),
      550,
      `namespace team.${SERVED} still holds 1 flow`,
    );
    assertReply(
      await execReply(f.ctx({ identity: bob }), `DELETE NAMESPACE team.${SERVED}`),
      550,
      /bob does not own/,
    );
    assertReply(await execReply(ctx, `DELETE NAMESPACE nope.${SERVED}`), 550, /does not exist/);
  });
});

describe('LIST NAMESPACES', () => {
  it('lists the owned namespaces, closed by the count', async (t) => {
    const f = await commandFixture(t);
    const ctx = f.ctx({ identity: alice });
    await execReply(ctx, `CREATE NAMESPACE team.${SERVED}`);
    const r = await execReply(ctx, 'LIST NAMESPACES');
    assert.deepEqual(r, {
      code: 250,
      lines: [`${SERVED} owner=alice parent=`, `team.${SERVED} owner=alice parent=${SERVED}`, '2 namespaces'],
    });
    assert.deepEqual((await execReply(f.ctx({ identity: bob }), 'list namespaces')).lines, [
      `${OTHER} owner=bob parent=`,
      '1 namespaces',
    ]);
  });

  it('answers 0 namespaces for a user without any, 550 for anonymous, 501 for an argument', async (t) => {
    const f = await commandFixture(t);
    assert.deepEqual(
      (await execReply(f.ctx({ identity: { kind: 'user', name: 'carol' } }), 'LIST NAMESPACES')).lines,
      ['0 namespaces'],
    );
    assertReply(await execReply(f.ctx({ identity: anonymous }), 'LIST NAMESPACES'), 550);
    assertReply(
      await execReply(f.ctx({ identity: alice }), `LIST NAMESPACES ${SERVED}`),
      501,
      /syntax: LIST NAMESPACES/,
    );
  });
});
