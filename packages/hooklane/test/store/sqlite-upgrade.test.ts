import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { pendingMigrations } from '../../src/store/migration-files.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import type { DeliveryFilter } from '../../src/store/store.ts';
import { sampleWebhook } from '../helpers/store-fixtures.ts';

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

test('upgrading to deliveries keyed by event seq keeps each delivery with its event and attempts, for queries, claims and retention', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-upgrade-'));
  try {
    const path = join(dir, 'hooklane.db');
    const old = fileAtVersion(path, 7);
    const event = old.prepare(
      `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
       VALUES ('acc_1', ?, ?, NULL, 'u1', NULL, 1, 1, ?)`,
    );
    event.run('ev_old', 'custom.old', '{"id":"ev_old"}');
    event.run('ev_due', 'custom.due', '{"id":"ev_due"}');
    const delivery = old.prepare(
      `INSERT INTO deliveries (id, account_id, webhook_id, event_id, status, format, webhook_name, attempts_left,
         next_attempt_at, created_at, updated_at)
       VALUES (?, 'acc_1', 'wh_1', ?, ?, 'appcues', 'wh_1', 1, ?, 1, 1)`,
    );
    delivery.run('dlv_1', 'ev_old', 'succeeded', null);
    delivery.run('dlv_2', 'ev_due', 'pending', 1);
    old
      .prepare(
        `INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
           request_headers, response_status, response_headers, response_body)
         VALUES ('att_1', 'dlv_1', 'acc_1', 'wh_1', 1, 1, 5, 'http://127.0.0.1:9/hook', '{}', 204, '{}', '')`,
      )
      .run();
    old.close();

    const store = SqliteStore.open({ path, deliveryAttempts: 4 });
    try {
      await store.createAccount({ id: 'acc_1', name: 'Upgraded', createdAt: 1 });
      await store.insertWebhook(sampleWebhook('wh_1'), null);
      const page = { before: null, limit: 10 };
      const ids = async (filter: DeliveryFilter) =>
        (await store.listDeliveries('acc_1', filter, page)).map((d) => d.id);
      assert.deepEqual(await ids({ eventId: 'ev_old' }), ['dlv_1']);
      assert.deepEqual(await ids({ eventType: 'custom.due' }), ['dlv_2']);
      assert.deepEqual(
        (await store.listAttempts('dlv_1')).map((a) => [a.id, a.responseStatus]),
        [['att_1', 204]],
      );

      const [claimed] = await store.claimDue({ now: 10, limit: 10, leaseMs: 1_000, perWebhookCap: 10 });
      assert.equal(claimed?.delivery.eventId, 'ev_due');
      assert.deepEqual(
        claimed?.events.map((e) => e.body),
        ['{"id":"ev_due"}'],
      );

      // The finished delivery goes, and then its event; the pending one's event stays.
      assert.equal(await store.pruneBefore(100, 100), 2);
      assert.deepEqual(
        (await store.getEvents('acc_1', ['ev_old', 'ev_due'])).map((e) => e.id),
        ['ev_due'],
      );
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
