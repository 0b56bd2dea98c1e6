/**
 * Helpers for the writer's tests against BIND9: the registrations they write, and the outside
 * tools of test/support/dns-tools.ts aimed at a test BIND9 (kept for the tests that pass the
 * server).
 */
import type { Bind9Key, Bind9Server } from '../../support/bind9.ts';
import type { DigRecord } from '../../support/dns-tools.ts';
import * as tools from '../../support/dns-tools.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';

export type { DigRecord } from '../../support/dns-tools.ts';
export { txtStringsOf } from '../../support/dns-tools.ts';

/** `dig` against `server` (see dns-tools.ts). */
export function dig(
  server: Bind9Server,
  name: string,
  type: string,
  extra: readonly string[] = [],
): Promise<DigRecord[]> {
  return tools.dig(server.host, server.port, name, type, { extra });
}

/** `nsupdate` against `server` that must succeed (see dns-tools.ts). */
export function nsupdate(
  server: Bind9Server,
  key: Bind9Key,
  zone: string,
  commands: readonly string[],
): Promise<void> {
  return tools.nsupdateOk(server.host, server.port, key, zone, commands);
}

/** Everything dig shows at the names of a flow, one line per record, sorted. */
export function flowSnapshot(server: Bind9Server, flow: string): Promise<string[]> {
  return tools.flowSnapshot(server.host, server.port, flow);
}

export function registration(flow: string, overrides: Partial<FlowRegistration> = {}): FlowRegistration {
  return {
    flow,
    agent: { host: 'agent.orange.test', port: 61000, tls: true },
    broker: {
      type: 'kafka',
      host: 'kafka.orange.test',
      port: 9092,
      queue: flow.split('.')[0] ?? flow,
      tls: false,
    },
    ttl: 60,
    ...overrides,
  };
}

/** An SQS queue name long enough to push a registration's UPDATE past 512 octets. */
export const LONG_QUEUE = 'q'.repeat(150);
export const LONG_QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/123456789012/${LONG_QUEUE}`;

/** A registration whose UPDATE is over 512 octets (so it goes over TCP). */
export function oversizedRegistration(flow: string): FlowRegistration {
  return registration(flow, {
    broker: {
      type: 'sqs',
      host: 'sqs.eu-west-1.amazonaws.com',
      port: 443,
      queue: LONG_QUEUE,
      queueUrl: LONG_QUEUE_URL,
      tls: true,
    },
  });
}
