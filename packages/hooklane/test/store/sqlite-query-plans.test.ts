// The embedded store's queries that find deliveries by their event go through an index: since
// deliveries name their event by its integer key (migrations/0008-deliveries-by-event-seq.sql),
// a plan that fell back to scanning would only show as a slow console or a slow prune.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { deliveriesPage, retentionSql } from '../../src/store/shared-sql.ts';
import { SQLITE_DIALECT } from '../../src/store/sqlite/connection.ts';
import { migrateSqlite } from '../../src/store/sqlite/migrate.ts';

function planOf(sql: string): string[] {
  const db = new DatabaseSync(':memory:');
  try {
    migrateSqlite(db);
    return db
      .prepare(`EXPLAIN QUERY PLAN ${sql.replace(/\$(\d+)/g, '?$1')}`)
      .all()
      .map((row) => String(row.detail));
  } finally {
    db.close();
  }
}

const noScans = (plan: string[]) =>
  assert.deepEqual(
    plan.filter((step) => step.startsWith('SCAN')),
    [],
    plan.join('\n'),
  );

test('retention finds the deliveries of an old event by the index on event_seq', () => {
  const plan = planOf(retentionSql(SQLITE_DIALECT).deleteEvents);
  noScans(plan);
  assert.ok(
    plan.some((step) => step.includes('deliveries_event_seq')),
    plan.join('\n'),
  );
});

test("the delivery list by event id or event type reads the account's deliveries and events by index", () => {
  const page = { before: null, limit: 20 };
  for (const filter of [{ eventId: 'ev_1' }, { eventType: 'custom' }]) {
    const plan = planOf(deliveriesPage(SQLITE_DIALECT, 'acc_1', filter, page).sql);
    noScans(plan);
    assert.ok(
      plan.some((step) => step.startsWith('SEARCH events USING')),
      plan.join('\n'),
    );
  }
});
