import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { SqliteRegistry } from '../../../src/adapters/registry/sqlite/sqlite-registry.ts';
import { verifyPassword } from '../../../src/auth/scram-credential.ts';
import {
  GENERATED_PASSWORD_OCTETS,
  MIN_PASSWORD_LENGTH,
  addUser,
  checkPassword,
  checkUserName,
  generatePassword,
  setDisabled,
  setPassword,
} from '../../../src/core/users.ts';
import { NOW, isKind } from './helpers.ts';

const PASSWORD = 'correct horse battery';

function registry(t: TestContext): SqliteRegistry {
  const r = SqliteRegistry.open(':memory:');
  t.after(() => r.close());
  return r;
}

describe('checkUserName', () => {
  const valid = [
    'alice',
    'a',
    'A1',
    '0day',
    'first.last',
    'first_last',
    'alice@example.test',
    'a-b',
    'x'.repeat(64),
  ];
  for (const name of valid) {
    it(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}... (${name.length})` : name)}`, () => {
      assert.equal(checkUserName(name), name);
    });
  }
  const invalid = [
    '',
    'x'.repeat(65),
    '.alice',
    '_alice',
    '-alice',
    '@alice',
    'al ice',
    'al,ice',
    'al=ice',
    'älice',
    'al:ice',
    'al\nice',
  ];
  for (const name of invalid) {
    it(`refuses ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}... (${name.length})` : name)}`, () => {
      assert.throws(
        () => checkUserName(name),
        isKind(
          'invalid-argument',
          /must be 1-64 letters, digits, "\.", "_", "@" or "-", starting with a letter or digit/,
        ),
      );
    });
  }
});

describe('checkPassword', () => {
  const cases: readonly [string, string, boolean][] = [
    ['12 characters', 'x'.repeat(MIN_PASSWORD_LENGTH), true],
    ['11 characters', 'x'.repeat(MIN_PASSWORD_LENGTH - 1), false],
    ['empty', '', false],
    ['12 non-ASCII characters', 'é'.repeat(12), true],
    // 6 characters outside the BMP are 12 UTF-16 code units, still only 6 characters.
    ['6 emoji', '\u{1F600}'.repeat(6), false],
    ['12 emoji', '\u{1F600}'.repeat(12), true],
  ];
  for (const [what, password, ok] of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${what}`, () => {
      if (ok) assert.equal(checkPassword(password), password);
      else {
        assert.throws(
          () => checkPassword(password),
          isKind(
            'invalid-argument',
            new RegExp(`password must have at least ${MIN_PASSWORD_LENGTH} characters`),
          ),
        );
      }
    });
  }

  it('generates passwords that pass, all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const password = generatePassword();
      assert.equal(password.length, Math.ceil((GENERATED_PASSWORD_OCTETS * 4) / 3));
      assert.match(password, /^[A-Za-z0-9_-]+$/);
      assert.equal(checkPassword(password), password);
      seen.add(password);
    }
    assert.equal(seen.size, 20);
  });
});

describe('addUser', () => {
  it('stores a SCRAM credential that verifies the password, and never the password', async (t) => {
    const r = registry(t);
    const user = await addUser(r, 'alice', PASSWORD, NOW);
    assert.equal(user.name, 'alice');
    assert.equal(user.disabled, false);
    assert.equal(user.createdAt, NOW.toISOString());
    assert.equal(user.updatedAt, NOW.toISOString());
    const stored = await r.getUser('alice');
    assert.deepEqual(stored, user);
    assert.ok(stored);
    assert.equal(verifyPassword(stored.credential, PASSWORD), true);
    assert.equal(verifyPassword(stored.credential, `${PASSWORD}!`), false);
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
  });

  it('salts every credential differently', async (t) => {
    const r = registry(t);
    const a = await addUser(r, 'alice', PASSWORD);
    const b = await addUser(r, 'bob', PASSWORD);
    assert.notEqual(a.credential.salt, b.credential.salt);
    assert.notEqual(a.credential.storedKey, b.credential.storedKey);
  });

  const refusals: readonly [string, string, string, RegExp][] = [
    ['a bad name', 'al ice', PASSWORD, /user name "al ice"/],
    ['a short password', 'alice', 'short', /at least 12 characters/],
    ['a password SASLprep refuses', 'alice', `${PASSWORD}\u0007`, /./],
  ];
  for (const [what, name, password, message] of refusals) {
    it(`refuses ${what} and stores nothing`, async (t) => {
      const r = registry(t);
      await assert.rejects(addUser(r, name, password), isKind('invalid-argument', message));
      assert.deepEqual(await r.listUsers(), []);
    });
  }

  it('refuses a user that exists', async (t) => {
    const r = registry(t);
    await addUser(r, 'alice', PASSWORD);
    await assert.rejects(addUser(r, 'alice', 'another password'), isKind('exists', /user alice/));
    const stored = await r.getUser('alice');
    assert.ok(stored);
    assert.equal(verifyPassword(stored.credential, PASSWORD), true);
  });
});

describe('setPassword', () => {
  it('replaces the credential: the new password verifies, the old one no longer does', async (t) => {
    const r = registry(t);
    await addUser(r, 'alice', PASSWORD, NOW);
    const updated = await setPassword(r, 'alice', 'a brand new password');
    assert.equal(verifyPassword(updated.credential, 'a brand new password'), true);
    assert.equal(verifyPassword(updated.credential, PASSWORD), false);
    assert.ok(updated.updatedAt > NOW.toISOString());
    assert.deepEqual(await r.getUser('alice'), updated);
  });

  it('refuses a short password and keeps the old one', async (t) => {
    const r = registry(t);
    await addUser(r, 'alice', PASSWORD);
    await assert.rejects(setPassword(r, 'alice', 'short'), isKind('invalid-argument', /at least 12/));
    const stored = await r.getUser('alice');
    assert.ok(stored);
    assert.equal(verifyPassword(stored.credential, PASSWORD), true);
  });

  it('refuses a missing user', async (t) => {
    const r = registry(t);
    await assert.rejects(
      setPassword(r, 'nobody', PASSWORD),
      isKind('not-found', /user nobody does not exist/),
    );
  });
});

describe('setDisabled', () => {
  it('disables and enables a user, keeping the credential', async (t) => {
    const r = registry(t);
    const user = await addUser(r, 'alice', PASSWORD);
    const disabled = await setDisabled(r, 'alice', true);
    assert.equal(disabled.disabled, true);
    assert.deepEqual(disabled.credential, user.credential);
    assert.equal((await r.getUser('alice'))?.disabled, true);
    assert.equal((await setDisabled(r, 'alice', false)).disabled, false);
    assert.equal((await r.getUser('alice'))?.disabled, false);
  });

  it('refuses a missing user', async (t) => {
    const r = registry(t);
    await assert.rejects(setDisabled(r, 'nobody', true), isKind('not-found', /user nobody does not exist/));
  });
});
