import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PortalSession, Webhook } from '../../src/core/model.ts';
import type { DeliveryCount, Store } from '../../src/store/store.ts';
import { attemptRecord, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';
import { BACKENDS } from './backends.ts';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
let seq = 0;

const webhook = (overrides: Partial<Webhook> = {}): Webhook => {
  seq++;
  return sampleWebhook(`wh_${String(seq).padStart(26, '0')}`, { createdAt: T0, updatedAt: T0, ...overrides });
};

const session = (id: string, accountId: string, expiresAt: number): PortalSession => ({
  id,
  accountId,
  name: null,
  capabilities: ['read', 'retry'],
  createdAt: T0,
  expiresAt,
});

const byKey = (counts: readonly DeliveryCount[]) =>
  Object.fromEntries(
    [...counts]
      .sort(
        (a, b) =>
          a.webhookId.localeCompare(b.webhookId) || a.bucket - b.bucket || a.outcome.localeCompare(b.outcome),
      )
      .map((c) => [`${c.webhookId}/${c.bucket}/${c.outcome}`, c.count]),
  );

for (const backend of BACKENDS) {
  describe(`Store contract, stats and portal sessions: ${backend.name}`, () => {
    const setup = async (t: { after(fn: () => Promise<void>): void }): Promise<Store> => {
      const { store, dispose } = await backend.open(3);
      t.after(dispose);
      await store.createAccount({ id: 'acc_1', name: 'one', createdAt: T0 });
      await store.createAccount({ id: 'acc_2', name: 'two', createdAt: T0 });
      return store;
    };

    test('account activity counts deliveries by webhook, bucket and outcome, with the oldest pending', async (t) => {
      const store = await setup(t);
      const a = webhook();
      const b = webhook();
      const other = webhook({ accountId: 'acc_2' });
      for (const w of [a, b, other]) await store.insertWebhook(w, null);
      // Hour 0: 3 events (6 deliveries); hour 1: 1 event (2 deliveries); acc_2 has its own.
      await store.ingest('acc_1', [sampleEvent('e1'), sampleEvent('e2'), sampleEvent('e3')], T0);
      await store.ingest('acc_1', [sampleEvent('e4')], T0 + HOUR + 5);
      await store.ingest('acc_2', [sampleEvent('x1')], T0);
      const claimed = await store.claimDue({
        now: T0 + HOUR + 10,
        limit: 100,
        leaseMs: 30_000,
        perWebhookCap: 100,
      });
      const of = (webhookId: string, eventId: string) => {
        const found = claimed.find((c) => c.webhook.id === webhookId && c.delivery.eventId === eventId);
        assert.ok(found, `${webhookId} ${eventId} claimed`);
        return found;
      };
      await store.recordAttempts([
        attemptRecord(of(a.id, 'e1'), 'succeeded', T0 + HOUR + 20),
        attemptRecord(of(a.id, 'e2'), 'failed', T0 + HOUR + 20),
        attemptRecord(of(a.id, 'e3'), 'retry', T0 + HOUR + 20, T0 + 2 * HOUR),
        attemptRecord(of(b.id, 'e1'), 'succeeded', T0 + HOUR + 20),
      ]);
      await store.releaseClaims(claimed.map((c) => c.delivery.id));

      const activity = await store.accountActivity('acc_1', {
        since: T0,
        until: T0 + 2 * HOUR,
        bucketMs: HOUR,
      });
      assert.deepEqual(byKey(activity.counts), {
        [`${a.id}/0/failed`]: 1,
        [`${a.id}/0/retrying`]: 1,
        [`${a.id}/0/succeeded`]: 1,
        [`${a.id}/1/pending`]: 1,
        [`${b.id}/0/pending`]: 2,
        [`${b.id}/0/succeeded`]: 1,
        [`${b.id}/1/pending`]: 1,
      });
      assert.deepEqual(
        Object.fromEntries(activity.lastDeliveryAt),
        { [a.id]: T0 + HOUR + 5, [b.id]: T0 + HOUR + 5 },
        "each webhook's latest delivery, another account's left out",
      );
      assert.equal(activity.oldestPending?.createdAt, T0);
      assert.equal(activity.oldestPending?.accountId, 'acc_1');

      // The window's edges: [since, until).
      const second = await store.accountActivity('acc_1', {
        since: T0 + HOUR,
        until: T0 + 2 * HOUR,
        bucketMs: HOUR,
      });
      assert.deepEqual(byKey(second.counts), { [`${a.id}/0/pending`]: 1, [`${b.id}/0/pending`]: 1 });
      const empty = await store.accountActivity('acc_1', { since: T0 - HOUR, until: T0, bucketMs: HOUR });
      assert.deepEqual(empty.counts, []);
    });

    test('the count of recoverable deliveries is what recover then re-queues, and counting changes nothing', async (t) => {
      const store = await setup(t);
      const a = webhook();
      await store.insertWebhook(a, null);
      await store.ingest('acc_1', [sampleEvent('e1'), sampleEvent('e2'), sampleEvent('e3')], T0);
      const claimed = await store.claimDue({ now: T0, limit: 100, leaseMs: 30_000, perWebhookCap: 100 });
      await store.recordAttempts(claimed.slice(0, 2).map((c) => attemptRecord(c, 'failed', T0 + 1)));
      await store.releaseClaims(claimed.map((c) => c.delivery.id));
      assert.equal(await store.countRecoverable('acc_1', a.id, T0, T0 + 1), 2);
      assert.equal(await store.countRecoverable('acc_1', a.id, T0 + 1, T0 + 2), 0, 'created before since');
      assert.equal(await store.countRecoverable('acc_2', a.id, T0, T0 + 1), 0, "another account's webhook");
      const failed = await store.listDeliveries('acc_1', { status: 'failed' }, { before: null, limit: 50 });
      assert.equal(failed.length, 2, 'counting changed nothing');
      assert.equal(await store.recoverDeliveries('acc_1', a.id, T0, T0 + 1, T0 + 5), 2);
    });

    test('portal sessions are found by hash, expired ones deleted on request, all revoked at once', async (t) => {
      const store = await setup(t);
      await store.insertPortalSession(session('ps_1', 'acc_1', T0 + HOUR), 'hash-1');
      await store.insertPortalSession(session('ps_2', 'acc_1', T0 + 10), 'hash-2');
      await store.insertPortalSession(session('ps_3', 'acc_2', T0 + HOUR), 'hash-3');
      assert.deepEqual(await store.findPortalSessionByHash('hash-1'), session('ps_1', 'acc_1', T0 + HOUR));
      assert.equal(await store.findPortalSessionByHash('nope'), null);
      assert.equal(await store.deletePortalSessions('acc_1', T0 + 10), 1, 'the expired one');
      assert.equal(await store.findPortalSessionByHash('hash-2'), null);
      assert.ok(await store.findPortalSessionByHash('hash-1'), 'a live one stays');
      assert.equal(await store.deletePortalSessions('acc_1'), 1);
      assert.equal(
        await store.findPortalSessionByHash('hash-1'),
        null,
        'revoked at once, though it was looked up before',
      );
      assert.ok(await store.findPortalSessionByHash('hash-3'), "another account's session stays");
    });
  });
}
