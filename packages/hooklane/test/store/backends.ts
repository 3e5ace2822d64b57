import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import { openThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';

/** A store backend under test: the contract suite runs once per entry. */
export interface Backend {
  readonly name: string;
  open(attempts?: number): Promise<{ store: Store; dispose(): Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async open(attempts = 4) {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-store-'));
    const store = SqliteStore.open({ path: join(dir, 'hooklane.db'), deliveryAttempts: attempts });
    return {
      store,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The same store on its own thread (HOOKLANE_SQLITE_THREAD): every call crosses in a message. */
const sqliteThread: Backend = {
  name: 'sqlite-thread',
  async open(attempts = 4) {
    const dir = mkdtempSync(join(tmpdir(), 'hooklane-store-'));
    const store = await openThreadedSqliteStore({
      path: join(dir, 'hooklane.db'),
      deliveryAttempts: attempts,
    });
    return {
      store,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open(attempts = 4) {
    const database = await createTestDatabase();
    const store = new PostgresStore({
      connectionString: database.url,
      poolSize: 4,
      deliveryAttempts: attempts,
    });
    await store.migrate();
    return {
      store,
      async dispose() {
        await store.close();
        await database.drop();
      },
    };
  },
};

/** The backend of this run (`npm test` runs once per backend); both when run by hand with TEST_DATABASE_URL. */
export const BACKENDS: readonly Backend[] =
  process.env.HOOKLANE_TEST_BACKEND === 'postgres'
    ? [postgres]
    : process.env.HOOKLANE_TEST_BACKEND === 'sqlite' || testDatabaseUrl() === null
      ? [sqlite, sqliteThread]
      : [sqlite, sqliteThread, postgres];
