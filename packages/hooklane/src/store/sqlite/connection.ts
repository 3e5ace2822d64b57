import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqlDialect } from '../shared-sql.ts';

export class DataDirLockedError extends Error {
  constructor(path: string) {
    super(
      `Another Hooklane process is using ${path}. One process owns an embedded store; stop the other one, ` +
        'choose another HOOKLANE_DATA_DIR, or use PostgreSQL (DATABASE_URL) to run several processes.',
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * Pages the write-ahead log may hold before a commit copies them into the database file (a
 * checkpoint, which runs inside that commit on the event loop). At 1,000 single-event requests/s
 * a checkpoint of 10,000 pages blocked the loop 8–23 ms every few seconds and set SQLite's p99;
 * at 2,500 pages each is a quarter of that: p99 26.8 → 17.4 ms (`bench/compare.ts`, 4 rounds),
 * for ~5% more CPU per event in bursts (docs/decisions/sqlite-checkpoint-interval.md). The log
 * stays ~10 MB on disk.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 2_500;

/**
 * Opens the SQLite file for durable, single-owner use: WAL with synchronous=FULL (a
 * committed event survives power loss) and an exclusive lock held for the life of the
 * connection, which the OS releases if the process dies — so a second process is refused
 * while a crashed one never leaves a stale lock behind.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec('PRAGMA cache_size = -8000');
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // Take the exclusive lock now rather than at the first write.
    db.exec('BEGIN IMMEDIATE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if (error instanceof Error && /locked|busy/i.test(error.message))
      throw new DataDirLockedError(dirname(path));
    throw error;
  }
  return db;
}

/**
 * Lists bind as JSON text; one process owns the file, so nothing is held by others. A delivery
 * refers to its event by the event's integer key, `seq`, which grows with ingest: its index
 * takes entries at its end (migrations/0008-deliveries-by-event-seq.sql).
 */
export const SQLITE_DIALECT: SqlDialect = {
  inList: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
  lockSkipLocked: '',
  deliveryEvent: {
    is: (param) => `event_seq = (SELECT seq FROM events WHERE account_id = $1 AND id = ${param})`,
    among: (where) => `event_seq IN (SELECT seq FROM events WHERE account_id = $1 AND ${where})`,
    joins: (d, e) => `${d}.event_seq = ${e}.seq`,
  },
};

/** A value as SQLite binds it: booleans as 0/1, lists as JSON text. */
function bindable(value: unknown): SQLInputValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return JSON.stringify(value);
  return value as SQLInputValue;
}

/**
 * The store's connection: statements prepared once and kept, written with `$n` placeholders
 * as shared-sql.ts writes them, and transactions. The driver is synchronous and the file is
 * this process's alone, so every call runs atomically with respect to the rest of the process.
 */
export class SqliteConnection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** The prepared statement of `sql` (`$n` placeholders read as `?n`). */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  run(sql: string, params: readonly unknown[] = []) {
    return this.statement(sql).run(...params.map(bindable));
  }

  get(sql: string, params: readonly unknown[] = []) {
    return this.statement(sql).get(...params.map(bindable));
  }

  all(sql: string, params: readonly unknown[] = []) {
    return this.statement(sql).all(...params.map(bindable));
  }

  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Runs engine bookkeeping (attempt results, pruning) without its own fsync. In WAL mode
   * such a commit is durable once any later FULL commit (every ingest) syncs the log; a
   * crash before that loses only results, whose deliveries are sent again:
   * at-least-once holds, and the engine does not pay an fsync per finished request.
   */
  relaxed<T>(work: () => T): T {
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      return work();
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }
}
