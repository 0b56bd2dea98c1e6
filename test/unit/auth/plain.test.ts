import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { plainInitialResponse } from '../../../src/auth/sasl/client.ts';
import { AUTHENTICATION_FAILED } from '../../../src/auth/sasl/mechanism.ts';
import type { SaslContext } from '../../../src/auth/sasl/mechanism.ts';
import { parsePlainMessage, plainMechanism } from '../../../src/auth/sasl/plain.ts';
import { deriveScramCredential } from '../../../src/auth/scram-credential.ts';
import { challengeData, RFC7677_CREDENTIAL, testContext, utf8 } from './helpers.ts';

const context = (disabled = false): ReturnType<typeof testContext> =>
  testContext({ user: { credential: RFC7677_CREDENTIAL, disabled } });
const authenticate = (response: Buffer | null, ctx: SaslContext = context()) =>
  plainMechanism.start(ctx).step(response);
const FAILED = { kind: 'failure', reason: 'bad-credentials', message: AUTHENTICATION_FAILED };

describe('SASL PLAIN (RFC 4616)', () => {
  it('authenticates with an initial response and no authzid', async () => {
    const ctx = context();
    assert.deepEqual(await authenticate(plainInitialResponse('user', 'pencil'), ctx), {
      kind: 'success',
      identity: { kind: 'user', name: 'user' },
    });
    assert.deepEqual(ctx.lookedUp, ['user']);
  });

  it('sends an empty challenge when there is no initial response', async () => {
    const exchange = plainMechanism.start(context());
    assert.equal(challengeData(await exchange.step(null)).length, 0);
    assert.equal((await exchange.step(utf8('\0user\0pencil'))).kind, 'success');
  });

  it('accepts an authzid equal to the authcid', async () => {
    assert.equal((await authenticate(utf8('user\0user\0pencil'))).kind, 'success');
  });

  it('refuses proxy authorisation (an authzid naming someone else)', async () => {
    const step = await authenticate(utf8('admin\0user\0pencil'));
    assert.equal(step.kind === 'failure' && step.reason, 'unsupported');
  });

  it('fails a wrong password and an unknown user identically', async () => {
    assert.deepEqual(await authenticate(utf8('\0user\0crayon')), FAILED);
    assert.deepEqual(await authenticate(utf8('\0nobody\0pencil')), FAILED);
  });

  it('applies SASLprep to the password (RFC 4616 §2)', async () => {
    const ctx = testContext({ user: { credential: deriveScramCredential('IX') } });
    assert.equal((await authenticate(utf8('\0user\0I\u00adX'), ctx)).kind, 'success');
    assert.equal((await authenticate(utf8('\0user\0\u2168'), ctx)).kind, 'success');
    assert.deepEqual(await authenticate(utf8('\0user\0ix'), ctx), FAILED);
    // A password SASLprep refuses is a wrong password, not an error.
    assert.deepEqual(await authenticate(utf8('\0user\0I\u0007X'), ctx), FAILED);
  });

  it('fails a disabled user with "disabled" only when the password is right', async () => {
    const right = await authenticate(utf8('\0user\0pencil'), context(true));
    assert.equal(right.kind === 'failure' && right.reason, 'disabled');
    assert.deepEqual(await authenticate(utf8('\0user\0crayon'), context(true)), FAILED);
  });

  it('answers malformed messages with malformed', async () => {
    const cases: Buffer[] = [
      Buffer.alloc(0),
      utf8('userpencil'),
      utf8('user\0pencil'),
      utf8('\0user\0pencil\0'),
      utf8('\0\0user\0pencil'),
      utf8('\0\0pencil'),
      utf8('\0user\0'),
      Buffer.from([0, 0x75, 0xff, 0, 0x70]), // invalid UTF-8 in authcid
      Buffer.concat([utf8('\0user\0pen'), Buffer.from([0xed, 0xa0, 0x80])]), // UTF-8 encoded surrogate
      utf8(`\0${'u'.repeat(256)}\0pencil`),
      utf8(`${'u'.repeat(256)}\0user\0pencil`),
      utf8(`\0user\0${'p'.repeat(2100)}`), // over MAX_SASL_MESSAGE_OCTETS
    ];
    for (const response of cases) {
      const step = await authenticate(response);
      assert.equal(step.kind === 'failure' && step.reason, 'malformed', JSON.stringify(response.toString()));
    }
  });

  it('accepts the 255-octet limits exactly', () => {
    const name = 'é'.repeat(127) + 'u'; // 255 octets
    assert.deepEqual(parsePlainMessage(utf8(`${name}\0${name}\0pw`)), {
      authzid: name,
      authcid: name,
      passwd: 'pw',
    });
  });

  it('is over after success or failure, and refuses a null response after the first step', async () => {
    const exchange = plainMechanism.start(context());
    assert.equal((await exchange.step(utf8('\0user\0pencil'))).kind, 'success');
    const again = await exchange.step(utf8('\0user\0pencil'));
    assert.equal(again.kind === 'failure' && again.reason, 'malformed');

    const failed = plainMechanism.start(context());
    assert.deepEqual(await failed.step(utf8('\0user\0crayon')), FAILED);
    const retry = await failed.step(utf8('\0user\0pencil'));
    assert.equal(retry.kind === 'failure' && retry.reason, 'malformed');

    const nulls = plainMechanism.start(context());
    challengeData(await nulls.step(null));
    const step = await nulls.step(null);
    assert.equal(step.kind === 'failure' && step.reason, 'malformed');
  });

  it('passes a lookup failure through as a rejection', async () => {
    const failing: SaslContext = { lookupUser: () => Promise.reject(new Error('registry down')) };
    await assert.rejects(authenticate(utf8('\0user\0pencil'), failing), /registry down/);
  });
});

describe('plainInitialResponse', () => {
  it('builds NUL user NUL password', () => {
    assert.deepEqual(plainInitialResponse('user', 'pencil'), utf8('\0user\0pencil'));
    assert.deepEqual(plainInitialResponse('zoë', 'pâté'), utf8('\0zoë\0pâté'));
  });

  it('refuses what cannot be framed', () => {
    const invalid = (error: unknown): boolean =>
      error instanceof EsonError && error.kind === 'invalid-argument';
    assert.throws(() => plainInitialResponse('', 'pencil'), invalid);
    assert.throws(() => plainInitialResponse('us\0er', 'pencil'), invalid);
    assert.throws(() => plainInitialResponse('user', ''), invalid);
    assert.throws(() => plainInitialResponse('user', 'pen\0cil'), invalid);
    assert.throws(() => plainInitialResponse('user', '\ud800'), invalid);
    assert.throws(() => plainInitialResponse('u'.repeat(256), 'pencil'), invalid);
    assert.throws(() => plainInitialResponse('user', 'p'.repeat(2048)), invalid);
  });
});
