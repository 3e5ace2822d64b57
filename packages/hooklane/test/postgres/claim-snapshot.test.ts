// The PostgreSQL claim against a real database and its claim lock: what a claim returns must
// come from the snapshot it claims with, taken after the lock, not from one taken before it;
// and a claim that finds nothing due does not wait for the lock at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredSecret, Webhook } from '../../src/core/model.ts';
import type { NewEvent } from '../../src/store/store.ts';
import { storeWithSession, testDatabaseUrl } from '../helpers/postgres.ts';
import { attemptRecord, sampleWebhook } from '../helpers/store-fixtures.ts';

const CLAIM_LOCK = 7320451982;
const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;
const NOW = Date.now();
const CLAIM = { now: NOW + 1, limit: 10, leaseMs: 30_000, perWebhookCap: 32 };

/**
 * A migrated store on a fresh database with one account and `webhook`, and `holder`: a second
 * session that takes the claim lock as another worker's claim would.
 */
async function setup(t: test.TestContext, webhook: Webhook, secret: StoredSecret | null) {
  const { store, sql: holder } = await storeWithSession(t, webhook, { secret });
  return {
    store,
    async holdClaimLock(): Promise<void> {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
    },
    releaseClaimLock: () => holder.query('COMMIT'),
    /** Resolves once a session waits for an advisory lock in this database. */
    async claimWaiting(): Promise<void> {
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
    },
  };
}

function event(id: string): NewEvent {
  return {
    id,
    name: 'custom',
    typeId: null,
    userId: 'u1',
    contentId: null,
    occurredAt: NOW,
    body: `{"id":"${id}","name":"custom"}`,
  };
}

test('a delivery committed while a claim waits for the claim lock is claimed with its event and webhook', {
  skip,
}, async (t) => {
  const h = await setup(
    t,
    sampleWebhook('wh_1', { name: 'hook', headers: { 'x-extra': 'yes' }, signed: true }),
    {
      sealed: 'sealed-secret',
      createdAt: 1,
      expiresAt: null,
    },
  );
  // One delivery is due (a claim finding none returns without the lock); another worker holds
  // the claim lock: this claim's statement starts, then waits for it.
  await h.store.ingest('acc_1', [event('ev_early')], NOW);
  await h.holdClaimLock();
  const claiming = h.store.claimDue(CLAIM);
  await h.claimWaiting();

  // Meanwhile an event and its delivery commit; then the lock is released.
  await h.store.ingest('acc_1', [event('ev_late')], NOW);
  await h.releaseClaimLock();

  const claimedAll = await claiming;
  assert.deepEqual(
    claimedAll.map((item) => item.delivery.eventId),
    ['ev_early', 'ev_late'],
    'the delivery committed during the wait is claimed too',
  );
  const claimed = claimedAll[1];
  assert.ok(claimed);
  assert.deepEqual(
    claimed.events.map((stored) => stored.body),
    [event('ev_late').body],
    'with its event (read with the claim snapshot)',
  );
  assert.equal(claimed.webhook.id, 'wh_1');
  assert.deepEqual(claimed.webhook.headers, { 'x-extra': 'yes' });
  assert.deepEqual(
    claimed.secrets.map((secret) => secret.sealed),
    ['sealed-secret'],
  );
});

test('a claim that finds nothing due returns at once, without waiting for the claim lock', {
  skip,
}, async (t) => {
  const h = await setup(t, sampleWebhook('wh_1'), null);
  await h.store.ingest('acc_1', [event('ev_1')], NOW);
  const [claimed] = await h.store.claimDue(CLAIM);
  assert.ok(claimed);

  // Another worker holds the claim lock; nothing else is due (the one delivery is leased).
  await h.holdClaimLock();
  const within = <T>(work: Promise<T>) =>
    Promise.race([
      work,
      new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3_000).unref()),
    ]);
  assert.deepEqual(await within(h.store.claimDue(CLAIM)), [], 'an empty claim, not a wait for the lock');
  assert.deepEqual(
    await within(h.store.recordAttempts([attemptRecord(claimed, 'succeeded', NOW + 2)], CLAIM)),
    [],
    'the same for the claim that follows a result write',
  );
  await h.releaseClaimLock();
});
