// The PostgreSQL claim against a real database: what it returns must come from the snapshot
// it claims with, taken after the claim lock, not from one taken before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';
import { attemptRecord, sampleWebhook } from '../helpers/store-fixtures.ts';

const CLAIM_LOCK = 7320451982;

test('a delivery committed while a claim waits for the claim lock is claimed with its event and webhook', {
  skip: testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false,
}, async (t) => {
  const database = await createTestDatabase();
  const store = new PostgresStore({ connectionString: database.url, poolSize: 4, deliveryAttempts: 4 });
  const holder = new pg.Client({ connectionString: database.url });
  // In this order: the database is dropped with force, which would cut open connections.
  t.after(async () => {
    await holder.end().catch(() => {});
    await store.close();
    await database.drop();
  });
  await store.migrate();
  await store.createAccount({ id: 'acc_1', name: 'a', createdAt: 1 });
  await store.insertWebhook(
    sampleWebhook('wh_1', { name: 'hook', headers: { 'x-extra': 'yes' }, signed: true }),
    { sealed: 'sealed-secret', createdAt: 1, expiresAt: null },
  );

  // One delivery is due (a claim finding none returns without the lock); another worker holds
  // the claim lock: this claim's statement starts, then waits for it.
  const now = Date.now();
  const event = (id: string) => ({
    id,
    name: 'custom',
    typeId: null,
    userId: 'u1',
    contentId: null,
    occurredAt: now,
    body: `{"id":"${id}","name":"custom"}`,
  });
  await store.ingest('acc_1', [event('ev_early')], now);
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
  const claiming = store.claimDue({ now: now + 1, limit: 10, leaseMs: 30_000, perWebhookCap: 32 });
  await waitForLockWaiter(holder);

  // Meanwhile an event and its delivery commit; then the lock is released.
  const body = event('ev_late').body;
  await store.ingest('acc_1', [event('ev_late')], now);
  await holder.query('COMMIT');

  const claimedAll = await claiming;
  assert.deepEqual(
    claimedAll.map((item) => item.delivery.eventId),
    ['ev_early', 'ev_late'],
    'the delivery committed during the wait is claimed too',
  );
  const claimed = claimedAll[1];
  assert.ok(claimed);
  assert.deepEqual(
    claimed.events.map((event) => event.body),
    [body],
    'with its event (read with the claim snapshot)',
  );
  assert.equal(claimed.webhook.id, 'wh_1');
  assert.deepEqual(claimed.webhook.headers, { 'x-extra': 'yes' });
  assert.deepEqual(
    claimed.secrets.map((secret) => secret.sealed),
    ['sealed-secret'],
  );
});

/** Resolves once a session waits for an advisory lock in `holder`'s database. */
async function waitForLockWaiter(holder: pg.Client): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await holder.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (
         SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no claim waited for the lock');
}

test('a claim that finds nothing due returns at once, without waiting for the claim lock', {
  skip: testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false,
}, async (t) => {
  const database = await createTestDatabase();
  const store = new PostgresStore({ connectionString: database.url, poolSize: 4, deliveryAttempts: 4 });
  const holder = new pg.Client({ connectionString: database.url });
  t.after(async () => {
    await holder.end().catch(() => {});
    await store.close();
    await database.drop();
  });
  await store.migrate();
  await store.createAccount({ id: 'acc_1', name: 'a', createdAt: 1 });
  await store.insertWebhook(sampleWebhook('wh_1'), null);
  const now = Date.now();
  await store.ingest(
    'acc_1',
    [
      {
        id: 'ev_1',
        name: 'custom',
        typeId: null,
        userId: 'u1',
        contentId: null,
        occurredAt: now,
        body: '{}',
      },
    ],
    now,
  );
  const request = { now: now + 1, limit: 10, leaseMs: 30_000, perWebhookCap: 32 };
  const [claimed] = await store.claimDue(request);
  assert.ok(claimed);

  // Another worker holds the claim lock; nothing else is due (the one delivery is leased).
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
  const within = <T>(work: Promise<T>) =>
    Promise.race([
      work,
      new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3_000).unref()),
    ]);
  assert.deepEqual(await within(store.claimDue(request)), [], 'an empty claim, not a wait for the lock');
  assert.deepEqual(
    await within(store.recordAttempts([attemptRecord(claimed, 'succeeded', now + 2)], request)),
    [],
    'the same for the claim that follows a result write',
  );
  await holder.query('COMMIT');
});
