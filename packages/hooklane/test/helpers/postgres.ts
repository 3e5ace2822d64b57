import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { StoredSecret, Webhook } from '../../src/core/model.ts';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/index.ts';

/** The PostgreSQL the tests use (CI sets it), or null when the run is SQLite-only. */
export function testDatabaseUrl(): string | null {
  const url = process.env.TEST_DATABASE_URL;
  return url === undefined || url.trim() === '' ? null : url;
}

/**
 * A fresh, empty database for one test file (or one test), dropped afterwards, so test
 * files never see each other's rows and migrations always start from nothing.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = testDatabaseUrl();
  if (base === null) throw new Error('TEST_DATABASE_URL is not set');
  const name = `hooklane_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A migrated PostgresStore on a fresh database with account `acc_1` and `webhook`, and `sql`: a
 * second session on the same database, as another process or an operator would have. After the
 * test the session and the store are closed and then the database dropped (in that order: the
 * drop is forced, which would cut open connections).
 */
export async function storeWithSession(
  t: TestContext,
  webhook: Webhook,
  options: { secret?: StoredSecret | null; store?: Partial<PostgresStoreOptions> } = {},
): Promise<{ store: PostgresStore; sql: pg.Client }> {
  const database = await createTestDatabase();
  const store = new PostgresStore({
    connectionString: database.url,
    poolSize: 4,
    deliveryAttempts: 4,
    ...options.store,
  });
  const sql = new pg.Client({ connectionString: database.url });
  t.after(async () => {
    await sql.end().catch(() => {});
    await store.close();
    await database.drop();
  });
  await store.migrate();
  await store.createAccount({ id: 'acc_1', name: 'a', createdAt: 1 });
  await store.insertWebhook(webhook, options.secret ?? null);
  await sql.connect();
  return { store, sql };
}
