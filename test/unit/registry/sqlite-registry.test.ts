import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';

import {
  MIGRATIONS,
  SchemaTooNewError,
  migrate,
  schemaVersion,
} from '../../../src/adapters/registry/sqlite/migrations.ts';
import type { Migration } from '../../../src/adapters/registry/sqlite/migrations.ts';
import { SqliteRegistry } from '../../../src/adapters/registry/sqlite/sqlite-registry.ts';
import { EsonError } from '../../../src/core/errors.ts';
import type { Registry, Visibility } from '../../../src/ports/registry.ts';
import {
  flow,
  namespace,
  registryContract,
  rejectsWithKind,
  user,
} from '../../contract/registry.contract.ts';

// ---- the contract, each test on its own file in its own directory ----

const directories = new WeakMap<Registry, string>();

registryContract(
  'SqliteRegistry (file)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'eson-registry-'));
    const registry = SqliteRegistry.open(join(dir, 'registry.db'));
    directories.set(registry, dir);
    return Promise.resolve(registry);
  },
  async (registry) => {
    await registry.close();
    const dir = directories.get(registry);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

registryContract(':memory:', () => Promise.resolve(SqliteRegistry.open(':memory:')));

// ---- SQLite specifics ----

const LATEST = MIGRATIONS.length;

function tables(db: DatabaseSync): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => String(row['name']));
}

describe('SqliteRegistry on disk', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eson-registry-'));
    file = join(dir, 'registry.db');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps users, namespaces and flows across close and reopen', async () => {
    const first = SqliteRegistry.open(file);
    await first.createUser(user('alice', { disabled: true }));
    await first.createNamespace(namespace('example.com'));
    await first.createNamespace(namespace('shop.example.com', { parent: 'example.com' }));
    await first.createFlow(flow('orders', 'shop.example.com', { visibility: 'private' }));
    const updated = await first.updateFlow('orders.shop.example.com', { description: 'changed' });
    await first.close();

    const second = SqliteRegistry.open(file);
    try {
      assert.deepEqual(await second.getUser('alice'), user('alice', { disabled: true }));
      assert.deepEqual(
        (await second.listNamespaces()).map((n) => n.name),
        ['example.com', 'shop.example.com'],
      );
      assert.deepEqual(await second.getFlow('orders.shop.example.com'), updated);
      await rejectsWithKind(second.deleteNamespace('shop.example.com'), 'exists', /1 flow/);
    } finally {
      await second.close();
    }
  });

  it('uses WAL journal mode', async () => {
    await SqliteRegistry.open(file).close();
    const db = new DatabaseSync(file);
    try {
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.['journal_mode'], 'wal');
    } finally {
      db.close();
    }
  });

  it('lets two connections on one file see each other’s writes', async () => {
    const agent = SqliteRegistry.open(file);
    const cli = SqliteRegistry.open(file);
    try {
      await agent.createNamespace(namespace('example.com'));
      await cli.createFlow(flow('orders', 'example.com'));
      assert.equal((await agent.listFlows()).length, 1);
      await rejectsWithKind(agent.deleteNamespace('example.com'), 'exists');
    } finally {
      await agent.close();
      await cli.close();
    }
  });

  it("reports a lock held past the busy timeout as 'unavailable'", async () => {
    const registry = SqliteRegistry.open(file, { busyTimeoutMs: 50 });
    const other = new DatabaseSync(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const error = await rejectsWithKind(registry.createNamespace(namespace('example.com')), 'unavailable');
      assert.equal(error.retriable, true);
      other.exec('ROLLBACK');
      await registry.createNamespace(namespace('example.com'));
    } finally {
      other.close();
      await registry.close();
    }
  });

  it('runs migrations once and is idempotent on reopen', async () => {
    await SqliteRegistry.open(file).close();
    const db = new DatabaseSync(file);
    try {
      assert.equal(schemaVersion(db), LATEST);
      for (const table of ['flows', 'namespaces', 'users']) assert.ok(tables(db).includes(table), table);
      assert.deepEqual(migrate(db), { from: LATEST, to: LATEST, applied: [] });
    } finally {
      db.close();
    }

    const again = SqliteRegistry.open(file);
    await again.createUser(user('alice'));
    await again.close();
    const check = new DatabaseSync(file);
    try {
      assert.equal(schemaVersion(check), LATEST);
    } finally {
      check.close();
    }
  });

  it('migrates a fresh database from version 0, applying every migration in order', () => {
    const db = new DatabaseSync(file);
    try {
      const result = migrate(db);
      assert.deepEqual(result, {
        from: 0,
        to: LATEST,
        applied: MIGRATIONS.map((m) => m.version),
      });
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer eson and leaves its version alone', async () => {
    await SqliteRegistry.open(file).close();
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${LATEST + 1}`);
    db.close();

    assert.throws(
      () => SqliteRegistry.open(file),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, new RegExp(`schema version ${LATEST + 1}, newer than version ${LATEST}`));
        assert.match(error.message, /refusing to open/);
        assert.ok(error.message.includes(file), 'the message names the file');
        assert.ok(error.cause instanceof SchemaTooNewError);
        return true;
      },
    );

    const check = new DatabaseSync(file);
    try {
      assert.equal(schemaVersion(check), LATEST + 1);
    } finally {
      check.close();
    }
  });

  it('leaves the previous version intact when a migration fails midway', () => {
    const good: Migration = { version: 1, description: 'first', up: 'CREATE TABLE a (x INTEGER) STRICT;' };
    const bad: Migration = {
      version: 2,
      description: 'second, broken',
      up: `CREATE TABLE b (y INTEGER) STRICT;
           INSERT INTO a (x) VALUES (1);
           INSERT INTO missing_table (z) VALUES (1);`,
    };
    const db = new DatabaseSync(file);
    try {
      assert.deepEqual(migrate(db, [good]), { from: 0, to: 1, applied: [1] });
      assert.throws(
        () => migrate(db, [good, bad]),
        /registry migration 2 \(second, broken\) failed and was rolled back; the database stays at schema version 1: .*missing_table/,
      );
      assert.equal(schemaVersion(db), 1);
      assert.equal(db.isTransaction, false);
      assert.deepEqual(tables(db), ['a']);
      assert.equal(db.prepare('SELECT count(*) AS n FROM a').get()?.['n'], 0);

      // Once fixed, the migration applies from where it stopped.
      const fixed: Migration = { ...bad, up: 'CREATE TABLE b (y INTEGER) STRICT;' };
      assert.deepEqual(migrate(db, [good, fixed]), { from: 1, to: 2, applied: [2] });
      assert.deepEqual(tables(db), ['a', 'b']);
    } finally {
      db.close();
    }
  });

  it('rejects a malformed migration list before touching the database', () => {
    const db = new DatabaseSync(file);
    try {
      const one: Migration = { version: 1, description: 'one', up: 'CREATE TABLE a (x INTEGER);' };
      const three: Migration = { version: 3, description: 'three', up: 'CREATE TABLE c (x INTEGER);' };
      assert.throws(() => migrate(db, [one, three]), /entry 1 has version 3, expected 2/);
      assert.throws(() => migrate(db, [one, one]), /entry 1 has version 1, expected 2/);
      assert.equal(schemaVersion(db), 0);
      assert.deepEqual(tables(db), []);
    } finally {
      db.close();
    }
  });

  it('keeps MIGRATIONS numbered 1, 2, 3, ...', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, i) => i + 1),
    );
  });
});

describe('SqliteRegistry details', () => {
  let registry: SqliteRegistry;

  beforeEach(() => {
    registry = SqliteRegistry.open(':memory:');
  });

  afterEach(async () => {
    await registry.close();
  });

  it('passes errors other than the mapped constraints through unchanged', async () => {
    await registry.createNamespace(namespace('example.com'));
    const bogus = flow('orders', 'example.com', { visibility: 'secret' as Visibility });
    await assert.rejects(registry.createFlow(bogus), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(!(error instanceof EsonError), 'a CHECK violation is not a domain error');
      assert.match(error.message, /CHECK constraint failed/);
      return true;
    });
  });

  it('keeps the SQLite error as the cause of a mapped error', async () => {
    await registry.createUser(user('alice'));
    const error = await rejectsWithKind(
      registry.createUser(user('alice')),
      'exists',
      /^user alice already exists$/,
    );
    assert.ok(error.cause instanceof Error);
    assert.match(error.cause.message, /UNIQUE constraint failed: users\.name/);
  });

  it('moves updatedAt strictly forward even when the stored one is in the future', async () => {
    const future = '2999-01-01T00:00:00.000Z';
    await registry.createNamespace(namespace('example.com'));
    await registry.createFlow(flow('orders', 'example.com', { updatedAt: future }));
    const first = await registry.updateFlow('orders.example.com', { description: 'a' });
    assert.equal(first.updatedAt, '2999-01-01T00:00:00.001Z');
    const second = await registry.updateFlow('orders.example.com', { description: 'b' });
    assert.equal(second.updatedAt, '2999-01-01T00:00:00.002Z');

    await registry.createUser(user('alice', { updatedAt: future }));
    assert.equal(
      (await registry.updateUser('alice', { disabled: true })).updatedAt,
      '2999-01-01T00:00:00.001Z',
    );
  });

  it('reports failures as rejections, never synchronous throws', async () => {
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = registry.deleteFlow('orders.example.com');
    });
    assert.ok(promise);
    await rejectsWithKind(promise, 'not-found');
  });

  it('can be closed twice', async () => {
    await registry.close();
    await registry.close();
  });

  it('rejects calls after close', async () => {
    await registry.close();
    await assert.rejects(registry.listUsers());
  });

  it('rejects a negative busy timeout', () => {
    assert.throws(() => SqliteRegistry.open(':memory:', { busyTimeoutMs: -1 }), /busyTimeoutMs/);
  });
});
