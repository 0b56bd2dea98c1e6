import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EsonError, exists, unavailable } from '../../../src/core/errors.ts';
import type { ErrorKind } from '../../../src/core/errors.ts';
import {
  appendEvents,
  createFlow,
  deleteFlow,
  describeFlow,
  listFlows,
  manageableFlow,
  parseVisibility,
  readFlow,
  readableFlow,
  updateFlow,
  writableFlow,
} from '../../../src/core/flows.ts';
import type { ReadRequest } from '../../../src/core/flows.ts';
import type { Identity } from '../../../src/core/identity.ts';
import { createNamespace } from '../../../src/core/namespaces.ts';
import type { Registry } from '../../../src/ports/registry.ts';
import type { Fixture } from './helpers.ts';
import {
  ENDPOINT,
  NOW,
  OTHER,
  SERVED,
  alice,
  anonymous,
  bob,
  brokerWith,
  carol,
  events,
  fixture,
  ids,
  isKind,
} from './helpers.ts';

const ORDERS = `orders.${SERVED}`;

/** A registry whose createFlow fails with `error`; everything else goes to the real one. */
function failingCreateFlow(error: unknown): (registry: Registry) => Registry {
  return (registry) => {
    const wrapper = Object.create(registry) as Registry;
    wrapper.createFlow = () => Promise.reject(error instanceof Error ? error : new Error(String(error)));
    return wrapper;
  };
}

async function queueGone(f: Fixture, name: string): Promise<void> {
  await assert.rejects(f.broker.describeQueue(name), isKind('not-found'));
}

const read = (start: ReadRequest['start'], extra: Partial<ReadRequest> = {}): ReadRequest => ({
  start,
  limit: 100,
  maxBytes: 4 * 1024 * 1024,
  waitMs: 0,
  ...extra,
});

describe('parseVisibility', () => {
  const cases: readonly [string, 'public' | 'private' | undefined][] = [
    ['public', 'public'],
    ['private', 'private'],
    ['PUBLIC', 'public'],
    ['Private', 'private'],
    ['secret', undefined],
    ['', undefined],
    ['public ', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected ?? 'invalid-argument'}`, () => {
      if (expected) assert.equal(parseVisibility(input), expected);
      else {
        assert.throws(
          () => parseVisibility(input),
          isKind('invalid-argument', new RegExp(`visibility must be public or private, not "${input}"`)),
        );
      }
    });
  }
});

describe('createFlow', () => {
  it('creates a private flow and its queue, owned by the creator', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, `flow://Orders.${SERVED}`);
    assert.deepEqual(flow, {
      name: ORDERS,
      namespace: SERVED,
      owner: 'alice',
      broker: 'local',
      queue: ORDERS,
      visibility: 'private',
      description: '',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    assert.deepEqual(await f.registry.getFlow(ORDERS), flow);
    const queue = await f.broker.describeQueue(ORDERS);
    assert.equal(queue.nextPosition, 0);
  });

  it('takes the options: broker, visibility, description', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS, {
      broker: 'local',
      visibility: 'public',
      description: 'all orders, 100%',
    });
    assert.equal(flow.visibility, 'public');
    assert.equal(flow.description, 'all orders, 100%');
    assert.equal(flow.broker, 'local');
  });

  it('puts a flow in the longest existing namespace that is a proper suffix; the flow name may hold dots', async (t) => {
    const f = await fixture(t);
    await createNamespace(f.deps, alice, `team.${SERVED}`);
    const cases: readonly [string, string][] = [
      [`orders.team.${SERVED}`, `team.${SERVED}`],
      [`eu.orders.v2.team.${SERVED}`, `team.${SERVED}`],
      [`orders.eu.${SERVED}`, SERVED],
      [`a.b.c.d.${SERVED}`, SERVED],
    ];
    for (const [name, namespace] of cases) {
      assert.equal((await createFlow(f.deps, alice, name)).namespace, namespace, name);
    }
  });

  it('lets the owner of an ancestor namespace create a flow in a namespace owned by someone else', async (t) => {
    const f = await fixture(t);
    await f.registry.createNamespace({
      name: `bob.${SERVED}`,
      owner: 'bob',
      parent: SERVED,
      description: '',
      createdAt: NOW.toISOString(),
    });
    const flow = await createFlow(f.deps, alice, `x.bob.${SERVED}`);
    assert.equal(flow.owner, 'alice');
    assert.equal(flow.namespace, `bob.${SERVED}`);
    assert.equal((await createFlow(f.deps, bob, `y.bob.${SERVED}`)).owner, 'bob');
  });

  const refusals: readonly [string, Identity, string, ErrorKind, RegExp][] = [
    [
      'a non-owner',
      bob,
      ORDERS,
      'forbidden',
      /not permitted: bob does not own namespace flows\.example\.test/,
    ],
    [
      'the owner of another namespace',
      alice,
      `orders.${OTHER}`,
      'forbidden',
      /alice does not own namespace flows\.other/,
    ],
    ['an anonymous session', anonymous, ORDERS, 'forbidden', /anonymous sessions may not create flows/],
    [
      'a flow outside the served namespaces',
      alice,
      'orders.elsewhere.test',
      'invalid-name',
      /outside the namespaces/,
    ],
    [
      'a flow named like a served namespace',
      alice,
      SERVED,
      'exists',
      /a namespace named flows\.example\.test exists; a flow may not share its name/,
    ],
    ['an invalid name', alice, `or_ders.${SERVED}`, 'invalid-name', /invalid label "or_ders"/],
    ['a URI with a path', alice, `flow://${ORDERS}/x`, 'invalid-name', /must not have a path/],
  ];
  for (const [what, who, name, kind, message] of refusals) {
    it(`refuses ${what}`, async (t) => {
      const f = await fixture(t);
      await assert.rejects(createFlow(f.deps, who, name), isKind(kind, message));
      assert.deepEqual(await f.registry.listFlows(), []);
    });
  }

  it('refuses a flow that exists, keeping its queue and events', async (t) => {
    const f = await fixture(t);
    await createFlow(f.deps, alice, ORDERS);
    await appendEvents(f.deps, (await f.registry.getFlow(ORDERS))!, events(2));
    await assert.rejects(
      createFlow(f.deps, alice, ORDERS.toUpperCase()),
      isKind('exists', /flow orders\.flows\.example\.test already exists/),
    );
    assert.equal((await f.broker.describeQueue(ORDERS)).nextPosition, 2);
  });

  it('refuses a broker the agent has not configured, with invalid-argument naming it', async (t) => {
    const f = await fixture(t);
    await assert.rejects(
      createFlow(f.deps, alice, ORDERS, { broker: 'kafka' }),
      isKind('invalid-argument', /broker "kafka" is not configured on this agent \(configured: local\)/),
    );
    assert.equal(await f.registry.getFlow(ORDERS), undefined);
    await queueGone(f, ORDERS);
  });

  it('refuses when the default broker is not configured', async (t) => {
    const f = await fixture(t, { brokers: () => new Map() });
    await assert.rejects(
      createFlow(f.deps, alice, ORDERS),
      isKind('invalid-argument', /broker "local" is not configured/),
    );
    assert.equal(await f.registry.getFlow(ORDERS), undefined);
  });

  const registryFailures: readonly [string, unknown][] = [
    ['an EsonError', unavailable('registry locked')],
    ['an unexpected error', new Error('disk on fire')],
  ];
  for (const [what, error] of registryFailures) {
    it(`leaves no queue behind when the registry write fails with ${what}`, async (t) => {
      const f = await fixture(t, { wrapRegistry: failingCreateFlow(error) });
      await assert.rejects(createFlow(f.deps, alice, ORDERS), (thrown) => thrown === error);
      assert.equal(await f.registry.getFlow(ORDERS), undefined);
      await queueGone(f, ORDERS);
    });
  }

  it('leaves the queue alone when the registry says a concurrent creation registered the flow', async (t) => {
    const f = await fixture(t, { wrapRegistry: failingCreateFlow(exists(`flow ${ORDERS}`)) });
    await assert.rejects(createFlow(f.deps, alice, ORDERS), isKind('exists'));
    assert.equal((await f.broker.describeQueue(ORDERS)).nextPosition, 0);
  });

  it('does not reset a queue whose flow was registered meanwhile', async (t) => {
    // The registry answers "no such flow" once (as to a creation that checked just before the
    // winner registered it), then knows it.
    let hide = false;
    const f = await fixture(t, {
      wrapRegistry: (registry) => {
        const wrapper = Object.create(registry) as Registry;
        wrapper.getFlow = (name) => {
          if (!hide) return registry.getFlow(name);
          hide = false;
          return Promise.resolve(undefined);
        };
        return wrapper;
      },
    });
    await createFlow(f.deps, alice, ORDERS);
    await appendEvents(f.deps, (await f.registry.getFlow(ORDERS))!, events(2));
    hide = true;
    await assert.rejects(
      createFlow(f.deps, alice, ORDERS),
      isKind('exists', /flow orders\.flows\.example\.test already exists/),
    );
    assert.equal((await f.broker.describeQueue(ORDERS)).nextPosition, 2);
  });

  it('resets an orphan queue left by an earlier crash', async (t) => {
    const f = await fixture(t);
    await f.broker.createQueue(ORDERS);
    await f.broker.append(ORDERS, events(3, 'orphan'));
    await f.broker.commit(ORDERS, 'user:alice', 2);
    await createFlow(f.deps, alice, ORDERS);
    const queue = await f.broker.describeQueue(ORDERS);
    assert.equal(queue.firstPosition, 0);
    assert.equal(queue.nextPosition, 0);
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), undefined);
  });

  it('leaves exactly one flow with a working queue when two creations race', async (t) => {
    const f = await fixture(t);
    const results = await Promise.allSettled([
      createFlow(f.deps, alice, ORDERS),
      createFlow(f.deps, alice, ORDERS),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
    const failed = results.find((r) => r.status === 'rejected');
    assert.ok(failed?.status === 'rejected');
    isKind('exists')(failed.reason);
    assert.ok(await f.registry.getFlow(ORDERS));
    const { queue } = await describeFlow(f.deps, alice, ORDERS);
    assert.equal(queue.nextPosition, 0);
    assert.deepEqual(await appendEvents(f.deps, (await f.registry.getFlow(ORDERS))!, events(1)), {
      first: 0,
      next: 1,
    });
  });
});

/** alice's private `orders` and public `news` flows in SERVED. */
async function twoFlows(f: Fixture): Promise<void> {
  await createFlow(f.deps, alice, ORDERS);
  await createFlow(f.deps, alice, `news.${SERVED}`, { visibility: 'public' });
}

describe('access to flows', () => {
  const NEWS = `news.${SERVED}`;
  // [identity, flow, may read?, manage outcome: true or the error kind]
  const table: readonly [string, Identity, string, boolean, true | ErrorKind][] = [
    ['the owner, private', alice, ORDERS, true, true],
    ['the owner, public', alice, NEWS, true, true],
    ['another user, private', bob, ORDERS, false, 'not-found'],
    ['another user, public', bob, NEWS, true, 'forbidden'],
    ['anonymous, private', anonymous, ORDERS, false, 'not-found'],
    ['anonymous, public', anonymous, NEWS, true, 'forbidden'],
  ];
  for (const [what, who, name, readable, manage] of table) {
    it(`${what}: read ${readable ? 'allowed' : 'refused'}, manage ${manage === true ? 'allowed' : manage}`, async (t) => {
      const f = await fixture(t);
      await twoFlows(f);
      if (readable) {
        assert.equal((await readableFlow(f.deps, who, name)).name, name);
        assert.equal((await describeFlow(f.deps, who, name)).flow.name, name);
      } else {
        await assert.rejects(
          readableFlow(f.deps, who, name),
          isKind('not-found', /^flow .* does not exist$/),
        );
        await assert.rejects(describeFlow(f.deps, who, name), isKind('not-found'));
        await assert.rejects(readFlow(f.deps, who, name, read('earliest')), isKind('not-found'));
      }
      if (manage === true) assert.equal((await manageableFlow(f.deps, who, name)).name, name);
      else {
        await assert.rejects(manageableFlow(f.deps, who, name), isKind(manage));
        await assert.rejects(updateFlow(f.deps, who, name, { description: 'x' }), isKind(manage));
        await assert.rejects(deleteFlow(f.deps, who, name), isKind(manage));
        // Anonymous sessions are refused writing before the flow is looked at.
        await assert.rejects(
          writableFlow(f.deps, who, name),
          isKind(who.kind === 'user' ? manage : 'forbidden'),
        );
        assert.ok(await f.registry.getFlow(name));
        await f.broker.describeQueue(name);
      }
    });
  }

  it('a private flow of someone else looks exactly like a missing one', async (t) => {
    const f = await fixture(t);
    await twoFlows(f);
    await f.registry.deleteFlow(`news.${SERVED}`);
    const messages: string[] = [];
    for (const name of [ORDERS, `news.${SERVED}`]) {
      await assert.rejects(describeFlow(f.deps, bob, name), (error) => {
        assert.ok(error instanceof EsonError);
        messages.push(error.message.replace(name, '<flow>'));
        return true;
      });
    }
    assert.equal(messages[0], messages[1]);
  });

  it('forbids changes to a public flow not owned with a message saying so', async (t) => {
    const f = await fixture(t);
    await twoFlows(f);
    await assert.rejects(
      updateFlow(f.deps, bob, `news.${SERVED}`, { visibility: 'private' }),
      isKind('forbidden', /not permitted: only the owner may change flow news\.flows\.example\.test/),
    );
    assert.equal((await f.registry.getFlow(`news.${SERVED}`))?.visibility, 'public');
  });

  it('refuses anonymous writers before anything else', async (t) => {
    const f = await fixture(t);
    await twoFlows(f);
    await assert.rejects(
      writableFlow(f.deps, anonymous, `news.${SERVED}`),
      isKind('forbidden', /anonymous sessions may not write flows/),
    );
    await assert.rejects(writableFlow(f.deps, anonymous, `nope.${SERVED}`), isKind('forbidden', /anonymous/));
  });

  it('lets the owner of the namespace manage a flow someone else created in it', async (t) => {
    const f = await fixture(t);
    await f.registry.createNamespace({
      name: `bob.${SERVED}`,
      owner: 'bob',
      parent: SERVED,
      description: '',
      createdAt: NOW.toISOString(),
    });
    await createFlow(f.deps, bob, `x.bob.${SERVED}`);
    assert.equal((await describeFlow(f.deps, alice, `x.bob.${SERVED}`)).flow.owner, 'bob');
    await updateFlow(f.deps, alice, `x.bob.${SERVED}`, { description: 'tidied' });
    await assert.rejects(describeFlow(f.deps, carol, `x.bob.${SERVED}`), isKind('not-found'));
    await deleteFlow(f.deps, alice, `x.bob.${SERVED}`);
  });

  it('answers not-found for a missing flow and invalid-name for a bad one', async (t) => {
    const f = await fixture(t);
    for (const call of [
      () => describeFlow(f.deps, alice, `nope.${SERVED}`),
      () => updateFlow(f.deps, alice, `nope.${SERVED}`, { description: 'x' }),
      () => deleteFlow(f.deps, alice, `nope.${SERVED}`),
      () => readFlow(f.deps, alice, `nope.${SERVED}`, read('earliest')),
      () => writableFlow(f.deps, alice, `nope.${SERVED}`),
    ]) {
      await assert.rejects(call(), isKind('not-found', /flow nope\.flows\.example\.test does not exist/));
    }
    await assert.rejects(describeFlow(f.deps, alice, 'nope'), isKind('invalid-name'));
  });
});

describe('describeFlow', () => {
  it('describes the flow and its queue', async (t) => {
    const f = await fixture(t);
    const created = await createFlow(f.deps, alice, ORDERS, { description: 'orders' });
    await appendEvents(f.deps, created, events(3));
    const { flow, queue } = await describeFlow(f.deps, alice, `flow://${ORDERS}`);
    assert.deepEqual(flow, created);
    assert.equal(queue.endpoint, ENDPOINT);
    assert.equal(queue.tls, false);
    assert.equal(queue.firstPosition, 0);
    assert.equal(queue.nextPosition, 3);
  });

  it('answers unavailable when the broker fails', async (t) => {
    const f = await fixture(t);
    await createFlow(f.deps, alice, ORDERS);
    await f.broker.close();
    await assert.rejects(describeFlow(f.deps, alice, ORDERS), isKind('unavailable', /broker is closed/));
  });
});

describe('updateFlow', () => {
  it('changes visibility and description', async (t) => {
    const f = await fixture(t);
    await createFlow(f.deps, alice, ORDERS);
    const updated = await updateFlow(f.deps, alice, ORDERS, {
      visibility: 'public',
      description: 'now public',
    });
    assert.equal(updated.visibility, 'public');
    assert.equal(updated.description, 'now public');
    assert.ok(updated.updatedAt > updated.createdAt);
    // bob sees it now.
    assert.equal((await readableFlow(f.deps, bob, ORDERS)).description, 'now public');
  });

  it('refuses an empty patch', async (t) => {
    const f = await fixture(t);
    await createFlow(f.deps, alice, ORDERS);
    await assert.rejects(
      updateFlow(f.deps, alice, ORDERS, {}),
      isKind('invalid-argument', /at least one key=value/),
    );
  });
});

describe('deleteFlow', () => {
  it('removes the flow and its queue; the name can be used again with an empty queue', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    await appendEvents(f.deps, flow, events(2));
    assert.deepEqual(await deleteFlow(f.deps, alice, ORDERS), flow);
    assert.equal(await f.registry.getFlow(ORDERS), undefined);
    await queueGone(f, ORDERS);
    await createFlow(f.deps, alice, ORDERS);
    assert.equal((await f.broker.describeQueue(ORDERS)).nextPosition, 0);
  });

  it('lets an emptied namespace be deleted', async (t) => {
    const f = await fixture(t);
    await createNamespace(f.deps, alice, `team.${SERVED}`);
    await createFlow(f.deps, alice, `orders.team.${SERVED}`);
    await deleteFlow(f.deps, alice, `orders.team.${SERVED}`);
    assert.deepEqual(await f.registry.listFlows({ namespace: `team.${SERVED}` }), []);
    await f.registry.deleteNamespace(`team.${SERVED}`);
  });
});

describe('listFlows', () => {
  async function many(f: Fixture): Promise<void> {
    await twoFlows(f);
    await createFlow(f.deps, bob, `b.${OTHER}`, { visibility: 'public' });
    await createFlow(f.deps, bob, `c.${OTHER}`);
    await f.registry.createNamespace({
      name: `bob.${SERVED}`,
      owner: 'bob',
      parent: SERVED,
      description: '',
      createdAt: NOW.toISOString(),
    });
    await createFlow(f.deps, bob, `x.bob.${SERVED}`);
  }
  const names = (flows: readonly { name: string }[]): string[] => flows.map((flow) => flow.name);

  const table: readonly [string, Identity, string | undefined, string[] | [ErrorKind, RegExp]][] = [
    [
      'alice: her own (and those in her namespaces)',
      alice,
      undefined,
      [`news.${SERVED}`, ORDERS, `x.bob.${SERVED}`],
    ],
    ['bob: his own', bob, undefined, [`b.${OTHER}`, `c.${OTHER}`, `x.bob.${SERVED}`]],
    ['carol: none', carol, undefined, []],
    [
      'anonymous without a namespace',
      anonymous,
      undefined,
      ['forbidden', /anonymous sessions may not list their own flows/],
    ],
    ['alice in her namespace: all', alice, SERVED, [`news.${SERVED}`, ORDERS]],
    ["bob in alice's namespace: public ones", bob, SERVED, [`news.${SERVED}`]],
    ["anonymous in alice's namespace: public ones", anonymous, SERVED, [`news.${SERVED}`]],
    ["anonymous in bob's namespace", anonymous, OTHER.toUpperCase(), [`b.${OTHER}`]],
    ["bob in his child namespace of alice's", bob, `bob.${SERVED}`, [`x.bob.${SERVED}`]],
    [
      'a missing namespace',
      alice,
      `nope.${SERVED}`,
      ['not-found', /namespace nope\.flows\.example\.test does not exist/],
    ],
    ['an invalid namespace', alice, 'nope', ['invalid-name', /at least two labels/]],
  ];
  for (const [what, who, namespace, expected] of table) {
    it(what, async (t) => {
      const f = await fixture(t);
      await many(f);
      if (typeof expected[1] === 'object' && expected[1] instanceof RegExp) {
        const [kind, message] = expected as [ErrorKind, RegExp];
        await assert.rejects(listFlows(f.deps, who, namespace), isKind(kind, message));
      } else {
        assert.deepEqual(names(await listFlows(f.deps, who, namespace)), expected);
      }
    });
  }
});

describe('appendEvents', () => {
  it('appends batches at consecutive positions', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    assert.deepEqual(await appendEvents(f.deps, flow, events(3, 'a')), { first: 0, next: 3 });
    assert.deepEqual(await appendEvents(f.deps, flow, events(2, 'b')), { first: 3, next: 5 });
    assert.deepEqual(await appendEvents(f.deps, flow, events(1, 'c')), { first: 5, next: 6 });
    const result = await readFlow(f.deps, alice, ORDERS, read('earliest'));
    assert.deepEqual(ids(result.events), ['a0', 'a1', 'a2', 'b0', 'b1', 'c0']);
    assert.deepEqual(
      result.events.map((e) => e.position),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('answers unavailable, nothing changed, when the broker fails unexpectedly', async (t) => {
    const f = await fixture(t, {
      brokers: (broker) =>
        new Map([
          ['local', brokerWith(broker, { append: () => Promise.reject(new Error('EIO: disk gone')) })],
        ]),
    });
    const flow = await createFlow(f.deps, alice, ORDERS);
    await assert.rejects(
      appendEvents(f.deps, flow, events(1)),
      isKind('unavailable', /^broker failed to store the events; nothing was changed$/),
    );
    assert.equal((await f.broker.describeQueue(ORDERS)).nextPosition, 0);
  });

  it('passes domain errors of the broker through', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    await f.broker.deleteQueue(ORDERS);
    await assert.rejects(appendEvents(f.deps, flow, events(1)), isKind('not-found', /queue orders/));
  });
});

describe('readFlow', () => {
  async function five(f: Fixture) {
    const flow = await createFlow(f.deps, alice, ORDERS, { visibility: 'public' });
    await appendEvents(f.deps, flow, events(5));
    return flow;
  }

  const starts: readonly [string, ReadRequest, string[], number][] = [
    ['FROM 0', read(0), ['e0', 'e1', 'e2', 'e3', 'e4'], 5],
    ['FROM 2', read(2), ['e2', 'e3', 'e4'], 5],
    ['FROM 5 (the end)', read(5), [], 5],
    ['FROM 99 (past the end)', read(99), [], 5],
    ['FROM earliest', read('earliest'), ['e0', 'e1', 'e2', 'e3', 'e4'], 5],
    ['FROM latest', read('latest'), [], 5],
    ['FROM 1 LIMIT 2', read(1, { limit: 2 }), ['e1', 'e2'], 3],
    ['committed, first time (earliest)', read('committed', { limit: 2 }), ['e0', 'e1'], 2],
    ['maxBytes 1 still returns one event', read(0, { maxBytes: 1 }), ['e0'], 1],
  ];
  for (const [what, request, expected, next] of starts) {
    it(what, async (t) => {
      const f = await fixture(t);
      await five(f);
      const result = await readFlow(f.deps, alice, ORDERS, request);
      assert.deepEqual(ids(result.events), expected);
      assert.equal(result.next, next);
      assert.equal(result.flow.name, ORDERS);
      assert.equal(result.commit !== undefined, request.start === 'committed');
    });
  }

  it('starts at the committed position, which the commit advances, per identity', async (t) => {
    const f = await fixture(t);
    await five(f);
    const first = await readFlow(f.deps, alice, ORDERS, read('committed', { limit: 2 }));
    assert.deepEqual(ids(first.events), ['e0', 'e1']);
    // Not committed yet: the same events again.
    const again = await readFlow(f.deps, alice, ORDERS, read('committed', { limit: 2 }));
    assert.deepEqual(ids(again.events), ['e0', 'e1']);
    assert.ok(again.commit);
    await again.commit();
    const second = await readFlow(f.deps, alice, ORDERS, read('committed', { limit: 2 }));
    assert.deepEqual(ids(second.events), ['e2', 'e3']);
    await second.commit?.();
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), 4);
    // bob has his own position.
    const bobs = await readFlow(f.deps, bob, ORDERS, read('committed', { limit: 1 }));
    assert.deepEqual(ids(bobs.events), ['e0']);
    // Reads from a given position neither use nor move it.
    assert.equal((await readFlow(f.deps, alice, ORDERS, read(0))).commit, undefined);
    const third = await readFlow(f.deps, alice, ORDERS, read('committed'));
    assert.deepEqual(ids(third.events), ['e4']);
    await third.commit?.();
    const end = await readFlow(f.deps, alice, ORDERS, read('committed'));
    assert.deepEqual(end.events, []);
    assert.equal(end.next, 5);
  });

  it('never commits for an anonymous session, which reads from the earliest event', async (t) => {
    const f = await fixture(t);
    await five(f);
    const result = await readFlow(f.deps, anonymous, ORDERS, read('committed', { limit: 3 }));
    assert.deepEqual(ids(result.events), ['e0', 'e1', 'e2']);
    assert.equal(result.commit, undefined);
    assert.deepEqual(await f.broker.listConsumers(ORDERS), []);
  });

  it('WAIT returns as soon as an event is appended', async (t) => {
    const f = await fixture(t);
    const flow = await five(f);
    const started = Date.now();
    const pending = readFlow(f.deps, alice, ORDERS, read('latest', { waitMs: 10_000 }));
    await delay(50);
    await appendEvents(f.deps, flow, events(2, 'late'));
    const result = await pending;
    assert.deepEqual(ids(result.events), ['late0', 'late1']);
    assert.equal(result.next, 7);
    assert.ok(Date.now() - started < 5000, 'did not wait for the whole WAIT');
  });

  it('WAIT returns empty when the signal aborts', async (t) => {
    const f = await fixture(t);
    await five(f);
    const controller = new AbortController();
    const started = Date.now();
    const pending = readFlow(
      f.deps,
      alice,
      ORDERS,
      read('latest', { waitMs: 10_000, signal: controller.signal }),
    );
    await delay(50);
    controller.abort();
    const result = await pending;
    assert.deepEqual(result.events, []);
    assert.equal(result.next, 5);
    assert.ok(Date.now() - started < 5000);
  });

  it('WAIT returns empty when the time passes, and not at all when the signal is already aborted', async (t) => {
    const f = await fixture(t);
    await five(f);
    let started = Date.now();
    const timedOut = await readFlow(f.deps, alice, ORDERS, read('latest', { waitMs: 100 }));
    assert.deepEqual(timedOut.events, []);
    assert.ok(Date.now() - started >= 90);
    started = Date.now();
    const aborted = await readFlow(
      f.deps,
      alice,
      ORDERS,
      read('latest', { waitMs: 10_000, signal: AbortSignal.abort() }),
    );
    assert.deepEqual(aborted.events, []);
    assert.ok(Date.now() - started < 1000);
  });

  it('WAIT does not wait when events are there', async (t) => {
    const f = await fixture(t);
    await five(f);
    const started = Date.now();
    const result = await readFlow(f.deps, alice, ORDERS, read(3, { waitMs: 10_000 }));
    assert.deepEqual(ids(result.events), ['e3', 'e4']);
    assert.ok(Date.now() - started < 1000);
  });

  it('a committed read with WAIT commits past the events that arrived', async (t) => {
    const f = await fixture(t);
    const flow = await createFlow(f.deps, alice, ORDERS);
    const pending = readFlow(f.deps, alice, ORDERS, read('committed', { waitMs: 10_000 }));
    await delay(20);
    await appendEvents(f.deps, flow, events(1));
    const result = await pending;
    assert.deepEqual(ids(result.events), ['e0']);
    await result.commit?.();
    assert.equal(await f.broker.committed(ORDERS, 'user:alice'), 1);
  });
});
