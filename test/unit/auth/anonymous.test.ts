import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { anonymousMechanism, MAX_TRACE_CHARS } from '../../../src/auth/sasl/anonymous.ts';
import { anonymousInitialResponse } from '../../../src/auth/sasl/client.ts';
import { challengeData, testContext, utf8 } from './helpers.ts';

const start = () => anonymousMechanism.start(testContext({}));

describe('SASL ANONYMOUS (RFC 4505)', () => {
  it('accepts the RFC 4505 §4 example trace "sirhc" (c2lyaGM=)', async () => {
    assert.deepEqual(await start().step(Buffer.from('c2lyaGM=', 'base64')), {
      kind: 'success',
      identity: { kind: 'anonymous', trace: 'sirhc' },
    });
  });

  it('accepts an empty trace, and an email address', async () => {
    assert.deepEqual(await start().step(Buffer.alloc(0)), {
      kind: 'success',
      identity: { kind: 'anonymous', trace: '' },
    });
    const step = await start().step(utf8('ops@example.org'));
    assert.equal(
      step.kind === 'success' && step.identity.kind === 'anonymous' && step.identity.trace,
      'ops@example.org',
    );
  });

  it('sends an empty challenge when there is no initial response', async () => {
    const exchange = start();
    assert.equal(challengeData(await exchange.step(null)).length, 0);
    assert.equal((await exchange.step(utf8('trace'))).kind, 'success');
  });

  it('counts the 255-character limit in characters, not octets', async () => {
    const longest = '€'.repeat(MAX_TRACE_CHARS); // 765 octets
    assert.equal((await start().step(utf8(longest))).kind, 'success');
    const step = await start().step(utf8(`${longest}x`));
    assert.equal(step.kind === 'failure' && step.reason, 'malformed');
  });

  it('refuses invalid UTF-8 and control characters', async () => {
    for (const response of [
      Buffer.from([0x61, 0xc0, 0xaf]),
      utf8('a\nb'),
      utf8('a\u0000b'),
      utf8('\u202eevil'),
      utf8('a\u2028b'),
    ]) {
      const step = await start().step(response);
      assert.equal(step.kind === 'failure' && step.reason, 'malformed', JSON.stringify(response.toString()));
    }
  });

  it('is over after the single message', async () => {
    const exchange = start();
    assert.equal((await exchange.step(utf8('a'))).kind, 'success');
    const again = await exchange.step(utf8('a'));
    assert.equal(again.kind === 'failure' && again.reason, 'malformed');
  });

  it('never looks up users', async () => {
    const ctx = testContext({});
    await anonymousMechanism.start(ctx).step(utf8('user'));
    assert.deepEqual(ctx.lookedUp, []);
  });
});

describe('anonymousInitialResponse', () => {
  it('encodes the trace in UTF-8, empty by default', () => {
    assert.deepEqual(anonymousInitialResponse(), Buffer.alloc(0));
    assert.deepEqual(anonymousInitialResponse('zoë'), utf8('zoë'));
  });

  it('refuses a trace the server would refuse', () => {
    const invalid = (error: unknown): boolean =>
      error instanceof EsonError && error.kind === 'invalid-argument';
    assert.throws(() => anonymousInitialResponse('x'.repeat(256)), invalid);
    assert.throws(() => anonymousInitialResponse('a\r\nb'), invalid);
    assert.throws(() => anonymousInitialResponse('\udc00'), invalid);
  });
});
