// A webhook disabled on PostgreSQL while one of its deliveries is in flight: the disable fails
// the webhook's pending deliveries except those in flight, and the in-flight one's failed
// attempt must then see the webhook disabled and fail too, never schedule a retry. Here the
// disable's transaction is held open in a second session while the attempt's result is written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeWithSession, testDatabaseUrl } from '../helpers/postgres.ts';
import { attemptRecord, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;
const NOW = Date.now();

test('a failed attempt written while its webhook is being disabled fails the delivery, with no retry', {
  skip,
}, async (t) => {
  const { store, sql: admin } = await storeWithSession(t, sampleWebhook('wh_1'));
  await store.ingest('acc_1', [sampleEvent('ev_1')], NOW);
  const [claimed] = await store.claimDue({ now: NOW + 1, limit: 10, leaseMs: 30_000, perWebhookCap: 32 });
  assert.ok(claimed);

  // The disable, as the store writes it, left open: the webhook, then its pending deliveries
  // but the one in flight (leased).
  await admin.query('BEGIN');
  await admin.query(`UPDATE webhooks SET enabled = false WHERE id = 'wh_1'`);
  await admin.query(
    `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL
     WHERE webhook_id = 'wh_1' AND status = 'pending' AND lease_until <= $1`,
    [NOW + 2],
  );
  // The in-flight attempt fails (HTTP 500) and its result is written meanwhile.
  const writing = store.recordAttempts([attemptRecord(claimed, 'retry', NOW + 2, NOW + 5_000)]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await admin.query('COMMIT');
  await writing;

  const delivery = await store.getDelivery('acc_1', claimed.delivery.id);
  assert.equal(delivery?.status, 'failed', 'a disabled webhook owes nothing more');
  assert.equal(delivery?.nextAttemptAt, null);
});
