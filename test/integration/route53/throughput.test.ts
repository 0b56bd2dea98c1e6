/**
 * Throughput of flow registration against moto: 100 flows under the default client-side rate limit
 * (5 requests per second, Route 53's per-account limit), then 100 more with the limit lifted to see
 * what the writer and the emulator do by themselves. Printed, never asserted: speed depends on the
 * machine. Every flow's records are checked to be there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { ROUTE53_REQUESTS_PER_SECOND } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { Moto } from '../../support/moto.ts';
import { startMoto } from '../../support/moto.ts';
import { createZone, kafkaFlow, motoClient, readZone, writerFor } from './helpers.ts';

const FLOWS = 100;

describe('Route53Writer throughput against moto', () => {
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

  async function registerMany(t: TestContext, rateLimitPerSecond: number, label: string): Promise<void> {
    const zone = await createZone(client, 'bulk');
    const writer = writerFor(moto.endpoint, zone.id, { rateLimitPerSecond });
    try {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: FLOWS }, (_, i) =>
          writer.registerFlow(kafkaFlow(zone.name, { flow: `f${i}.${zone.name}` })),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const line = `route53 throughput (${label}): ${FLOWS} flows registered in ${seconds.toFixed(2)} s = ${(FLOWS / seconds).toFixed(1)} flows/s`;
      t.diagnostic(line);
      // 5 record sets per flow (PTR, SRV, TXT at _flow._tcp, SRV and TXT at _queue._flow._tcp).
      assert.equal((await readZone(client, zone.id)).length, FLOWS * 5);
    } finally {
      await writer.close();
    }
  }

  it(`registers ${FLOWS} flows under the default rate limit (${ROUTE53_REQUESTS_PER_SECOND} requests/s) and reports flows/second`, async (t) => {
    await registerMany(t, ROUTE53_REQUESTS_PER_SECOND, `client limit ${ROUTE53_REQUESTS_PER_SECOND}/s`);
  });

  it(`registers ${FLOWS} flows with the client limit lifted and reports flows/second`, async (t) => {
    await registerMany(t, 10_000, 'client limit lifted');
  });
});
