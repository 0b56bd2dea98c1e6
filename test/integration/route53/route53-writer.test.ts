/**
 * Route53Writer against moto's Route 53 (a real HTTP API emulator, started by this file): the
 * records read back with ListResourceRecordSets are exactly shared/product/fns-records.md's layout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { EsonError } from '../../../src/core/errors.ts';
import { parseTxtValue } from '../../../src/adapters/dns/route53/record-sets.ts';
import type { Moto } from '../../support/moto.ts';
import { startMoto } from '../../support/moto.ts';
import {
  createZone,
  kafkaFlow,
  motoClient,
  namespaceOf,
  putRecordSet,
  readZone,
  readZoneShown,
  show,
  writerFor,
} from './helpers.ts';

function isEson(kind: EsonError['kind'], pattern?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof EsonError, `expected an EsonError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

describe('Route53Writer against moto', () => {
  let moto: Moto;
  let client: Route53Client;

  before(async () => {
    moto = await startMoto();
    client = motoClient(moto.endpoint);
  });

  after(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('registers a flow as exactly the fns-records.md layout', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await writer.registerFlow(kafkaFlow(zone.name));
      const f = `notifications.calendar.${zone.name}.`;
      assert.deepEqual(
        (await readZone(client, zone.id)).map(show).sort(),
        [
          `${f} PTR 60 _flow._tcp.${f}`,
          `_flow._tcp.${f} SRV 60 10 10 61000 agent.${zone.name}.`,
          `_flow._tcp.${f} TXT 60 "tls"`,
          `_queue._flow._tcp.${f} SRV 60 10 10 9093 kafka.${zone.name}.`,
          `_queue._flow._tcp.${f} TXT 60 "broker-type=kafka" "queue=notifications.calendar" "tls"`,
        ].sort(),
      );
    } finally {
      await writer.close();
    }
  });

  it('registers an SQS flow without TLS: queue-url in the TXT, no TXT "tls" for the agent', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders';
    try {
      await writer.registerFlow(
        kafkaFlow(zone.name, {
          flow: `orders.${zone.name}`,
          agent: { host: `agent.${zone.name}`, port: 61000, tls: false, priority: 5, weight: 20 },
          broker: {
            type: 'sqs',
            host: 'sqs.eu-west-1.amazonaws.com',
            port: 443,
            queue: 'orders',
            queueUrl,
            tls: true,
          },
          ttl: 120,
        }),
      );
      const f = `orders.${zone.name}.`;
      assert.deepEqual(
        await readZoneShown(client, zone.id),
        [
          `${f} PTR 120 _flow._tcp.${f}`,
          `_flow._tcp.${f} SRV 120 5 20 61000 agent.${zone.name}.`,
          `_queue._flow._tcp.${f} SRV 120 10 10 443 sqs.eu-west-1.amazonaws.com.`,
          `_queue._flow._tcp.${f} TXT 120 "broker-type=sqs" "queue=orders" "queue-url=${queueUrl}" "tls"`,
        ].sort(),
      );
    } finally {
      await writer.close();
    }
  });

  it('writes TXT strings with quotes, backslashes, spaces and non-ASCII that read back unchanged', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    const queue = 'odd "queue" \\ name café';
    try {
      const registration = kafkaFlow(zone.name, {
        broker: { type: 'kafka', host: `kafka.${zone.name}`, port: 9093, queue, tls: false },
      });
      await writer.registerFlow(registration);
      const txt = (await readZone(client, zone.id)).find(
        (s) => s.Type === 'TXT' && s.Name?.startsWith('_queue.'),
      );
      assert.ok(txt, 'the queue TXT record set exists');
      assert.equal(txt.ResourceRecords?.length, 1);
      const value = txt.ResourceRecords?.[0]?.Value ?? '';
      assert.equal(value, '"broker-type=kafka" "queue=odd \\"queue\\" \\\\ name caf\\303\\251"');
      assert.deepEqual(parseTxtValue(value), ['broker-type=kafka', `queue=${queue}`]);
      // The exact values are what unregister matches, so it removes them too.
      await writer.unregisterFlow(registration);
      assert.deepEqual(await readZoneShown(client, zone.id), []);
    } finally {
      await writer.close();
    }
  });

  it('refuses a second registration of the same flow with exists, leaving the records unchanged', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      const registration = kafkaFlow(zone.name);
      await writer.registerFlow(registration);
      const before = await readZoneShown(client, zone.id);
      await assert.rejects(
        writer.registerFlow(registration),
        isEson(
          'exists',
          new RegExp(
            `flow notifications\\.calendar\\.${zone.name.replace(/\./g, '\\.')} is already registered`,
          ),
        ),
      );
      assert.deepEqual(await readZoneShown(client, zone.id), before);
    } finally {
      await writer.close();
    }
  });

  it('updates a flow: new SRV values, the agent TXT "tls" removed when TLS is off, the rest replaced', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await writer.registerFlow(kafkaFlow(zone.name));
      await writer.updateFlow(
        kafkaFlow(zone.name, {
          agent: { host: `agent2.${zone.name}`, port: 61005, tls: false },
          broker: { type: 'kafka', host: `kafka2.${zone.name}`, port: 9094, queue: 'renamed', tls: false },
          ttl: 30,
        }),
      );
      const f = `notifications.calendar.${zone.name}.`;
      assert.deepEqual(
        await readZoneShown(client, zone.id),
        [
          `${f} PTR 30 _flow._tcp.${f}`,
          `_flow._tcp.${f} SRV 30 10 10 61005 agent2.${zone.name}.`,
          `_queue._flow._tcp.${f} SRV 30 10 10 9094 kafka2.${zone.name}.`,
          `_queue._flow._tcp.${f} TXT 30 "broker-type=kafka" "queue=renamed"`,
        ].sort(),
      );
      // And back: TLS on again adds the TXT "tls".
      await writer.updateFlow(kafkaFlow(zone.name));
      assert.ok((await readZoneShown(client, zone.id)).includes(`_flow._tcp.${f} TXT 60 "tls"`));
    } finally {
      await writer.close();
    }
  });

  it('unregisters exactly the flow records, leaving other records; a second unregister is fine', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      const other = {
        Name: `agent.${zone.name}.`,
        Type: 'A' as const,
        TTL: 300,
        ResourceRecords: [{ Value: '192.0.2.10' }],
      };
      await putRecordSet(client, zone.id, other);
      const registration = kafkaFlow(zone.name);
      const neighbour = kafkaFlow(zone.name, {
        flow: `invoices.${zone.name}`,
        broker: { type: 'kafka', host: `kafka.${zone.name}`, port: 9093, queue: 'invoices', tls: true },
      });
      await writer.registerFlow(registration);
      await writer.registerFlow(neighbour);
      await writer.unregisterFlow(registration);
      const left = await readZoneShown(client, zone.id);
      assert.ok(left.includes(`agent.${zone.name}. A 300 192.0.2.10`));
      assert.equal(left.filter((s) => s.includes('notifications.calendar')).length, 0);
      assert.equal(left.filter((s) => s.includes(`invoices.${zone.name}`)).length, 5);
      assert.equal(left.length, 6);
      await writer.unregisterFlow(registration);
      assert.deepEqual(await readZoneShown(client, zone.id), left);
    } finally {
      await writer.close();
    }
  });

  it('unregistering a flow that was never registered is not an error', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await writer.unregisterFlow(kafkaFlow(zone.name, { flow: `never.${zone.name}` }));
      assert.deepEqual(await readZoneShown(client, zone.id), []);
    } finally {
      await writer.close();
    }
  });

  it('unregisters a flow written with another TTL (DELETE must match: the sets are read first)', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await writer.registerFlow(kafkaFlow(zone.name, { ttl: 60 }));
      await writer.unregisterFlow(kafkaFlow(zone.name, { ttl: 300 }));
      assert.deepEqual(await readZoneShown(client, zone.id), []);
    } finally {
      await writer.close();
    }
  });

  it("refuses to unregister another agent's flow (other SRV values) and removes nothing", async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await writer.registerFlow(kafkaFlow(zone.name));
      const before = await readZoneShown(client, zone.id);
      const impostor = kafkaFlow(zone.name, { agent: { host: `evil.${zone.name}`, port: 61000, tls: true } });
      await assert.rejects(
        writer.unregisterFlow(impostor),
        isEson('forbidden', /not the ones this registration wrote/),
      );
      assert.deepEqual(await readZoneShown(client, zone.id), before);
    } finally {
      await writer.close();
    }
  });

  it('registers, replaces and unregisters the namespace records at _flow._tcp.<namespace>', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      const n = `${zone.name}.`;
      await writer.registerNamespace(namespaceOf(zone.name));
      assert.deepEqual(await readZoneShown(client, zone.id), [
        `_flow._tcp.${n} SRV 300 10 10 61000 agent.${n}`,
        `_flow._tcp.${n} TXT 300 "tls"`,
      ]);
      // Registering again replaces (UPSERT): no TLS any more drops the TXT.
      await writer.registerNamespace(
        namespaceOf(zone.name, { agent: { host: `agent.${zone.name}`, port: 61002, tls: false } }),
      );
      assert.deepEqual(await readZoneShown(client, zone.id), [
        `_flow._tcp.${n} SRV 300 10 10 61002 agent.${n}`,
      ]);
      await writer.unregisterNamespace(
        namespaceOf(zone.name, { agent: { host: `agent.${zone.name}`, port: 61002, tls: false } }),
      );
      assert.deepEqual(await readZoneShown(client, zone.id), []);
      await writer.unregisterNamespace(namespaceOf(zone.name));
    } finally {
      await writer.close();
    }
  });

  it('a hosted zone that does not exist is a clear not-found, for every operation', async () => {
    const writer = writerFor(moto.endpoint, 'ZNOSUCHZONE0001');
    try {
      const registration = kafkaFlow('people.example.test');
      const notFound = isEson('not-found', /Route 53 hosted zone ZNOSUCHZONE0001 does not exist/);
      await assert.rejects(writer.registerFlow(registration), notFound);
      await assert.rejects(writer.updateFlow(registration), notFound);
      await assert.rejects(writer.unregisterFlow(registration), notFound);
      await assert.rejects(writer.registerNamespace(namespaceOf('people.example.test')), notFound);
      await assert.rejects(writer.unregisterNamespace(namespaceOf('people.example.test')), notFound);
    } finally {
      await writer.close();
    }
  });

  it('a flow outside the hosted zone is invalid-argument naming the name and the zone', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    try {
      await assert.rejects(
        writer.registerFlow(kafkaFlow('elsewhere.example.org')),
        isEson('invalid-argument', /not permitted in zone/),
      );
      assert.deepEqual(await readZoneShown(client, zone.id), []);
    } finally {
      await writer.close();
    }
  });

  it('waits for INSYNC when asked (moto answers INSYNC at once) and accepts /hostedzone/ ids', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, `/hostedzone/${zone.id}`, {
      waitForInsync: true,
      insyncTimeoutMs: 5_000,
    });
    try {
      await writer.registerFlow(kafkaFlow(zone.name));
      assert.equal((await readZoneShown(client, zone.id)).length, 5);
    } finally {
      await writer.close();
    }
  });

  it('a closed writer refuses further calls', async () => {
    const zone = await createZone(client);
    const writer = writerFor(moto.endpoint, zone.id);
    await writer.close();
    await writer.close();
    await assert.rejects(writer.registerFlow(kafkaFlow(zone.name)), isEson('unavailable', /closed/));
  });
});
