import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

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
 * for ~5% more CPU per event in bursts (docs/decisions/sqlite-checkpoint-interval.md). The log stays ~10 MB on disk.
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
