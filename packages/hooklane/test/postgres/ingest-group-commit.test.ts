// Group commit of ingests on PostgreSQL: a lone request commits at once; small requests that
// come while a commit is in flight wait for it and share the next; a batch of 50 or more
// events starts its own at once. Events inserted by one transaction share its xmin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PostgresStore } from '../../src/store/postgres/index.ts';
import { storeWithSession, testDatabaseUrl } from '../helpers/postgres.ts';
import { sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;

const single = (store: PostgresStore, id: string) => store.ingest('acc_1', [sampleEvent(id)], 10);

/** Event ids grouped by the transaction that inserted them, in insertion order. */
async function commits(sql: { query: (text: string) => Promise<{ rows: { ids: string[] }[] }> }) {
  const { rows } = await sql.query(
    'SELECT array_agg(id ORDER BY id) AS ids FROM events GROUP BY xmin::text::bigint ORDER BY xmin::text::bigint',
  );
  return rows.map((row) => row.ids);
}

test('single events that come while a commit is in flight share the next commit', { skip }, async (t) => {
  const { store, sql } = await storeWithSession(t, sampleWebhook('wh_1'));
  const ids = Array.from({ length: 11 }, (_, i) => `e${String(i).padStart(2, '0')}`);
  const outcomes = await Promise.all(ids.map((id) => single(store, id)));
  assert.ok(outcomes.every((outcome) => outcome.inserted === 1 && outcome.deliveriesCreated === 1));
  assert.deepEqual(await commits(sql), [['e00'], ids.slice(1)]);
});

test('a batch of 50 events does not wait for the commit in flight', { skip }, async (t) => {
  const { store, sql } = await storeWithSession(t, sampleWebhook('wh_1'));
  const batch = Array.from({ length: 50 }, (_, i) => sampleEvent(`b${String(i).padStart(2, '0')}`));
  await Promise.all([
    single(store, 'e1'),
    store.ingest('acc_1', batch, 10),
    single(store, 'e2'),
    single(store, 'e3'),
  ]);
  const groups = await commits(sql);
  assert.equal(groups.length, 3);
  assert.deepEqual(
    groups.find((ids) => ids.includes('e1')),
    ['e1'],
  );
  assert.deepEqual(groups.find((ids) => ids.includes('b00'))?.length, 50);
  assert.deepEqual(
    groups.find((ids) => ids.includes('e2')),
    ['e2', 'e3'],
  );
});
