import type { DatabaseSync } from 'node:sqlite';
import { pendingMigrations } from '../migration-files.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** Numbered, forward-only migrations (`0001-initial.sql`, ...), each applied once in its own transaction. */
export function migrateSqlite(db: DatabaseSync): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => Number(row.version)),
  );
  const migrations = pendingMigrations(MIGRATIONS_DIR, applied);
  for (const migration of migrations) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return migrations.length;
}
