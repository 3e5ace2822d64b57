import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Webhook } from '../../src/core/model.ts';
import type { ClaimedDelivery, NewEvent, Store } from '../../src/store/store.ts';
import { attemptRecord, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';
import { BACKENDS } from './backends.ts';

const T0 = 1_800_000_000_000;
let seq = 0;

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  seq++;
  return sampleWebhook(`wh_${String(seq).padStart(26, '0')}`, {
    name: `hook ${seq}`,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  });
}

const event = (id: string, overrides: Partial<NewEvent> = {}): NewEvent =>
  sampleEvent(id, { occurredAt: T0, ...overrides });
const record = attemptRecord;

const claim = (store: Store, now: number, limit = 100, cap = 32) =>
  store.claimDue({ now, limit, leaseMs: 30_000, perWebhookCap: cap });

for (const backend of BACKENDS) {
  describe(`Store contract: ${backend.name}`, () => {
    const setup = async (t: { after(fn: () => Promise<void>): void }, attempts?: number) => {
      const { store, dispose } = await backend.open(attempts);
      t.after(dispose);
      await store.createAccount({ id: 'acc_1', name: 'one', createdAt: T0 });
      await store.createAccount({ id: 'acc_2', name: 'two', createdAt: T0 });
      return store;
    };

    test('migrations run from an empty database and again as a no-op', async (t) => {
      const store = await setup(t);
      await store.migrate();
      await store.ping();
      assert.deepEqual(await store.queueStats(), { pending: 0, oldestPendingAt: null });
    });

    test('ingest is idempotent per account and fans out to matching enabled webhooks', async (t) => {
      const store = await setup(t);
      const all = webhook();
      const typed = webhook({ events: ['flow_completed'] });
      const off = webhook({ enabled: false });
      for (const w of [all, typed, off]) await store.insertWebhook(w, null);
      const first = await store.ingest(
        'acc_1',
        [event('e1'), event('e1'), event('e2', { name: 'appcues:flow_completed', typeId: 'flow_completed' })],
        T0,
      );
      assert.deepEqual(first, { inserted: 2, duplicates: 1, deliveriesCreated: 3 });
      assert.deepEqual(await store.ingest('acc_1', [event('e1')], T0), {
        inserted: 0,
        duplicates: 1,
        deliveriesCreated: 0,
      });
      // Another account may reuse the id.
      assert.equal((await store.ingest('acc_2', [event('e1')], T0)).inserted, 1);
      const listed = await store.listDeliveries('acc_1', {}, { before: null, limit: 50 });
      assert.equal(listed.length, 3);
      assert.deepEqual(
        (await store.listDeliveries('acc_1', { webhookId: typed.id }, { before: null, limit: 50 })).map(
          (d) => d.eventId,
        ),
        ['e2'],
      );
      assert.equal(
        (await store.listDeliveries('acc_2', {}, { before: null, limit: 50 })).length,
        0,
        'no webhooks in acc_2',
      );
    });

    test('the same event sent by concurrent requests is stored and delivered once', async (t) => {
      const store = await setup(t);
      await store.insertWebhook(webhook(), null);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () => store.ingest('acc_1', [event('same'), event(`other`)], T0)),
      );
      assert.equal(
        outcomes.reduce((sum, o) => sum + o.inserted, 0),
        2,
      );
      assert.equal(
        outcomes.reduce((sum, o) => sum + o.deliveriesCreated, 0),
        2,
      );
      assert.equal(
        outcomes.reduce((sum, o) => sum + o.duplicates, 0),
        38,
      );
      assert.equal((await store.listDeliveries('acc_1', {}, { before: null, limit: 50 })).length, 2);
    });

    test('concurrent ingest calls all commit', async (t) => {
      const store = await setup(t);
      await store.insertWebhook(webhook(), null);
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.ingest('acc_1', [event(`c${i}`)], T0)),
      );
      assert.equal(
        outcomes.reduce((sum, o) => sum + o.inserted, 0),
        50,
      );
      assert.equal((await store.queueStats()).pending, 50);
    });

    test('a request the database refuses fails alone: the others of its group are stored', async (t) => {
      const store = await setup(t);
      await store.insertWebhook(webhook(), null);
      const ids = Array.from({ length: 12 }, (_, i) => `n${String(i).padStart(2, '0')}`);
      // No body: every backend refuses the row (the API never sends one).
      const refused = { ...event('refused'), body: null as unknown as string };
      const results = await Promise.allSettled([
        ...ids.slice(0, 6).map((id) => store.ingest('acc_1', [event(id)], T0)),
        store.ingest('acc_1', [refused], T0),
        ...ids.slice(6).map((id) => store.ingest('acc_1', [event(id)], T0)),
      ]);
      assert.equal(results[6]?.status, 'rejected');
      const stored = results.filter((_, i) => i !== 6);
      for (const result of stored) {
        assert.deepEqual(result.status === 'fulfilled' ? result.value : result.reason, {
          inserted: 1,
          duplicates: 0,
          deliveriesCreated: 1,
        });
      }
      assert.deepEqual(
        (await store.getEvents('acc_1', [...ids, 'refused'])).map((e) => e.id),
        ids,
      );
    });

    test("recent events are the account's last ones, newest first", async (t) => {
      const store = await setup(t);
      await store.ingest('acc_1', [event('old')], T0);
      await store.ingest('acc_1', [event('mid')], T0 + 1);
      await store.ingest('acc_2', [event('other')], T0 + 2);
      await store.ingest('acc_1', [event('new')], T0 + 3);
      assert.deepEqual(
        (await store.latestEvents('acc_1', { limit: 2 })).map((e) => e.id),
        ['new', 'mid'],
      );
      assert.deepEqual(
        (await store.latestEvents('acc_1', { limit: 20 })).map((e) => e.id),
        ['new', 'mid', 'old'],
      );
    });

    test('payload filters and templates are kept, edited, and decide fan-out', async (t) => {
      const store = await setup(t);
      const match = { 'attributes.score': { $lte: 6 } };
      const template = { body: { score: '{{attributes.score}}' } };
      const filtered = webhook({
        events: ['*'],
        filters: { contentIds: null, match },
        format: 'template',
        template,
      });
      await store.insertWebhook(filtered, null);
      const read = await store.getWebhook('acc_1', filtered.id);
      assert.deepEqual(read?.filters.match, match);
      assert.deepEqual(read?.template, template);
      const nps = (id: string, score: number) =>
        event(id, {
          name: 'appcues:nps_score',
          typeId: 'nps_score',
          body: JSON.stringify({ id, attributes: { score } }),
        });
      assert.equal((await store.ingest('acc_1', [nps('low', 3), nps('high', 9)], T0)).deliveriesCreated, 1);
      const edited = await store.updateWebhook(
        'acc_1',
        filtered.id,
        { filters: { contentIds: null, match: { 'attributes.score': { $gte: 9 } } } },
        T0 + 1,
      );
      assert.deepEqual(edited?.template, template, 'a field left out is kept');
      assert.equal(
        (await store.ingest('acc_1', [nps('low2', 3), nps('high2', 9)], T0 + 2)).deliveriesCreated,
        1,
      );
      assert.deepEqual(
        (await store.listDeliveries('acc_1', {}, { before: null, limit: 50 })).map((d) => d.eventId).sort(),
        ['high2', 'low'],
      );
    });

    test('a gone result stores hooklane.webhook.disabled for the other webhooks, in the same write', async (t) => {
      const store = await setup(t);
      const gone = webhook({ events: ['*', 'hooklane.webhook.disabled'] });
      const watcher = webhook({ events: ['hooklane.webhook.disabled'] });
      const everything = webhook({ events: ['*'] });
      for (const w of [gone, watcher, everything]) await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('e1')], T0);
      const claimed = (await claim(store, T0)).find((c) => c.webhook.id === gone.id);
      assert.ok(claimed);
      await store.recordAttempts([{ ...record(claimed, 'gone', T0 + 10), eventId: 'e1' }]);
      const toWatcher = await store.listDeliveries(
        'acc_1',
        { webhookId: watcher.id },
        { before: null, limit: 50 },
      );
      assert.equal(toWatcher.length, 1);
      const [stored] = await store.getEvents('acc_1', [toWatcher[0]!.eventId]);
      const body = JSON.parse(stored!.body);
      assert.equal(body.name, 'hooklane.webhook.disabled');
      assert.deepEqual(
        { ...body.attributes },
        {
          webhookId: gone.id,
          webhookName: gone.name,
          webhookUrl: gone.url,
          deliveryId: claimed.delivery.id,
          eventId: 'e1',
          lastStatus: 410,
          reason: 'gone',
        },
      );
      for (const other of [gone, everything]) {
        const list = await store.listDeliveries(
          'acc_1',
          { webhookId: other.id },
          { before: null, limit: 50 },
        );
        assert.deepEqual(
          list.map((d) => d.eventId),
          ['e1'],
          'nothing about itself, nothing to `*`',
        );
      }
    });

    test('claims lease due deliveries, respect the per-webhook cap, and expire', async (t) => {
      const store = await setup(t);
      const busy = webhook();
      const calm = webhook();
      await store.insertWebhook(busy, null);
      await store.insertWebhook(calm, null);
      await store.updateWebhook('acc_1', calm.id, { events: ['nothing'] }, T0);
      await store.ingest(
        'acc_1',
        Array.from({ length: 10 }, (_, i) => event(`b${i}`)),
        T0,
      );
      await store.updateWebhook('acc_1', calm.id, { events: ['*'] }, T0);
      await store.ingest(
        'acc_1',
        Array.from({ length: 10 }, (_, i) => event(`e${i}`)),
        T0 + 1,
      );
      // busy has 20 due, calm 10; a cap of 4 leases at most 4 per webhook.
      const first = await claim(store, T0 + 1, 100, 4);
      const perWebhook = (claimed: ClaimedDelivery[], id: string) =>
        claimed.filter((c) => c.webhook.id === id).length;
      assert.equal(perWebhook(first, busy.id), 4);
      assert.equal(perWebhook(first, calm.id), 4);
      assert.deepEqual(
        first.filter((c) => c.webhook.id === busy.id).map((c) => c.events[0]?.id),
        ['b0', 'b1', 'b2', 'b3'],
        'due order',
      );
      assert.equal(
        (await claim(store, T0 + 2, 100, 4)).length,
        0,
        'every slot is taken by leased deliveries',
      );
      await store.recordAttempts(first.slice(0, 1).map((c) => record(c, 'succeeded', T0 + 3)));
      assert.equal((await claim(store, T0 + 4, 100, 4)).length, 1, 'a finished attempt frees its slot');
      assert.equal((await claim(store, T0 + 5, 100, 32)).length, 21, 'the rest, never twice');
      assert.equal((await claim(store, T0 + 6)).length, 0);
      assert.equal((await claim(store, T0 + 31_000)).length, 29, 'a lease that ran out comes back');
    });

    test('recording results can claim in the same call: the slots they free, with what sending needs', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest(
        'acc_1',
        ['r0', 'r1', 'r2', 'r3', 'r4'].map((id) => event(id)),
        T0,
      );
      const next = (now: number, limit = 10) => ({ now, limit, leaseMs: 30_000, perWebhookCap: 2 });
      const first = await claim(store, T0 + 1, 10, 2);
      assert.deepEqual(
        first.map((c) => c.events[0]?.id),
        ['r0', 'r1'],
      );
      assert.deepEqual(
        first[0]!.events,
        await store.getEvents('acc_1', ['r0']),
        'the event as stored, whole',
      );
      // The webhook is at its cap: only the slots the results end can be claimed, in due order.
      const second = await store.recordAttempts(
        first.map((c) => record(c, 'succeeded', T0 + 2)),
        next(T0 + 3),
      );
      assert.deepEqual(
        second.map((c) => c.events[0]?.id),
        ['r2', 'r3'],
        'the claim sees the leases the write ended',
      );
      assert.equal(second[0]?.webhook.id, w.id);
      assert.equal((await store.getDelivery('acc_1', first[0]!.delivery.id))?.status, 'succeeded');
      // A failure goes the longer way (streaks, disabling), and claims the same.
      const third = await store.recordAttempts(
        [record(second[0]!, 'retry', T0 + 4, T0 + 10_000)],
        next(T0 + 5),
      );
      assert.deepEqual(
        third.map((c) => c.events[0]?.id),
        ['r4'],
      );
      assert.deepEqual(await store.recordAttempts([], next(T0 + 6)), [], 'nothing due in a free slot');
      assert.deepEqual(await store.recordAttempts([record(third[0]!, 'succeeded', T0 + 7)]), []);
      assert.equal((await claim(store, T0 + 8, 10, 2)).length, 0, 'r3 is still leased and r2 not due yet');
    });

    test('a delivery is read with its attempts as of one moment, while attempts are written', async (t) => {
      const store = await setup(t, 10);
      await store.insertWebhook(webhook(), null);
      await store.ingest(
        'acc_1',
        Array.from({ length: 20 }, (_, i) => event(`m${i}`)),
        T0,
      );
      let now = T0;
      for (let round = 0; round < 6; round++) {
        const claimed = await claim(store, now);
        assert.equal(claimed.length, 20);
        // Reads queued between the writes, so that writes commit while reads are under way.
        const writes: Promise<unknown>[] = [];
        const reads: ReturnType<Store['getDeliveryWithAttempts']>[] = [];
        for (const c of claimed) {
          reads.push(store.getDeliveryWithAttempts('acc_1', c.delivery.id));
          writes.push(store.recordAttempts([record(c, 'retry', now, now + 1)]));
          reads.push(store.getDeliveryWithAttempts('acc_1', c.delivery.id));
        }
        await Promise.all(writes);
        for (const read of await Promise.all(reads)) {
          assert.ok(read);
          assert.equal(read.attempts.length, read.delivery.attemptCount, 'attempts match the delivery');
        }
        now += 1;
      }
      assert.equal(await store.getDeliveryWithAttempts('acc_1', 'dlv_missing'), null);
    });

    test('attempt results: retry, success, exhaustion, 410 disables and fails pending', async (t) => {
      const store = await setup(t, 2);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('e1'), event('e2')], T0);
      const [a, b] = await claim(store, T0);
      assert.ok(a && b);
      await store.recordAttempts([record(a, 'retry', T0, T0 + 100), record(b, 'succeeded', T0)]);
      assert.equal((await store.getDelivery('acc_1', b.delivery.id))?.status, 'succeeded');
      const retried = await store.getDelivery('acc_1', a.delivery.id);
      assert.equal(retried?.status, 'pending');
      assert.equal(retried?.attemptCount, 1);
      assert.equal(retried?.attemptsLeft, 1);
      assert.equal((await claim(store, T0 + 50)).length, 0, 'not due yet');
      assert.equal(await store.nextDueAt(T0 + 50), T0 + 100);
      const [again] = await claim(store, T0 + 100);
      assert.ok(again);
      await store.recordAttempts([record(again, 'failed', T0 + 100)]);
      assert.equal((await store.getDelivery('acc_1', a.delivery.id))?.status, 'failed');
      assert.equal((await store.getDeliveryWithAttempts('acc_1', a.delivery.id))?.attempts.length, 2);
      assert.equal(
        (await store.getWebhook('acc_1', w.id))?.failingSince,
        T0 + 100,
        'the success of e2 ended the first streak',
      );

      await store.ingest('acc_1', [event('e3'), event('e4')], T0 + 200);
      const [c] = await claim(store, T0 + 200, 1);
      assert.ok(c);
      await store.recordAttempts([record(c, 'gone', T0 + 200)]);
      const disabled = await store.getWebhook('acc_1', w.id);
      assert.equal(disabled?.enabled, false);
      assert.match(disabled?.disabledReason ?? '', /410/);
      const statuses = (await store.listDeliveries('acc_1', {}, { before: null, limit: 50 }))
        .map((d) => d.status)
        .sort();
      assert.deepEqual(statuses, ['failed', 'failed', 'failed', 'succeeded']);
    });

    test('a webhook edit writes only what it names: a streak or a disable written since survives', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('s1'), event('s2'), event('s3')], T0);
      const [a, b, c] = await claim(store, T0);
      assert.ok(a && b && c);
      // The edits below were read before these results: none may write back what it read.
      await store.recordAttempts([record(a, 'retry', T0 + 10, T0 + 1000)]);
      const renamed = await store.updateWebhook('acc_1', w.id, { name: 'renamed' }, T0 + 11);
      assert.equal(renamed?.name, 'renamed');
      assert.equal(renamed?.failingSince, T0 + 10, 'the streak started meanwhile is kept');
      assert.equal(renamed?.updatedAt, T0 + 11);

      await store.recordAttempts([record(b, 'gone', T0 + 20)]);
      const moved = await store.updateWebhook('acc_1', w.id, { url: 'http://127.0.0.1:9/moved' }, T0 + 21);
      assert.equal(moved?.enabled, false, 'the automatic disable is kept');
      assert.match(moved?.disabledReason ?? '', /410/);
      assert.equal(moved?.url, 'http://127.0.0.1:9/moved');
      assert.equal(moved?.name, 'renamed');
      const again = await store.updateWebhook('acc_1', w.id, { enabled: false }, T0 + 22);
      assert.match(again?.disabledReason ?? '', /410/, 'disabling again keeps the first reason');

      const enabled = await store.updateWebhook('acc_1', w.id, { enabled: true }, T0 + 30);
      assert.equal(enabled?.enabled, true);
      assert.equal(enabled?.disabledReason, null);
      assert.equal(enabled?.failingSince, null, 're-enabling clears the streak');
      await store.recordAttempts([record(c, 'retry', T0 + 40, T0 + 1000)]);
      const stillEnabled = await store.updateWebhook('acc_1', w.id, { enabled: true }, T0 + 41);
      assert.equal(stillEnabled?.failingSince, T0 + 40, 'enabling an enabled webhook keeps its streak');
      const paused = await store.updateWebhook('acc_1', w.id, { enabled: false }, T0 + 42);
      assert.equal(paused?.disabledReason, 'disabled by an admin');

      assert.equal(await store.updateWebhook('acc_2', w.id, { name: 'stolen' }, T0 + 50), null);
      assert.equal(await store.updateWebhook('acc_1', 'wh_missing', { name: 'x' }, T0 + 50), null);
      assert.equal((await store.getWebhook('acc_1', w.id))?.name, 'renamed', 'another account edits nothing');
    });

    test('the failure that disables a webhook fails its own delivery too: no attempt after', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('d1'), event('d2')], T0);
      const [first, second] = await claim(store, T0);
      assert.ok(first && second);
      // Both fail and would retry, but the webhook has been failing long enough to be disabled.
      await store.recordAttempts([
        { ...record(first, 'retry', T0 + 10, T0 + 20), disableIfFailingSince: T0 + 10 },
        { ...record(second, 'retry', T0 + 11, T0 + 20), disableIfFailingSince: T0 + 11 },
      ]);
      assert.equal((await store.getWebhook('acc_1', w.id))?.enabled, false);
      for (const claimed of [first, second]) {
        const delivery = await store.getDelivery('acc_1', claimed.delivery.id);
        assert.equal(delivery?.status, 'failed', `${claimed.delivery.id} is failed, not retried`);
        assert.equal(delivery?.nextAttemptAt, null);
      }
      assert.deepEqual(await claim(store, T0 + 30), [], 'nothing is sent to the disabled webhook');
    });

    test("a batch's last outcome decides the streak: a success ends it, a failure after it starts anew", async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('r1'), event('r2'), event('r3'), event('r4')], T0);
      const [a, b, c, d] = await claim(store, T0);
      assert.ok(a && b && c && d);
      await store.recordAttempts([
        record(a, 'retry', T0 + 10, T0 + 1000),
        record(b, 'succeeded', T0 + 11),
        record(c, 'retry', T0 + 12, T0 + 1000),
      ]);
      const relapsed = await store.getWebhook('acc_1', w.id);
      assert.equal(relapsed?.failingSince, T0 + 12, 'the streak starts after the success');
      assert.equal(relapsed?.enabled, true);
      await store.recordAttempts([record(d, 'succeeded', T0 + 20)]);
      assert.equal((await store.getWebhook('acc_1', w.id))?.failingSince, null, 'a success ends the streak');
    });

    test('a streak disables only once it is old enough, across batches', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('s1'), event('s2')], T0);
      const [a, b] = await claim(store, T0);
      assert.ok(a && b);
      await store.recordAttempts([{ ...record(a, 'retry', T0 + 10, T0 + 1000), disableIfFailingSince: T0 }]);
      const young = await store.getWebhook('acc_1', w.id);
      assert.equal(young?.enabled, true, 'failing since after the threshold: still enabled');
      assert.equal(young?.failingSince, T0 + 10);
      assert.equal((await store.getDelivery('acc_1', a.delivery.id))?.status, 'pending');
      await store.recordAttempts([
        { ...record(b, 'retry', T0 + 20, T0 + 1000), disableIfFailingSince: T0 + 15 },
      ]);
      const old = await store.getWebhook('acc_1', w.id);
      assert.equal(old?.enabled, false);
      assert.equal(old?.disabledReason, 'the endpoint kept failing');
      assert.equal(old?.failingSince, T0 + 10, 'the streak keeps its start');
      for (const id of [a.delivery.id, b.delivery.id]) {
        assert.equal(
          (await store.getDelivery('acc_1', id))?.status,
          'failed',
          `${id} fails with its webhook`,
        );
      }
    });

    test('a 410 disables its webhook even when a later attempt of the batch succeeded', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('g1'), event('g2'), event('g3')], T0);
      const [a, b] = await claim(store, T0, 2);
      assert.ok(a && b);
      await store.recordAttempts([record(a, 'gone', T0 + 10), record(b, 'succeeded', T0 + 11)]);
      const gone = await store.getWebhook('acc_1', w.id);
      assert.equal(gone?.enabled, false);
      assert.match(gone?.disabledReason ?? '', /410/);
      assert.equal(gone?.failingSince, null);
      const statuses = (await store.listDeliveries('acc_1', {}, { before: null, limit: 5 }))
        .map((d) => d.status)
        .sort();
      assert.deepEqual(
        statuses,
        ['failed', 'failed', 'succeeded'],
        'the pending delivery fails with its webhook',
      );
    });

    test('a webhook deleted or disabled during an attempt gets no retry', async (t) => {
      const store = await setup(t);
      const deleted = webhook();
      const disabled = webhook();
      await store.insertWebhook(deleted, null);
      await store.insertWebhook(disabled, null);
      await store.ingest('acc_1', [event('e1')], T0);
      const claimed = await claim(store, T0);
      assert.equal(claimed.length, 2);
      await store.deleteWebhook('acc_1', deleted.id, T0 + 1);
      await store.updateWebhook('acc_1', disabled.id, { enabled: false }, T0 + 1);
      await store.recordAttempts(claimed.map((c) => record(c, 'retry', T0 + 2, T0 + 100)));
      const byWebhook = async (id: string) =>
        (await store.listDeliveries('acc_1', { webhookId: id }, { before: null, limit: 5 }))[0];
      assert.equal((await byWebhook(deleted.id))?.status, 'cancelled');
      assert.equal((await byWebhook(disabled.id))?.status, 'failed');
      assert.equal((await byWebhook(disabled.id))?.nextAttemptAt, null);
      assert.equal((await claim(store, T0 + 200)).length, 0);
    });

    test('retention prunes old finished deliveries, their attempts and unreferenced events; never pending ones', async (t) => {
      const store = await setup(t);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('old-done'), event('old-pending')], T0);
      await store.ingest('acc_1', [event('new-done')], T0 + 10_000);
      const claimed = await claim(store, T0 + 10_000);
      const done = claimed.filter((c) => c.delivery.eventId !== 'old-pending');
      await store.recordAttempts(done.map((c) => record(c, 'succeeded', T0 + 10_000)));
      // acc_2 has no webhooks: its event has no delivery at all.
      await store.ingest('acc_2', [event('old-unreferenced')], T0);

      let removed = 0;
      for (;;) {
        const batch = await store.pruneBefore(T0 + 5_000, 1);
        removed += batch;
        if (batch < 1) break;
      }
      assert.equal(removed, 3, 'one delivery and two events, a row per batch');
      const left = await store.listDeliveries('acc_1', {}, { before: null, limit: 10 });
      assert.deepEqual(left.map((d) => d.eventId).sort(), ['new-done', 'old-pending']);
      const oldDone = done.find((c) => c.delivery.eventId === 'old-done');
      assert.ok(oldDone);
      assert.deepEqual(await store.listAttempts(oldDone.delivery.id), [], 'its attempts went with it');
      assert.deepEqual(
        (await store.getEvents('acc_1', ['old-done', 'old-pending', 'new-done', 'old-unreferenced'])).map(
          (e) => e.id,
        ),
        ['old-pending', 'new-done'],
        'events a pending delivery needs stay',
      );
    });

    test('retry and recover re-queue with one more attempt', async (t) => {
      const store = await setup(t, 1);
      const w = webhook();
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('e1'), event('e2')], T0);
      const claimed = await claim(store, T0);
      await store.recordAttempts(claimed.map((c) => record(c, 'failed', T0)));
      const [one] = claimed;
      assert.ok(one);
      assert.equal(
        await store.retryDelivery('acc_2', one.delivery.id, T0 + 1),
        null,
        'another account cannot',
      );
      const retried = await store.retryDelivery('acc_1', one.delivery.id, T0 + 1);
      assert.equal(retried?.status, 'pending');
      assert.equal(retried?.attemptsLeft, 1);
      assert.equal(
        await store.recoverDeliveries('acc_1', w.id, T0, T0 + 10, T0 + 2),
        1,
        'the other failed one',
      );
      assert.equal((await claim(store, T0 + 2)).length, 2);
    });

    test('deleting a webhook cancels its pending deliveries; disabling fails them', async (t) => {
      const store = await setup(t);
      const doomed = webhook();
      const paused = webhook();
      await store.insertWebhook(doomed, null);
      await store.insertWebhook(paused, null);
      await store.ingest('acc_1', [event('e1')], T0);
      assert.equal(await store.deleteWebhook('acc_2', doomed.id, T0), false);
      assert.equal(await store.deleteWebhook('acc_1', doomed.id, T0), true);
      await store.updateWebhook('acc_1', paused.id, { enabled: false }, T0);
      const byWebhook = async (id: string) =>
        (await store.listDeliveries('acc_1', { webhookId: id }, { before: null, limit: 5 }))[0]?.status;
      assert.equal(await byWebhook(doomed.id), 'cancelled');
      assert.equal(await byWebhook(paused.id), 'failed');
      assert.equal(await store.getWebhook('acc_1', doomed.id), null);
    });

    test("usetiful batches collect a user's events within the window", async (t) => {
      const store = await setup(t);
      const w = webhook({ format: 'usetiful', batchWindowMs: 1000 });
      await store.insertWebhook(w, null);
      await store.ingest('acc_1', [event('a1'), event('b1', { userId: 'u2' })], T0);
      await store.ingest('acc_1', [event('a2')], T0 + 500);
      await store.ingest('acc_1', [event('a3')], T0 + 1500);
      assert.equal((await claim(store, T0 + 999)).length, 0, 'the window is still open');
      const claimed = await claim(store, T0 + 1000);
      const ids = claimed.map((c) => c.events.map((e) => e.id).join(',')).sort();
      assert.deepEqual(ids, ['a1,a2', 'b1']);
      const found = await store.listDeliveries('acc_1', { eventId: 'a2' }, { before: null, limit: 5 });
      assert.equal(found.length, 1, 'a batched event is found by its id');
    });

    test('secrets rotate with a grace period; null stops signing', async (t) => {
      const store = await setup(t);
      const w = webhook({ signed: true });
      await store.insertWebhook(w, { sealed: 'old', createdAt: T0, expiresAt: null });
      await store.replaceSecret(
        w.id,
        { sealed: 'new', createdAt: T0 + 1, expiresAt: null },
        T0 + 100,
        T0 + 1,
      );
      assert.deepEqual(
        (await store.listSecrets(w.id, T0 + 50)).map((s) => s.sealed),
        ['new', 'old'],
      );
      assert.deepEqual(
        (await store.listSecrets(w.id, T0 + 100)).map((s) => s.sealed),
        ['new'],
      );
      await store.replaceSecret(w.id, null, T0 + 200, T0 + 200);
      assert.deepEqual(await store.listSecrets(w.id, T0 + 200), []);
      assert.equal((await store.getWebhook('acc_1', w.id))?.signed, false);
    });

    test('claims carry the webhook and its secrets as they are now: after an edit, a rotation, a grace period', async (t) => {
      const store = await setup(t);
      const w = webhook({ signed: true });
      await store.insertWebhook(w, { sealed: 'old', createdAt: T0, expiresAt: null });
      const sendOne = async (id: string, at: number) => {
        await store.ingest('acc_1', [event(id)], at);
        const [claimed] = await claim(store, at);
        assert.ok(claimed, `${id} is claimed`);
        await store.recordAttempts([record(claimed, 'succeeded', at)]);
        return { url: claimed.webhook.url, secrets: claimed.secrets.map((s) => s.sealed) };
      };
      assert.deepEqual(await sendOne('e1', T0), { url: w.url, secrets: ['old'] });
      await store.updateWebhook('acc_1', w.id, { url: 'http://127.0.0.1:9/moved' }, T0 + 1);
      assert.deepEqual(await sendOne('e2', T0 + 2), { url: 'http://127.0.0.1:9/moved', secrets: ['old'] });
      await store.replaceSecret(
        w.id,
        { sealed: 'new', createdAt: T0 + 3, expiresAt: null },
        T0 + 100,
        T0 + 3,
      );
      assert.deepEqual((await sendOne('e3', T0 + 4)).secrets, ['new', 'old'], 'both during the grace period');
      assert.deepEqual(
        (await sendOne('e4', T0 + 100)).secrets,
        ['new'],
        'the old one no more once it expired',
      );
      await store.resealSecrets((sealed) => `k2:${sealed}`);
      assert.deepEqual((await sendOne('e5', T0 + 101)).secrets, ['k2:new'], 'resealed');
    });

    test('resealing rewrites only the secrets the function reseals', async (t) => {
      const store = await setup(t);
      const a = webhook({ signed: true });
      const b = webhook({ signed: true });
      await store.insertWebhook(a, { sealed: 'k1:a', createdAt: T0, expiresAt: null });
      await store.insertWebhook(b, { sealed: 'k2:b', createdAt: T0, expiresAt: null });
      const count = await store.resealSecrets((sealed) =>
        sealed.startsWith('k1:') ? `k2:${sealed.slice(3)}` : null,
      );
      assert.equal(count, 1);
      assert.deepEqual(
        (await store.listSecrets(a.id, T0)).map((s) => s.sealed),
        ['k2:a'],
      );
      assert.deepEqual(
        (await store.listSecrets(b.id, T0)).map((s) => s.sealed),
        ['k2:b'],
      );
      assert.equal(await store.resealSecrets(() => null), 0);
    });

    test('resealing static headers rewrites only the webhooks the function reseals, and what claims send', async (t) => {
      const store = await setup(t);
      const a = webhook({ headers: { authorization: 'k1:a', 'x-b': 'k2:b' } });
      const b = webhook({ headers: { authorization: 'k2:c' } });
      await store.insertWebhook(a, null);
      await store.insertWebhook(b, null);
      await store.insertWebhook(webhook(), null);
      const sendOne = async (id: string, at: number) => {
        await store.ingest('acc_1', [event(id)], at);
        const claimed = await claim(store, at);
        await store.recordAttempts(claimed.map((c) => record(c, 'succeeded', at)));
        return claimed.find((c) => c.webhook.id === a.id)?.webhook.headers;
      };
      assert.deepEqual(await sendOne('e1', T0), a.headers);
      const seen: Record<string, string>[] = [];
      const count = await store.resealWebhookHeaders((headers) => {
        seen.push({ ...headers });
        const stale = Object.values(headers).some((value) => value.startsWith('k1:'));
        return stale
          ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/^k1:/, 'k2:')]))
          : null;
      });
      assert.equal(count, 1);
      assert.equal(seen.length, 2, 'webhooks without headers are not offered');
      const resealed = { authorization: 'k2:a', 'x-b': 'k2:b' };
      assert.deepEqual((await store.getWebhook('acc_1', a.id))?.headers, resealed);
      assert.deepEqual((await store.getWebhook('acc_1', b.id))?.headers, b.headers);
      assert.deepEqual(await sendOne('e2', T0 + 1), resealed, 'claims send the resealed headers');
      assert.equal(await store.resealWebhookHeaders(() => null), 0);
    });

    test('pages walk deliveries newest first without gaps', async (t) => {
      const store = await setup(t);
      await store.insertWebhook(webhook(), null);
      for (let i = 0; i < 7; i++) await store.ingest('acc_1', [event(`p${i}`)], T0 + i);
      const seen: string[] = [];
      let before: string | null = null;
      for (;;) {
        const page = await store.listDeliveries('acc_1', {}, { before, limit: 3 });
        seen.push(...page.map((d) => d.eventId));
        if (page.length < 3) break;
        before = page[page.length - 1]?.id ?? null;
      }
      assert.deepEqual(seen, ['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0']);
    });

    test('a generated root key is stored once: the first process wins', async (t) => {
      const store = await setup(t);
      const key = (id: string) => ({
        id,
        accountId: null,
        role: 'root' as const,
        name: 'root',
        prefix: 'hlr_',
        createdAt: T0,
        revokedAt: null,
      });
      assert.equal(await store.insertRootKeyIfNone(key('key_1'), 'h1'), true);
      assert.equal(await store.insertRootKeyIfNone(key('key_2'), 'h2'), false);
      assert.equal((await store.findApiKeyByHash('h1'))?.role, 'root');
      assert.equal(await store.findApiKeyByHash('h2'), null);
    });
  });
}
