/**
 * Who may do what, over the wire: owners manage their namespaces and flows, others see a private
 * flow as missing, public flows are readable by all; invalid names are 553.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestAgent } from '../../support/agent-harness.ts';
import { NAMESPACE, OTHER_NAMESPACE, startTestAgent } from '../../support/agent-harness.ts';
import type { RawClient } from '../../support/raw-client.ts';
import {
  assertServes,
  body,
  event,
  expectReply,
  lastLine,
  login,
  readResult,
  writeEvents,
} from './helpers.ts';

describe('FNAP authorization', () => {
  let t: TestAgent;
  let alice: RawClient;
  let bob: RawClient;
  before(async () => {
    t = await startTestAgent();
    alice = await login(t, 'alice');
    bob = await login(t, 'bob');
  });
  after(async () => {
    alice.close();
    bob.close();
    await t.dispose();
  });

  it("refuses bob a flow in alice's namespace with 550", async () => {
    expectReply(await bob.command(`CREATE FLOW intruder.${NAMESPACE}`), 550, 'not permitted');
    expectReply(await alice.command(`DESCRIBE FLOW intruder.${NAMESPACE}`), 550, 'does not exist');
    expectReply(
      await bob.command(`CREATE FLOW own.${OTHER_NAMESPACE}`),
      250,
      `flow own.${OTHER_NAMESPACE} created`,
    );
    await assertServes(t);
  });

  it("hides alice's private flow from bob until she makes it public", async () => {
    const flow = `secret.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${flow}`), 250, `flow ${flow} created`);
    await writeEvents(alice, flow, [event('a1'), event('a2')]);
    expectReply(await bob.command(`DESCRIBE FLOW ${flow}`), 550, `flow ${flow} does not exist`);
    expectReply(await bob.command(`READ FLOW ${flow} FROM 0`), 550, 'does not exist');
    expectReply(await bob.command(`UPDATE FLOW ${flow} visibility=public`), 550);
    expectReply(await bob.command(`DELETE FLOW ${flow}`), 550);
    const bobsList = expectReply(await bob.command(`LIST FLOWS ${NAMESPACE}`), 250);
    assert.ok(!bobsList.raw.includes(flow), bobsList.raw);

    expectReply(await alice.command(`UPDATE FLOW ${flow} visibility=public`), 250, `flow ${flow} updated`);
    assert.equal(body(expectReply(await bob.command(`DESCRIBE FLOW ${flow}`), 250)).visibility, 'public');
    const read = readResult(await bob.command(`READ FLOW ${flow} FROM 0`));
    assert.deepEqual(read.events, [event('a1'), event('a2')]);
    assert.ok(expectReply(await bob.command(`LIST FLOWS ${NAMESPACE}`), 250).raw.includes(flow));
    // Readable is not writable or manageable.
    expectReply(await bob.command(`WRITE FLOW ${flow}`), 550, 'only the owner');
    expectReply(await bob.command(`DELETE FLOW ${flow}`), 550, 'only the owner');
    expectReply(await bob.command(`UPDATE FLOW ${flow} description=mine`), 550, 'only the owner');
    expectReply(await bob.command('NOOP'), 250);
    await assertServes(t);
  });

  it('lets an owner create child namespaces and flows in them, and nobody else', async () => {
    const team = `team.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE NAMESPACE ${team}`), 250, `namespace ${team} created`);
    expectReply(await alice.command(`CREATE NAMESPACE ${team}`), 550, 'already exists');
    expectReply(
      await alice.command(`CREATE NAMESPACE deep.sub.${team}`),
      250,
      `namespace deep.sub.${team} created`,
    );
    const described = body(expectReply(await alice.command(`DESCRIBE NAMESPACE deep.sub.${team}`), 250));
    assert.equal(described.parent, team);
    assert.equal(described.owner, 'alice');
    expectReply(await bob.command(`CREATE NAMESPACE x.${NAMESPACE}`), 550, 'not permitted');
    expectReply(await bob.command(`DESCRIBE NAMESPACE ${team}`), 550);
    expectReply(await bob.command(`DELETE NAMESPACE ${team}`), 550);
    expectReply(await alice.command(`CREATE NAMESPACE ns.${OTHER_NAMESPACE}`), 550, 'not permitted');
    expectReply(await alice.command('CREATE NAMESPACE team.unserved.test'), 553, 'outside the namespaces');
    const list = expectReply(await alice.command('LIST NAMESPACES'), 250);
    assert.ok(
      list.lines.some((l) => l.startsWith(`${team} owner=alice parent=${NAMESPACE}`)),
      list.raw,
    );
    assert.match(lastLine(list), /^\d+ namespaces$/);
    await assertServes(t);
  });

  it('refuses to delete a served namespace or a namespace that still holds something', async () => {
    const proj = `proj.${NAMESPACE}`;
    expectReply(await alice.command(`DELETE NAMESPACE ${NAMESPACE}`), 550, 'cannot be deleted');
    expectReply(await alice.command(`CREATE NAMESPACE ${proj}`), 250);
    expectReply(await alice.command(`CREATE FLOW f.${proj}`), 250);
    expectReply(await alice.command(`DELETE NAMESPACE ${proj}`), 550, `namespace ${proj} still holds 1 flow`);
    expectReply(await alice.command(`CREATE NAMESPACE sub.${proj}`), 250);
    expectReply(await alice.command(`DELETE FLOW f.${proj}`), 250, `flow f.${proj} deleted`);
    expectReply(await alice.command(`DELETE NAMESPACE ${proj}`), 550, 'still holds 1 child namespace');
    expectReply(await alice.command(`DELETE NAMESPACE sub.${proj}`), 250, `namespace sub.${proj} deleted`);
    expectReply(await alice.command(`DELETE NAMESPACE ${proj}`), 250, `namespace ${proj} deleted`);
    expectReply(await alice.command(`DELETE NAMESPACE ${proj}`), 550, 'does not exist');
    await assertServes(t);
  });

  it('answers invalid names with 553', async () => {
    const long = `${'a'.repeat(64)}.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${long}`), 553, 'label of 64 octets');
    const ok63 = `${'a'.repeat(63)}.${NAMESPACE}`;
    expectReply(await alice.command(`CREATE FLOW ${ok63}`), 250, 'created');
    const labels = Array.from({ length: 4 }, () => 'b'.repeat(60)).join('.');
    const tooLong = `${labels}.${NAMESPACE}`;
    assert.ok(tooLong.length > 253);
    expectReply(await alice.command(`CREATE FLOW ${tooLong}`), 553, 'over the limit of 253');
    expectReply(await alice.command(`CREATE FLOW a_b.${NAMESPACE}`), 553, 'invalid label "a_b"');
    expectReply(await alice.command(`CREATE FLOW -ab.${NAMESPACE}`), 553, 'invalid label');
    expectReply(await alice.command(`CREATE FLOW a..b.${NAMESPACE}`), 553, 'empty label');
    expectReply(await alice.command('CREATE FLOW single'), 553, 'at least two labels');
    expectReply(await alice.command(`CREATE FLOW flow://x.${NAMESPACE}/path`), 553, 'must not have a path');
    expectReply(await alice.command(`DESCRIBE FLOW a_b.${NAMESPACE}`), 553);
    expectReply(await alice.command(`CREATE NAMESPACE a_b.${NAMESPACE}`), 553);
    expectReply(await alice.command('NOOP'), 250);
    await assertServes(t);
  });

  it('answers a flow outside the served namespaces with 553', async () => {
    expectReply(
      await alice.command('CREATE FLOW time.elsewhere.test'),
      553,
      'outside the namespaces this agent serves',
    );
    expectReply(await alice.command('CREATE FLOW flow://time.elsewhere.test'), 553, 'outside the namespaces');
    expectReply(await alice.command('NOOP'), 250);
    await assertServes(t);
  });

  it('accepts a flow by FQDN or flow:// URI, in any case, with a trailing dot', async () => {
    const flow = `named.${NAMESPACE}`;
    expectReply(
      await alice.command(`CREATE FLOW FLOW://Named.${NAMESPACE.toUpperCase()}.`),
      250,
      `flow ${flow} created`,
    );
    const d = body(expectReply(await alice.command(`DESCRIBE FLOW flow://${flow}`), 250));
    assert.equal(d.flow, flow);
    assert.equal(d.uri, `flow://${flow}`);
    assert.equal(d.owner, 'alice');
    assert.equal(d.namespace, NAMESPACE);
    expectReply(await alice.command(`CREATE FLOW ${flow}`), 550, 'already exists');
  });

  it('answers bad CREATE FLOW options with 501 naming them', async () => {
    expectReply(await alice.command(`CREATE FLOW opt.${NAMESPACE} color=red`), 501, 'unknown option "color"');
    expectReply(await alice.command(`CREATE FLOW opt.${NAMESPACE} visibility=secret`), 501, 'visibility');
    expectReply(await alice.command(`CREATE FLOW opt.${NAMESPACE} broker=kafka`), 501, 'broker "kafka"');
    expectReply(await alice.command(`CREATE FLOW opt.${NAMESPACE} description=%ZZ`), 501, 'description');
    expectReply(await alice.command(`CREATE FLOW opt.${NAMESPACE} description=hello%20world`), 250);
    assert.equal(
      body(expectReply(await alice.command(`DESCRIBE FLOW opt.${NAMESPACE}`), 250)).description,
      'hello%20world',
    );
    await assertServes(t);
  });
});
