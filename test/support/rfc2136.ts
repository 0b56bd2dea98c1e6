/**
 * What the RFC 2136 writer's tests share, whichever server they write to (BIND9, the embedded
 * server, a scripted one): a writer with the tests' defaults, and the check of the EsonError it
 * fails with.
 */
import assert from 'node:assert/strict';
import { EsonError } from '../../src/core/errors.ts';
import type { Rfc2136WriterOptions } from '../../src/adapters/dns/rfc2136/rfc2136-writer.ts';
import { Rfc2136Writer } from '../../src/adapters/dns/rfc2136/rfc2136-writer.ts';

/** A writer for `zone` on `host`:`port` with `key`: 2000 ms per attempt, 1 retry, unless `options` say. */
export function rfc2136Writer(
  host: string,
  port: number,
  zone: string,
  key: Rfc2136WriterOptions['key'],
  options: Partial<Rfc2136WriterOptions> = {},
): Rfc2136Writer {
  return new Rfc2136Writer({
    server: { host, port },
    zone,
    key,
    timeoutMs: 2000,
    retries: 1,
    ...options,
  });
}

/** For `assert.rejects`: an EsonError of `kind` whose message matches `pattern`. */
export function isEson(kind: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof EsonError, `expected EsonError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}
