/**
 * The embedded registry: one SQLite file in the agent's data directory, through Node's built-in
 * `node:sqlite`. WAL journal so that readers (the CLI) never block the agent, a busy timeout so
 * that writers from two processes queue instead of failing, foreign keys on so that a flow cannot
 * outlive its namespace. Every call is synchronous underneath; the async signatures are the port's.
 */
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, SQLOutputValue, StatementSync } from 'node:sqlite';

import { EsonError, exists, invalidArgument, notFound, unavailable } from '../../../core/errors.ts';
import type {
  FlowPatch,
  FlowRecord,
  NamespaceRecord,
  Registry,
  UserPatch,
  UserRecord,
  Visibility,
} from '../../../ports/registry.ts';
import { migrate } from './migrations.ts';

export interface SqliteRegistryOptions {
  /** How long a write waits for another connection's lock before failing 'unavailable'. */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

// Extended result codes (https://sqlite.org/rescode.html); node:sqlite reports them as `errcode`.
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

type Row = Record<string, SQLOutputValue>;

interface Statements {
  getUser: StatementSync;
  insertUser: StatementSync;
  updateUser: StatementSync;
  listUsers: StatementSync;
  getNamespace: StatementSync;
  insertNamespace: StatementSync;
  upsertServedNamespace: StatementSync;
  countFlowsIn: StatementSync;
  countChildrenOf: StatementSync;
  deleteNamespace: StatementSync;
  listNamespaces: StatementSync;
  listNamespacesByOwner: StatementSync;
  getFlow: StatementSync;
  insertFlow: StatementSync;
  updateFlow: StatementSync;
  deleteFlow: StatementSync;
  listFlows: StatementSync;
  listFlowsIn: StatementSync;
}

// updatedAt moves strictly forward: now, or 1 ms past the stored value if the clock says otherwise.
const BUMP_UPDATED_AT = `CASE WHEN :now > updated_at THEN :now
  ELSE coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', updated_at, '+0.001 seconds'), :now) END`;

export class SqliteRegistry implements Registry {
  private readonly db: DatabaseSync;
  private readonly sql: Statements;

  private constructor(db: DatabaseSync) {
    this.db = db;
    this.sql = {
      getUser: db.prepare('SELECT * FROM users WHERE name = ?'),
      insertUser: db.prepare(
        `INSERT INTO users (name, salt, iterations, stored_key, server_key, disabled, created_at, updated_at)
         VALUES (:name, :salt, :iterations, :stored_key, :server_key, :disabled, :created_at, :updated_at)`,
      ),
      updateUser: db.prepare(
        `UPDATE users SET
           salt = coalesce(:salt, salt),
           iterations = coalesce(:iterations, iterations),
           stored_key = coalesce(:stored_key, stored_key),
           server_key = coalesce(:server_key, server_key),
           disabled = coalesce(:disabled, disabled),
           updated_at = ${BUMP_UPDATED_AT}
         WHERE name = :name
         RETURNING *`,
      ),
      listUsers: db.prepare('SELECT * FROM users ORDER BY name'),
      getNamespace: db.prepare('SELECT * FROM namespaces WHERE name = ?'),
      insertNamespace: db.prepare(
        `INSERT INTO namespaces (name, owner, parent, description, created_at)
         VALUES (:name, :owner, :parent, :description, :created_at)`,
      ),
      // A configured namespace keeps its createdAt; owner and description follow the configuration.
      upsertServedNamespace: db.prepare(
        `INSERT INTO namespaces (name, owner, parent, description, created_at)
         VALUES (:name, :owner, NULL, :description, :created_at)
         ON CONFLICT (name) DO UPDATE SET
           owner = excluded.owner, parent = NULL, description = excluded.description`,
      ),
      countFlowsIn: db.prepare('SELECT count(*) AS n FROM flows WHERE namespace = ?'),
      countChildrenOf: db.prepare('SELECT count(*) AS n FROM namespaces WHERE parent = ?'),
      deleteNamespace: db.prepare('DELETE FROM namespaces WHERE name = ?'),
      listNamespaces: db.prepare('SELECT * FROM namespaces ORDER BY name'),
      listNamespacesByOwner: db.prepare('SELECT * FROM namespaces WHERE owner = ? ORDER BY name'),
      getFlow: db.prepare('SELECT * FROM flows WHERE name = ?'),
      insertFlow: db.prepare(
        `INSERT INTO flows (name, namespace, owner, broker, queue, visibility, description, created_at, updated_at)
         VALUES (:name, :namespace, :owner, :broker, :queue, :visibility, :description, :created_at, :updated_at)`,
      ),
      updateFlow: db.prepare(
        `UPDATE flows SET
           visibility = coalesce(:visibility, visibility),
           description = coalesce(:description, description),
           updated_at = ${BUMP_UPDATED_AT}
         WHERE name = :name
         RETURNING *`,
      ),
      deleteFlow: db.prepare('DELETE FROM flows WHERE name = ?'),
      listFlows: db.prepare('SELECT * FROM flows ORDER BY name'),
      listFlowsIn: db.prepare('SELECT * FROM flows WHERE namespace = ? ORDER BY name'),
    };
  }

  /**
   * Opens (creating if needed) the registry in `file`, or `':memory:'`, and brings its schema up
   * to date. Fails if the file was written by a newer eson (schema version beyond ours).
   */
  static open(file: string, options: SqliteRegistryOptions = {}): SqliteRegistry {
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw invalidArgument(`busyTimeoutMs must be a non-negative integer, not ${busyTimeoutMs}`);
    }
    const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: busyTimeoutMs });
    try {
      // `timeout` above is SQLite's busy_timeout; foreign keys are per connection, so set every time.
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('PRAGMA journal_mode = WAL'); // stays 'memory' for ':memory:'
      migrate(db);
      return new SqliteRegistry(db);
    } catch (error) {
      db.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the registry database ${file}: ${reason}`, { cause: error });
    }
  }

  // ---- users ----

  getUser(name: string): Promise<UserRecord | undefined> {
    return attempt(() => {
      const row = this.sql.getUser.get(name);
      return row && toUser(row);
    });
  }

  createUser(user: UserRecord): Promise<void> {
    return attempt(
      () => {
        this.sql.insertUser.run({
          name: user.name,
          salt: user.credential.salt,
          iterations: user.credential.iterations,
          stored_key: user.credential.storedKey,
          server_key: user.credential.serverKey,
          disabled: user.disabled ? 1 : 0,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
        });
      },
      { unique: () => exists(`user ${user.name}`) },
    );
  }

  updateUser(name: string, patch: UserPatch): Promise<UserRecord> {
    return attempt(() => {
      const credential = patch.credential;
      const row = this.sql.updateUser.get({
        name,
        salt: credential?.salt ?? null,
        iterations: credential?.iterations ?? null,
        stored_key: credential?.storedKey ?? null,
        server_key: credential?.serverKey ?? null,
        disabled: patch.disabled === undefined ? null : patch.disabled ? 1 : 0,
        now: new Date().toISOString(),
      });
      if (!row) throw notFound(`user ${name}`);
      return toUser(row);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return attempt(() => this.sql.listUsers.all().map(toUser));
  }

  // ---- namespaces ----

  getNamespace(name: string): Promise<NamespaceRecord | undefined> {
    return attempt(() => {
      const row = this.sql.getNamespace.get(name);
      return row && toNamespace(row);
    });
  }

  createNamespace(namespace: NamespaceRecord): Promise<void> {
    return attempt(
      () => {
        this.sql.insertNamespace.run({
          name: namespace.name,
          owner: namespace.owner,
          parent: namespace.parent,
          description: namespace.description,
          created_at: namespace.createdAt,
        });
      },
      {
        unique: () => exists(`namespace ${namespace.name}`),
        foreignKey: () => notFound(`parent namespace ${namespace.parent ?? ''} of ${namespace.name}`),
      },
    );
  }

  upsertServedNamespace(namespace: NamespaceRecord): Promise<void> {
    return attempt(() => {
      if (namespace.parent !== null) {
        throw invalidArgument(
          `served namespace ${namespace.name} must have no parent, not ${namespace.parent}; use createNamespace`,
        );
      }
      this.sql.upsertServedNamespace.run({
        name: namespace.name,
        owner: namespace.owner,
        description: namespace.description,
        created_at: namespace.createdAt,
      });
    });
  }

  deleteNamespace(name: string): Promise<void> {
    return attempt(() =>
      this.transaction(() => {
        if (!this.sql.getNamespace.get(name)) throw notFound(`namespace ${name}`);
        const flows = count(this.sql.countFlowsIn, name);
        const children = count(this.sql.countChildrenOf, name);
        if (flows > 0 || children > 0) {
          const held = [
            flows > 0 ? plural(flows, 'flow', 'flows') : '',
            children > 0 ? plural(children, 'child namespace', 'child namespaces') : '',
          ].filter((part) => part !== '');
          throw new EsonError('exists', `namespace ${name} still holds ${held.join(' and ')}`, {
            context: { namespace: name, flows, children },
          });
        }
        this.sql.deleteNamespace.run(name);
      }),
    );
  }

  listNamespaces(filter: { owner?: string } = {}): Promise<NamespaceRecord[]> {
    return attempt(() => {
      const rows =
        filter.owner === undefined
          ? this.sql.listNamespaces.all()
          : this.sql.listNamespacesByOwner.all(filter.owner);
      return rows.map(toNamespace);
    });
  }

  // ---- flows ----

  getFlow(name: string): Promise<FlowRecord | undefined> {
    return attempt(() => {
      const row = this.sql.getFlow.get(name);
      return row && toFlow(row);
    });
  }

  createFlow(flow: FlowRecord): Promise<void> {
    return attempt(
      () => {
        this.sql.insertFlow.run({
          name: flow.name,
          namespace: flow.namespace,
          owner: flow.owner,
          broker: flow.broker,
          queue: flow.queue,
          visibility: flow.visibility,
          description: flow.description,
          created_at: flow.createdAt,
          updated_at: flow.updatedAt,
        });
      },
      {
        unique: () => exists(`flow ${flow.name}`),
        foreignKey: () => notFound(`namespace ${flow.namespace}`),
      },
    );
  }

  updateFlow(name: string, patch: FlowPatch): Promise<FlowRecord> {
    return attempt(() => {
      const row = this.sql.updateFlow.get({
        name,
        visibility: patch.visibility ?? null,
        description: patch.description ?? null,
        now: new Date().toISOString(),
      });
      if (!row) throw notFound(`flow ${name}`);
      return toFlow(row);
    });
  }

  deleteFlow(name: string): Promise<void> {
    return attempt(() => {
      const { changes } = this.sql.deleteFlow.run(name);
      if (Number(changes) === 0) throw notFound(`flow ${name}`);
    });
  }

  listFlows(filter: { namespace?: string } = {}): Promise<FlowRecord[]> {
    return attempt(() => {
      const rows =
        filter.namespace === undefined
          ? this.sql.listFlows.all()
          : this.sql.listFlowsIn.all(filter.namespace);
      return rows.map(toFlow);
    });
  }

  /** Closes the database; calling it again does nothing. */
  close(): Promise<void> {
    return attempt(() => {
      if (this.db.isOpen) this.db.close();
    });
  }

  /** Runs `fn` in an IMMEDIATE transaction (write lock taken up front, so no upgrade deadlock). */
  private transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

// ---- errors ----

interface ConstraintMapping {
  /** PRIMARY KEY or UNIQUE violated */
  unique?: () => EsonError;
  /** FOREIGN KEY violated */
  foreignKey?: () => EsonError;
}

/**
 * Runs `fn` now and settles the returned promise with its result, so that every failure reaches
 * the caller as a rejection. Translates the SQLite errors that have a domain meaning: the constraint violations
 * named in `mapping`, and a lock still held after the busy timeout ('unavailable'). Every other
 * error passes through unchanged.
 */
function attempt<T>(fn: () => T, mapping: ConstraintMapping = {}): Promise<T> {
  return new Promise<T>((resolve) => resolve(translated(fn, mapping)));
}

function translated<T>(fn: () => T, mapping: ConstraintMapping): T {
  try {
    return fn();
  } catch (error) {
    const code = sqliteErrcode(error);
    if (code === undefined) throw error;
    if ((code === SQLITE_CONSTRAINT_PRIMARYKEY || code === SQLITE_CONSTRAINT_UNIQUE) && mapping.unique) {
      throw withCause(mapping.unique(), error);
    }
    if (code === SQLITE_CONSTRAINT_FOREIGNKEY && mapping.foreignKey)
      throw withCause(mapping.foreignKey(), error);
    const primary = code & 0xff;
    if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
      throw unavailable('the registry database is locked by another process; try again', error);
    }
    throw error;
  }
}

function sqliteErrcode(error: unknown): number | undefined {
  if (!(error instanceof Error) || !('code' in error) || error.code !== 'ERR_SQLITE_ERROR') return undefined;
  return 'errcode' in error && typeof error.errcode === 'number' ? error.errcode : undefined;
}

function withCause(error: EsonError, cause: unknown): EsonError {
  return new EsonError(error.kind, error.message, { cause, context: error.context });
}

// ---- rows ----

function toUser(row: Row): UserRecord {
  return {
    name: text(row, 'name'),
    credential: {
      salt: text(row, 'salt'),
      iterations: integer(row, 'iterations'),
      storedKey: text(row, 'stored_key'),
      serverKey: text(row, 'server_key'),
    },
    disabled: integer(row, 'disabled') !== 0,
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

function toNamespace(row: Row): NamespaceRecord {
  const parent = row['parent'];
  return {
    name: text(row, 'name'),
    owner: text(row, 'owner'),
    parent: parent === null ? null : text(row, 'parent'),
    description: text(row, 'description'),
    createdAt: text(row, 'created_at'),
  };
}

function toFlow(row: Row): FlowRecord {
  return {
    name: text(row, 'name'),
    namespace: text(row, 'namespace'),
    owner: text(row, 'owner'),
    broker: text(row, 'broker'),
    queue: text(row, 'queue'),
    visibility: visibility(row),
    description: text(row, 'description'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`registry column ${column} holds ${typeof value}, not text`);
  return value;
}

function integer(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number')
    throw new Error(`registry column ${column} holds ${typeof value}, not a number`);
  return value;
}

function visibility(row: Row): Visibility {
  const value = text(row, 'visibility');
  if (value !== 'public' && value !== 'private')
    throw new Error(`registry holds an unknown visibility "${value}"`);
  return value;
}

function count(statement: StatementSync, ...params: SQLInputValue[]): number {
  const row = statement.get(...params);
  return row ? integer(row, 'n') : 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
