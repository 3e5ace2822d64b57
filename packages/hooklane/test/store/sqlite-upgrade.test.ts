import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { pendingMigrations } from '../../src/store/migration-files.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';

const MIGRATIONS = new URL('../../src/store/sqlite/migrations/', import.meta.url);

/** A store file as an older release left it: the migrations up to `version`, applied by hand. */
function fileAtVersion(path: string, version: number): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const migration of pendingMigrations(MIGRATIONS, new Set())) {
    if (migration.version > version) break;
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(migration.version, migration.name);
  }
  return db;
}

test('upgrading a store keeps its events, and their ids stay unique per account', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-upgrade-'));
  try {
    const path = join(dir, 'hooklane.db');
    const old = fileAtVersion(path, 2);
    const insert = old.prepare(
      `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
       VALUES (?, ?, 'custom', NULL, 'u1', NULL, 1, ?, ?)`,
    );
    insert.run('acc_a', 'ev_1', 1, '{"id":"ev_1"}');
    insert.run('acc_a', 'ev_2', 2, '{"id":"ev_2"}');
    insert.run('acc_b', 'ev_1', 3, '{"id":"ev_1","account":"b"}');
    old.close();

    const store = SqliteStore.open({ path, deliveryAttempts: 4 });
    try {
      assert.deepEqual(
        (await store.getEvents('acc_a', ['ev_2', 'ev_1'])).map((event) => event.body),
        ['{"id":"ev_2"}', '{"id":"ev_1"}'],
      );
      assert.deepEqual(
        (await store.getEvents('acc_b', ['ev_1'])).map((event) => event.body),
        ['{"id":"ev_1","account":"b"}'],
      );
      const again = await store.ingest(
        'acc_a',
        [
          {
            id: 'ev_1',
            name: 'custom',
            typeId: null,
            userId: 'u1',
            contentId: null,
            occurredAt: 1,
            body: '{}',
          },
        ],
        10,
      );
      assert.deepEqual(again, { inserted: 0, duplicates: 1, deliveriesCreated: 0 });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
