import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendEvents } from '../../../src/core/flows.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { parseBody } from '../../../src/protocol/kv.ts';
import { ENDPOINT, NOW, OTHER, SERVED, alice, anonymous, bob, carol, events } from '../core/helpers.ts';
import type { CommandFixture } from './helpers.ts';
import { assertReply, commandFixture, execReply } from './helpers.ts';

const ORDERS = `orders.${SERVED}`;
const NEWS = `news.${SERVED}`;

/** alice's private ORDERS (3 events) and public NEWS; bob's public and private flows in OTHER. */
async function seed(f: CommandFixture): Promise<void> {
  const asAlice = f.ctx({ identity: alice });
  const asBob = f.ctx({ identity: bob });
  assertReply(await execReply(asAlice, `CREATE FLOW ${ORDERS} description=all%20orders`), 250);
  assertReply(await execReply(asAlice, `CREATE FLOW ${NEWS} visibility=public`), 250);
  assertReply(await execReply(asBob, `CREATE FLOW b.${OTHER} visibility=PUBLIC`), 250);
  assertReply(await execReply(asBob, `CREATE FLOW c.${OTHER}`), 250);
  const flow = await f.registry.getFlow(ORDERS);
  assert.ok(flow);
  await appendEvents(f.deps, flow, events(3));
}

describe('CREATE FLOW', () => {
  const table: readonly [string, string, number, RegExp | string][] = [
    ['a flow', `CREATE FLOW ${ORDERS}`, 250, `flow ${ORDERS} created`],
    ['a flow:// URI', `create flow flow://Orders.${SERVED}`, 250, `flow ${ORDERS} created`],
    [
      'every option',
      `CREATE FLOW ${ORDERS} broker=local visibility=public description=x%20y`,
      250,
      /created$/,
    ],
    [
      'options in any order, keys in any case',
      `CREATE FLOW ${ORDERS} Description=x VISIBILITY=private BROKER=LOCAL`,
      250,
      /created$/,
    ],
    [
      'an unknown option',
      `CREATE FLOW ${ORDERS} color=red`,
      501,
      /unknown option "color" \(allowed: broker, visibility, description\)/,
    ],
    [
      'an option twice',
      `CREATE FLOW ${ORDERS} visibility=public visibility=private`,
      501,
      /option "visibility" given twice/,
    ],
    [
      'a bad visibility',
      `CREATE FLOW ${ORDERS} visibility=secret`,
      501,
      /visibility must be public or private, not "secret"/,
    ],
    [
      'an argument that is not key=value',
      `CREATE FLOW ${ORDERS} public`,
      501,
      /expected key=value, got "public"/,
    ],
    [
      'a bad percent-encoding',
      `CREATE FLOW ${ORDERS} description=%E2%28`,
      501,
      /value of description has a bad percent-encoding/,
    ],
    ['an unknown broker', `CREATE FLOW ${ORDERS} broker=kafka`, 501, /broker "kafka" is not configured/],
    ['no flow', 'CREATE FLOW', 501, /syntax: CREATE FLOW <flow>/],
    ['too many arguments', `CREATE FLOW ${ORDERS} a=1 b=2 c=3 d=4`, 501, /syntax/],
    ['a flow outside the agent', 'CREATE FLOW orders.elsewhere.test', 553, /outside/],
    ['a bad flow name', `CREATE FLOW or_ders.${SERVED}`, 553, /invalid label/],
    ['a flow in a namespace of someone else', `CREATE FLOW orders.${OTHER}`, 550, /alice does not own/],
  ];
  for (const [what, line, code, last] of table) {
    it(`${what} -> ${code}`, async (t) => {
      const f = await commandFixture(t);
      assertReply(await execReply(f.ctx({ identity: alice }), line), code, last);
      assert.equal((await f.registry.listFlows()).length, code === 250 ? 1 : 0);
    });
  }

  it('stores the decoded description and the visibility', async (t) => {
    const f = await commandFixture(t);
    await execReply(
      f.ctx({ identity: alice }),
      `CREATE FLOW ${ORDERS} visibility=Public description=caf%C3%A9%20100%25`,
    );
    const flow = await f.registry.getFlow(ORDERS);
    assert.equal(flow?.visibility, 'public');
    assert.equal(flow?.description, 'café 100%');
  });

  it('answers 550 to a flow that exists and to an anonymous session', async (t) => {
    const f = await commandFixture(t);
    await seed(f);
    assertReply(await execReply(f.ctx({ identity: alice }), `CREATE FLOW ${ORDERS}`), 550, /already exists/);
    assertReply(await execReply(f.ctx({ identity: anonymous }), `CREATE FLOW x.${SERVED}`), 550, /anonymous/);
  });
});

describe('DESCRIBE FLOW', () => {
  const KEYS = [
    'flow',
    'uri',
    'namespace',
    'owner',
    'broker',
    'endpoint',
    'queue',
    'tls',
    'visibility',
    'description',
    'created',
    'updated',
    'first',
    'next',
  ];

  it('answers every key, percent-encoded, closed by OK', async (t) => {
    const f = await commandFixture(t);
    await seed(f);
    const r = await execReply(f.ctx({ identity: alice }), `DESCRIBE FLOW flow://${ORDERS}`);
    assertReply(r, 250, 'OK');
    const body = r.lines.slice(0, -1);
    assert.deepEqual(
      body.map((l) => l.split('=')[0]),
      KEYS,
    );
    assert.ok(body.includes('description=all%20orders'), body.join(' | '));
    assert.deepEqual(parseBody(body), {
      flow: ORDERS,
      uri: `flow://${ORDERS}`,
      namespace: SERVED,
      owner: 'alice',
      broker: 'local',
      endpoint: ENDPOINT,
      queue: ORDERS,
      tls: 'false',
      visibility: 'private',
      description: 'all orders',
      created: NOW.toISOString(),
      updated: NOW.toISOString(),
      first: '0',
      next: '3',
    });
  });

  const access: readonly [string, Identity, string, number][] = [
    ['the owner, private', alice, ORDERS, 250],
    ['another user, public', bob, NEWS, 250],
    ['anonymous, public', anonymous, NEWS, 250],
    ['another user, private', bob, ORDERS, 550],
    ['anonymous, private', anonymous, ORDERS, 550],
    ['a missing flow', alice, `nope.${SERVED}`, 550],
    ['a bad name', alice, 'nope', 553],
  ];
  for (const [what, identity, name, code] of access) {
    it(`${what} -> ${code}`, async (t) => {
      const f = await commandFixture(t);
      await seed(f);
      const r = await execReply(f.ctx({ identity }), `DESCRIBE FLOW ${name}`);
      assertReply(r, code);
      if (code === 550) assert.equal(r.lines.join(), `flow ${name} does not exist`);
    });
  }

  it('answers 501 without a flow', async (t) => {
    const f = await commandFixture(t);
    assertReply(
      await execReply(f.ctx({ identity: alice }), 'DESCRIBE FLOW'),
      501,
      /syntax: DESCRIBE FLOW <flow>/,
    );
  });
});

describe('UPDATE FLOW', () => {
  const table: readonly [string, Identity, string, number, RegExp | string][] = [
    [
      'visibility and description',
      alice,
      `UPDATE FLOW ${ORDERS} visibility=public description=new%20text`,
      250,
      `flow ${ORDERS} updated`,
    ],
    ['no key', alice, `UPDATE FLOW ${ORDERS}`, 501, /syntax: UPDATE FLOW <flow> key=value/],
    [
      'a key that cannot change',
      alice,
      `UPDATE FLOW ${ORDERS} broker=local`,
      501,
      /unknown option "broker" \(allowed: visibility, description\)/,
    ],
    [
      'a bad visibility',
      alice,
      `UPDATE FLOW ${ORDERS} visibility=nobody`,
      501,
      /visibility must be public or private/,
    ],
    [
      'a public flow of someone else',
      bob,
      `UPDATE FLOW ${NEWS} description=x`,
      550,
      /only the owner may change flow/,
    ],
    [
      'a private flow of someone else',
      bob,
      `UPDATE FLOW ${ORDERS} description=x`,
      550,
      `flow ${ORDERS} does not exist`,
    ],
    ['anonymous', anonymous, `UPDATE FLOW ${NEWS} description=x`, 550, /only the owner/],
  ];
  for (const [what, identity, line, code, last] of table) {
    it(`${what} -> ${code}`, async (t) => {
      const f = await commandFixture(t);
      await seed(f);
      assertReply(await execReply(f.ctx({ identity }), line), code, last);
      const flow = await f.registry.getFlow(ORDERS);
      assert.equal(flow?.visibility, code === 250 ? 'public' : 'private');
      assert.equal(flow?.description, code === 250 ? 'new text' : 'all orders');
    });
  }
});

describe('DELETE FLOW', () => {
  const table: readonly [string, Identity, string, number, RegExp | string][] = [
    ['own flow', alice, ORDERS, 250, `flow ${ORDERS} deleted`],
    ['a public flow of someone else', bob, NEWS, 550, /only the owner/],
    ['a private flow of someone else', bob, ORDERS, 550, /does not exist/],
    ['anonymous', anonymous, NEWS, 550, /only the owner/],
    ['a missing flow', alice, `nope.${SERVED}`, 550, /does not exist/],
  ];
  for (const [what, identity, name, code, last] of table) {
    it(`${what} -> ${code}`, async (t) => {
      const f = await commandFixture(t);
      await seed(f);
      assertReply(await execReply(f.ctx({ identity }), `DELETE FLOW ${name}`), code, last);
      if (code === 250) {
        assert.equal(await f.registry.getFlow(name), undefined);
        await assert.rejects(f.broker.describeQueue(name));
      } else {
        assert.equal((await f.registry.listFlows()).length, 4);
      }
    });
  }
});

describe('LIST FLOWS', () => {
  const table: readonly [string, Identity, string, string[] | [number, RegExp]][] = [
    [
      'own flows',
      alice,
      'LIST FLOWS',
      [
        `${NEWS} broker=local visibility=public owner=alice`,
        `${ORDERS} broker=local visibility=private owner=alice`,
        '2 flows',
      ],
    ],
    [
      'a namespace, as its owner',
      bob,
      `LIST FLOWS ${OTHER}`,
      [
        `b.${OTHER} broker=local visibility=public owner=bob`,
        `c.${OTHER} broker=local visibility=private owner=bob`,
        '2 flows',
      ],
    ],
    [
      'a namespace of someone else: public flows',
      bob,
      `LIST FLOWS ${SERVED}`,
      [`${NEWS} broker=local visibility=public owner=alice`, '1 flows'],
    ],
    [
      'a namespace, anonymous: public flows',
      anonymous,
      `list flows ${OTHER}`,
      [`b.${OTHER} broker=local visibility=public owner=bob`, '1 flows'],
    ],
    ['none', carol, 'LIST FLOWS', ['0 flows']],
    [
      'anonymous without a namespace',
      anonymous,
      'LIST FLOWS',
      [550, /anonymous sessions may not list their own flows/],
    ],
    ['a missing namespace', alice, `LIST FLOWS nope.${SERVED}`, [550, /does not exist/]],
    ['a bad namespace', alice, 'LIST FLOWS nope', [553, /at least two labels/]],
    ['two namespaces', alice, `LIST FLOWS ${SERVED} ${OTHER}`, [501, /syntax: LIST FLOWS \[<namespace>\]/]],
  ];
  for (const [what, identity, line, expected] of table) {
    it(what, async (t) => {
      const f = await commandFixture(t);
      await seed(f);
      const r = await execReply(f.ctx({ identity }), line);
      if (typeof expected[0] === 'number') assertReply(r, expected[0], expected[1]);
      else {
        assertReply(r, 250, /^\d+ flows$/);
        assert.deepEqual(r.lines, expected);
      }
    });
  }
});
