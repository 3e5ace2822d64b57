// Ingest commits on SQLite: one starts at least the gap after the previous one started, and
// the requests that come meanwhile share it; a request after a quiet spell commits at once.
// Requests that share a commit resolve in the same turn of the event loop, before any
// setImmediate queued by the first of them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.ts';
import { openStore as openConfiguredStore } from '../../src/main.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import { sampleEvent, sampleWebhook, tempSqliteStore } from '../helpers/store-fixtures.ts';

const GAP_MS = 1000;

/** A store on a fresh file with the test's gap, an account and a webhook; removed after the test. */
async function openStore(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<{ store: SqliteStore; path: string }> {
  const opened = await tempSqliteStore(t, { ingestCommitGapMs: GAP_MS });
  await opened.store.insertWebhook(sampleWebhook('wh_1'), null);
  return opened;
}

const single = (store: SqliteStore, id: string) => store.ingest('acc_1', [sampleEvent(id)], 10);

test('requests within the gap after a commit wait for the next one and share it', async (t) => {
  const { store } = await openStore(t);
  const firstAt = performance.now();
  assert.equal((await single(store, 'a')).inserted, 1);

  const order: string[] = [];
  let secondAt = 0;
  const second = single(store, 'b').then((outcome) => {
    secondAt = performance.now();
    order.push('b');
    setImmediate(() => order.push('after b'));
    return outcome;
  });
  await sleep(20);
  assert.equal(order.length, 0, 'the second request waits for the gap');
  const third = single(store, 'c').then((outcome) => {
    order.push('c');
    return outcome;
  });
  const outcomes = await Promise.all([second, third]);
  await new Promise((resolve) => setImmediate(resolve));

  assert.ok(outcomes.every((outcome) => outcome.inserted === 1 && outcome.deliveriesCreated === 1));
  assert.deepEqual(order, ['b', 'c', 'after b'], 'both committed in one flush');
  // Timers may fire up to a millisecond early (they count whole milliseconds): 20 ms of room,
  // still far less than the gap this checks.
  assert.ok(secondAt - firstAt >= GAP_MS - 20, `committed ${secondAt - firstAt} ms after the first commit`);
});

test('a request after a quiet spell commits at once', async (t) => {
  const { store } = await openStore(t);
  await single(store, 'a');
  await sleep(GAP_MS + 50);
  const startedAt = performance.now();
  assert.equal((await single(store, 'b')).inserted, 1);
  const took = performance.now() - startedAt;
  assert.ok(took < GAP_MS / 2, `took ${took} ms`);
});

test('closing the store commits the requests waiting for the gap', async (t) => {
  const { store, path } = await openStore(t);
  await single(store, 'a');
  const waiting = single(store, 'b');
  await store.close();
  assert.equal((await waiting).inserted, 1);

  const reopened = SqliteStore.open({ path, deliveryAttempts: 3 });
  t.after(() => reopened.close());
  assert.deepEqual((await reopened.getEvents('acc_1', ['a', 'b'])).map((event) => event.id).sort(), [
    'a',
    'b',
  ]);
});

test('the server opens its embedded store with HOOKLANE_SQLITE_COMMIT_GAP', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hooklane-gap-'));
  const config = loadConfig({ HOOKLANE_DATA_DIR: dir, HOOKLANE_SQLITE_COMMIT_GAP: `${GAP_MS}ms` });
  const store = await openConfiguredStore(config);
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  await store.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  await store.insertWebhook(sampleWebhook('wh_1'), null);
  const firstAt = performance.now();
  await store.ingest('acc_1', [sampleEvent('a')], 10);
  await store.ingest('acc_1', [sampleEvent('b')], 10);
  const took = performance.now() - firstAt;
  assert.ok(took >= GAP_MS - 20, `the second commit came ${took} ms after the first began`);
});
