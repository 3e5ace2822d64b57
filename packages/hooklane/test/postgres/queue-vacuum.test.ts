// A PostgreSQL process vacuums the queue itself after writing enough results, whether or not
// autovacuum runs: claims read past dead row versions until a vacuum removes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { storeWithSession, testDatabaseUrl } from '../helpers/postgres.ts';
import { attemptRecord, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;

test('after every vacuumEvery results it writes, a process vacuums the deliveries table', {
  skip,
}, async (t) => {
  const { store, sql } = await storeWithSession(t, sampleWebhook('wh_1'), {
    store: { poolSize: 2, vacuumEvery: 4 },
  });
  const vacuums = async () =>
    Number(
      (await sql.query(`SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'deliveries'`)).rows[0]
        ?.vacuum_count ?? 0,
    );
  const ids = ['e1', 'e2', 'e3', 'e4', 'e5'];
  await store.ingest(
    'acc_1',
    ids.map((id) => sampleEvent(id)),
    10,
  );
  const claimed = await store.claimDue({ now: 11, limit: 10, leaseMs: 30_000, perWebhookCap: 32 });
  assert.equal(claimed.length, 5);
  await store.recordAttempts(claimed.slice(0, 3).map((c) => attemptRecord(c, 'succeeded', 12)));
  await sleep(1_500);
  assert.equal(await vacuums(), 0, 'three results: not yet');
  await store.recordAttempts(claimed.slice(3).map((c) => attemptRecord(c, 'succeeded', 13)));
  const until = Date.now() + 10_000;
  while ((await vacuums()) === 0) {
    if (Date.now() > until) assert.fail('no vacuum of deliveries within 10 s of the fourth result');
    await sleep(100);
  }
});
