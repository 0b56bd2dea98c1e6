/**
 * Schema migrations of the SQLite registry. The schema version lives in `PRAGMA user_version`
 * (0 for a fresh file). Each migration runs in its own IMMEDIATE transaction together with the
 * version bump, so a migration that fails leaves the database at the version before it. A file
 * whose version is newer than the code knows is refused, never downgraded.
 *
 * Rules for new migrations: append only (never edit a released one), versions are 1, 2, 3, ...
 * in order, and `up` must not contain BEGIN/COMMIT or PRAGMAs that cannot run in a transaction
 * (foreign_keys, journal_mode).
 */
import type { DatabaseSync } from 'node:sqlite';

export interface Migration {
  /** 1 for the first migration, then one more for each. */
  readonly version: number;
  readonly description: string;
  /** SQL statements, run with `exec` inside the migration's transaction. */
  readonly up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users, namespaces and flows',
    up: `
      CREATE TABLE users (
        name        TEXT    NOT NULL PRIMARY KEY,
        salt        TEXT    NOT NULL,
        iterations  INTEGER NOT NULL CHECK (iterations > 0),
        stored_key  TEXT    NOT NULL,
        server_key  TEXT    NOT NULL,
        disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL
      ) STRICT;

      CREATE TABLE namespaces (
        name        TEXT NOT NULL PRIMARY KEY,
        owner       TEXT NOT NULL,
        parent      TEXT REFERENCES namespaces (name),
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX namespaces_owner ON namespaces (owner);
      CREATE INDEX namespaces_parent ON namespaces (parent);

      CREATE TABLE flows (
        name        TEXT NOT NULL PRIMARY KEY,
        namespace   TEXT NOT NULL REFERENCES namespaces (name),
        owner       TEXT NOT NULL,
        broker      TEXT NOT NULL,
        queue       TEXT NOT NULL,
        visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX flows_namespace ON flows (namespace);
    `,
  },
];

export interface MigrationResult {
  /** user_version before */
  readonly from: number;
  /** user_version after */
  readonly to: number;
  /** versions applied by this call, in order */
  readonly applied: readonly number[];
}

/** The schema version of an open database (`PRAGMA user_version`). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  const version = row?.['user_version'];
  if (typeof version !== 'number')
    throw new Error('cannot read the registry schema version (PRAGMA user_version)');
  return version;
}

/** Throws unless versions run 1, 2, 3, ... without gaps or repeats. */
export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `registry migration list is malformed: entry ${index} has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
}

/**
 * Brings `db` up to the last version of `migrations` (the registry's own list by default; tests
 * pass their own). Safe to call on every open and from several processes at once: the version is
 * re-read under the write lock before each migration.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  validateMigrations(migrations);
  const latest = migrations.length;
  const from = schemaVersion(db);
  refuseNewer(from, latest);
  const applied: number[] = [];

  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Another process may have migrated between our read and the lock.
      const current = schemaVersion(db);
      refuseNewer(current, latest);
      if (current >= migration.version) {
        db.exec('COMMIT');
        continue;
      }
      db.exec(migration.up);
      // PRAGMA takes no bound parameters; version is a validated integer.
      db.exec(`PRAGMA user_version = ${migration.version}`);
      db.exec('COMMIT');
      applied.push(migration.version);
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      if (error instanceof SchemaTooNewError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `registry migration ${migration.version} (${migration.description}) failed and was rolled back; ` +
          `the database stays at schema version ${schemaVersion(db)}: ${reason}`,
        { cause: error },
      );
    }
  }
  return { from, to: schemaVersion(db), applied };
}

/** The database was written by a newer eson; opening it with this one could corrupt it. */
export class SchemaTooNewError extends Error {
  readonly found: number;
  readonly known: number;

  constructor(found: number, known: number) {
    super(
      `registry database has schema version ${found}, newer than version ${known} that this eson knows; ` +
        'refusing to open it (run a newer eson, or restore a backup made by this one)',
    );
    this.name = 'SchemaTooNewError';
    this.found = found;
    this.known = known;
  }
}

function refuseNewer(version: number, latest: number): void {
  if (version > latest) throw new SchemaTooNewError(version, latest);
}
