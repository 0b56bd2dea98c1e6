import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DnsWireError } from '../../../src/dns/wire/errors.ts';
import type { DnsWireErrorCode } from '../../../src/dns/wire/errors.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (text: string): Uint8Array =>
  new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Vectors computed by dnspython (fixtures/generate-golden.py); the tests never run Python. */
export interface Golden {
  readonly dnspython: string;
  readonly timeSigned: number;
  readonly keyName: string;
  readonly secret: string;
  readonly register: {
    readonly id: number;
    readonly signed: string;
    readonly mac: string;
    readonly unsigned: string;
  };
  readonly update: { readonly id: number; readonly signed: string; readonly mac: string };
  readonly registerResponse: { readonly signed: string; readonly mac: string };
  readonly registerYxrrset: { readonly signed: string };
  readonly querySrvDo: { readonly id: number; readonly wire: string };
}

export const GOLDEN = JSON.parse(
  readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8'),
) as Golden;

/** The registration golden.json was generated for. */
export const GOLDEN_REGISTRATION: FlowRegistration = {
  flow: 'orders.flows.orange.test',
  agent: { host: 'agent.orange.test', port: 61000, tls: true },
  broker: { type: 'kafka', host: 'kafka.orange.test', port: 9092, queue: 'orders', tls: false },
  ttl: 60,
};

export function assertWireError(fn: () => unknown, code?: DnsWireErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DnsWireError, `expected DnsWireError, got ${String(error)}`);
    if (code !== undefined) assert.equal(error.code, code, error.message);
    return true;
  });
}
