/**
 * Shared pieces of the Route 53 integration tests: a client for a moto server, a fresh hosted zone
 * per test, reading a zone back, and sample registrations.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { Route53WriterOptions } from '../../../src/adapters/dns/route53/route53-writer.ts';
import { Route53Writer } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { FlowRegistration, NamespaceRegistration } from '../../../src/ports/name-service.ts';
import { MOTO_CREDENTIALS, MOTO_REGION } from '../../support/moto.ts';

export function motoClient(endpoint: string): Route53Client {
  return new Route53Client({ region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
}

let zones = 0;

/** A new hosted zone `<label>-<n>.example.test` and its id (without `/hostedzone/`). */
export async function createZone(
  client: Route53Client,
  label = 'people',
): Promise<{ id: string; name: string }> {
  zones += 1;
  const name = `${label}-${zones}-${process.pid}.example.test`;
  const out = await client.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }),
  );
  const id = (out.HostedZone?.Id ?? '').replace(/^\/hostedzone\//, '');
  if (!id) throw new Error('CreateHostedZone returned no id');
  return { id, name };
}

/** One record set in a compact, comparable form: `name TYPE ttl value | value`. */
export function show(set: ResourceRecordSet): string {
  return `${set.Name} ${set.Type} ${set.TTL} ${(set.ResourceRecords ?? []).map((r) => r.Value).join(' | ')}`;
}

/** Every record set of the zone except its own NS and SOA, in list order. */
export async function readZone(client: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const sets: ResourceRecordSet[] = [];
  let start: { name?: string; type?: ResourceRecordSet['Type'] } = {};
  for (;;) {
    const page = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ...(start.name ? { StartRecordName: start.name } : {}),
        ...(start.type ? { StartRecordType: start.type } : {}),
      }),
    );
    sets.push(...(page.ResourceRecordSets ?? []).filter((s) => s.Type !== 'NS' && s.Type !== 'SOA'));
    if (!page.IsTruncated || !page.NextRecordName) return sets;
    start = { name: page.NextRecordName, type: page.NextRecordType };
  }
}

export async function readZoneShown(client: Route53Client, zoneId: string): Promise<string[]> {
  return (await readZone(client, zoneId)).map(show).sort();
}

/** Writes a record set directly (another tool's record, or another agent's). */
export async function putRecordSet(
  client: Route53Client,
  zoneId: string,
  set: ResourceRecordSet,
): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: set }] },
    }),
  );
}

export function writerFor(
  endpoint: string,
  hostedZoneId: string,
  options: Partial<Route53WriterOptions> = {},
): Route53Writer {
  return new Route53Writer({
    hostedZoneId,
    client: { region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS },
    // moto has no rate limit; the throughput test measures the default separately.
    rateLimitPerSecond: 1000,
    ...options,
  });
}

/** The kafka flow of shared/product/fns-records.md, in the given zone. */
export function kafkaFlow(zone: string, overrides: Partial<FlowRegistration> = {}): FlowRegistration {
  return {
    flow: `notifications.calendar.${zone}`,
    agent: { host: `agent.${zone}`, port: 61000, tls: true },
    broker: { type: 'kafka', host: `kafka.${zone}`, port: 9093, queue: 'notifications.calendar', tls: true },
    ttl: 60,
    ...overrides,
  };
}

export function namespaceOf(
  zone: string,
  overrides: Partial<NamespaceRegistration> = {},
): NamespaceRegistration {
  return {
    namespace: zone,
    agent: { host: `agent.${zone}`, port: 61000, tls: true },
    ttl: 300,
    ...overrides,
  };
}
