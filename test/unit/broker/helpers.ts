import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import type { ErrorKind } from '../../../src/core/errors.ts';
import { EmbeddedBroker } from '../../../src/adapters/broker/embedded/embedded-broker.ts';
import type { EmbeddedBrokerOptions } from '../../../src/adapters/broker/embedded/embedded-broker.ts';

export const QUEUE = 'time.flows.orange.test';

export interface Fixture {
  readonly dir: string;
  /** A broker on the fixture's directory, closed when the test ends. */
  readonly open: (options?: Partial<EmbeddedBrokerOptions>) => EmbeddedBroker;
}

/** A temporary directory, removed (after every broker opened on it is closed) when the test ends. */
export async function fixture(t: TestContext): Promise<Fixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eson-broker-'));
  const brokers: EmbeddedBroker[] = [];
  t.after(async () => {
    await Promise.all(brokers.map((broker) => broker.close()));
    await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    open: (options = {}) => {
      const broker = new EmbeddedBroker({ dir, endpoint: 'localhost:7070', ...options });
      brokers.push(broker);
      return broker;
    },
  };
}

/** A small valid CloudEvent text; `data` is put in as is. */
export function event(id: string | number, data: unknown = id): string {
  return JSON.stringify({ specversion: '1.0', id: String(id), source: '/test', type: 'test.event', data });
}

export function events(from: number, count: number, prefix = 'e'): string[] {
  return Array.from({ length: count }, (_, i) => event(`${prefix}${from + i}`));
}

export function isKind(kind: ErrorKind): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof EsonError, `expected EsonError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return true;
  };
}

/** Inverts every bit of one byte, as a bad disk might. */
export function flipByte(bytes: Buffer, index: number): void {
  bytes.writeUInt8(bytes.readUInt8(index) ^ 0xff, index);
}

export async function segmentFiles(dir: string, queue = QUEUE): Promise<string[]> {
  return (await fs.readdir(path.join(dir, queue))).filter((name) => name.endsWith('.seg')).sort();
}

export async function lastSegment(dir: string, queue = QUEUE): Promise<string> {
  const files = await segmentFiles(dir, queue);
  const last = files.at(-1);
  assert.ok(last !== undefined, 'no segment file');
  return path.join(dir, queue, last);
}
