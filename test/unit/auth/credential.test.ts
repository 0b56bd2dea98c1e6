import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { saslprep, SaslprepError } from '../../../src/auth/saslprep.ts';
import {
  deriveScramCredential,
  SCRAM_DEFAULT_ITERATIONS,
  unknownUserCredential,
  verifyPassword,
  verifyPasswordAsync,
} from '../../../src/auth/scram-credential.ts';
import { RFC7677, RFC7677_CREDENTIAL } from './helpers.ts';

const isSaslprepError = (error: unknown): boolean =>
  error instanceof SaslprepError && error.kind === 'invalid-argument';
const isInvalidArgument = (error: unknown): boolean =>
  error instanceof EsonError && error.kind === 'invalid-argument';

describe('saslprep (RFC 4013)', () => {
  it('gives the RFC 4013 §3 examples', () => {
    assert.equal(saslprep('I\u00adX'), 'IX'); // 1: SOFT HYPHEN mapped to nothing
    assert.equal(saslprep('user'), 'user'); // 2: no transformation
    assert.equal(saslprep('USER'), 'USER'); // 3: case preserved
    assert.equal(saslprep('\u00aa'), 'a'); // 4: output is NFKC
    assert.equal(saslprep('\u2168'), 'IX'); // 5: output is NFKC, matches #1
    assert.throws(() => saslprep('\u0007'), isSaslprepError); // 6: prohibited character
    assert.throws(() => saslprep('\u0627\u0031'), isSaslprepError); // 7: bidirectional check
  });

  it('maps non-ASCII spaces to SPACE and "commonly mapped to nothing" characters to nothing', () => {
    assert.equal(saslprep('a\u00a0b\u3000c\u2003d'), 'a b c d');
    assert.equal(saslprep('a\u200bb\ufeffc\ufe0fd\u034fe'), 'abcde');
  });

  it('refuses the prohibited output tables', () => {
    const prohibited = [
      'a\u0000b', // C.2.1
      'a\u007fb', // C.2.1
      'a\u0085b', // C.2.2
      'a\u2028b', // C.2.2
      'a\ue000b', // C.3 private use
      'a\u{100000}b', // C.3 private use, plane 16
      'a\ufdd0b', // C.4
      'a\uffffb', // C.4
      'a\u{1fffe}b', // C.4, plane 1
      'a\ud800b', // C.5 lone surrogate
      'a\ufffdb', // C.6
      'a\u2ff0b', // C.7
      'a\u202eb', // C.8 RIGHT-TO-LEFT OVERRIDE
      'a\u{e0041}b', // C.9 tagging
    ];
    for (const input of prohibited)
      assert.throws(() => saslprep(input), isSaslprepError, JSON.stringify(input));
  });

  it('applies the bidi rules of RFC 3454 §6', () => {
    assert.equal(saslprep('\u0627\u0628'), '\u0627\u0628'); // right-to-left only
    assert.equal(saslprep('\u0627 1 \u0628'), '\u0627 1 \u0628'); // starts and ends with RandALCat
    assert.throws(() => saslprep('a\u0627'), isSaslprepError); // mixes RandALCat and LCat
    assert.throws(() => saslprep('1\u0627'), isSaslprepError); // does not start with RandALCat
  });

  it('refuses unassigned code points only for stored strings (RFC 4013 §2.5)', () => {
    const unassigned = 'a\u0378b'; // U+0378 is unassigned
    assert.equal(saslprep(unassigned), unassigned);
    assert.throws(() => saslprep(unassigned, { allowUnassigned: false }), isSaslprepError);
  });

  it('never puts the input in its messages', () => {
    assert.throws(
      () => saslprep('hunter2\u0007'),
      (error: unknown) => {
        assert.ok(error instanceof SaslprepError);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
  });
});

describe('deriveScramCredential (RFC 5802 §3)', () => {
  it('computes SaltedPassword, StoredKey and ServerKey as the RFC defines them', () => {
    const salt = Buffer.from(RFC7677.salt, 'base64');
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    assert.deepEqual(RFC7677_CREDENTIAL, {
      salt: RFC7677.salt,
      iterations: 4096,
      storedKey: createHash('sha256').update(clientKey).digest('base64'),
      serverKey: createHmac('sha256', salted).update('Server Key').digest('base64'),
    });
  });

  it('uses 16 random octets of salt and 4096 iterations by default', () => {
    assert.equal(SCRAM_DEFAULT_ITERATIONS, 4096);
    const a = deriveScramCredential('pencil');
    const b = deriveScramCredential('pencil');
    assert.equal(a.iterations, 4096);
    assert.equal(Buffer.from(a.salt, 'base64').length, 16);
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.storedKey, b.storedKey);
    assert.equal(Buffer.from(a.storedKey, 'base64').length, 32);
    assert.equal(Buffer.from(a.serverKey, 'base64').length, 32);
  });

  it("derives from the SASLprep'd password", () => {
    const salt = Buffer.from('salt');
    assert.deepEqual(deriveScramCredential('\u2168', { salt }), deriveScramCredential('IX', { salt }));
    assert.notDeepEqual(deriveScramCredential('ix', { salt }), deriveScramCredential('IX', { salt }));
  });

  it('honours the iteration count within bounds', () => {
    assert.equal(deriveScramCredential('pencil', { iterations: 5000 }).iterations, 5000);
    for (const iterations of [0, 4095, 4096.5, 1_000_001, Number.NaN]) {
      assert.throws(
        () => deriveScramCredential('pencil', { iterations }),
        isInvalidArgument,
        String(iterations),
      );
    }
  });

  it('refuses an empty salt, an empty password and passwords SASLprep refuses', () => {
    assert.throws(() => deriveScramCredential('pencil', { salt: Buffer.alloc(0) }), isInvalidArgument);
    assert.throws(() => deriveScramCredential(''), isSaslprepError);
    assert.throws(() => deriveScramCredential('\u00ad'), isSaslprepError); // empty after mapping
    assert.throws(() => deriveScramCredential('pen\u0007cil'), isSaslprepError);
    assert.throws(() => deriveScramCredential('pen\u0378cil'), isSaslprepError); // unassigned, stored
  });
});

describe('verifyPassword (SASL PLAIN)', () => {
  it('is true for the password and false otherwise', () => {
    assert.equal(verifyPassword(RFC7677_CREDENTIAL, 'pencil'), true);
    assert.equal(verifyPassword(RFC7677_CREDENTIAL, 'Pencil'), false);
    assert.equal(verifyPassword(RFC7677_CREDENTIAL, 'pencil '), false);
    assert.equal(verifyPassword(RFC7677_CREDENTIAL, ''), false);
    assert.equal(verifyPassword(RFC7677_CREDENTIAL, 'pen\u0007cil'), false);
  });

  it('matches SASLprep-equivalent passwords', () => {
    const credential = deriveScramCredential('I X');
    assert.equal(verifyPassword(credential, 'I\u00a0X'), true);
    assert.equal(verifyPassword(credential, 'I\u00ad \u00adX'), true);
    assert.equal(verifyPassword(credential, 'IX'), false);
  });

  it('uses the stored iteration count', () => {
    const credential = deriveScramCredential('pencil', { iterations: 4097 });
    assert.equal(verifyPassword(credential, 'pencil'), true);
    assert.equal(verifyPassword({ ...credential, iterations: 4096 }, 'pencil'), false);
  });

  it('agrees with verifyPasswordAsync', async () => {
    for (const password of ['pencil', 'crayon', '', 'a\u0007']) {
      assert.equal(
        await verifyPasswordAsync(RFC7677_CREDENTIAL, password),
        verifyPassword(RFC7677_CREDENTIAL, password),
      );
    }
  });

  it('throws on a corrupt stored credential instead of answering', async () => {
    const corrupt = [
      { ...RFC7677_CREDENTIAL, storedKey: 'not base64!' },
      { ...RFC7677_CREDENTIAL, serverKey: 'AAAA' },
      { ...RFC7677_CREDENTIAL, salt: '' },
      { ...RFC7677_CREDENTIAL, iterations: 0 },
      { ...RFC7677_CREDENTIAL, iterations: 10_000_000 },
    ];
    for (const credential of corrupt) {
      assert.throws(() => verifyPassword(credential, 'pencil'), /credential is corrupt/);
      await assert.rejects(verifyPasswordAsync(credential, 'pencil'), /credential is corrupt/);
    }
  });
});

describe('unknownUserCredential', () => {
  it('is stable per name, differs between names and matches no password', () => {
    assert.deepEqual(unknownUserCredential('nobody'), unknownUserCredential('nobody'));
    assert.notEqual(unknownUserCredential('nobody').salt, unknownUserCredential('somebody').salt);
    const credential = unknownUserCredential('nobody');
    assert.equal(credential.iterations, SCRAM_DEFAULT_ITERATIONS);
    assert.equal(Buffer.from(credential.salt, 'base64').length, 16);
    assert.equal(verifyPassword(credential, ''), false);
    assert.equal(verifyPassword(credential, 'nobody'), false);
  });
});
