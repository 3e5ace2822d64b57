import type { Pool, PoolClient } from 'pg';
import { pendingMigrations } from '../migration-files.ts';
import { functionFiles } from './functions.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
/** Any constant shared by every Hooklane process: migrations run under this advisory lock. */
const MIGRATION_LOCK = 7_320_451_981;

/**
 * Numbered, forward-only migrations, each in its own transaction, then every function file
 * (`functions.ts`) in one more, all under an advisory lock so that processes starting together
 * apply each migration exactly once. Returns how many numbered migrations it applied.
 */
export async function migratePostgres(pool: Pool): Promise<number> {
  const client = await pool.connect();
  // A checked-out client has no pool listener: a lost connection must fail the query, not the process.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const migrations = pendingMigrations(MIGRATIONS_DIR, applied);
    for (const migration of migrations) {
      await inTransaction(client, async () => {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      });
    }
    // Every time, not only after a migration: a database that ran the migrations alone (an
    // older release, or one whose files differ) gets the functions this code was written for.
    await inTransaction(client, async () => {
      for (const file of functionFiles()) await client.query(file.sql);
    });
    return migrations.length;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.off('error', onError);
    client.release(lost);
  }
}

async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
