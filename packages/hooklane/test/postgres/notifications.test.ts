// Who hears what across PostgreSQL processes: a worker subscribes to new work, an API process
// to ingested events (its `listen` streams), and every process to config changes (what it
// keeps in memory), each on the real LISTEN/NOTIFY of one database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';
import { SAMPLE_API_KEY, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within 5 s: ${what}`);
    await sleep(20);
  }
}

test('a worker hears new work, an API process ingested events, and both config changes', {
  skip,
}, async (t) => {
  const database = await createTestDatabase();
  const open = () =>
    new PostgresStore({
      connectionString: database.url,
      poolSize: 2,
      deliveryAttempts: 4,
      configKeepMs: 60_000,
    });
  const writer = open();
  const api = open();
  const worker = open();
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    for (const store of [writer, api, worker]) await store.close();
    await database.drop();
  });
  await writer.migrate();
  await writer.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  await writer.insertWebhook(sampleWebhook('wh_00000000000000000000000001'), null);

  const heard: string[] = [];
  let work = 0;
  stops.push(await api.notifications!.subscribe({ events: (_account, ids) => heard.push(...ids) }));
  stops.push(await worker.notifications!.subscribe({ work: () => work++ }));
  const workBefore = work;
  await writer.ingest('acc_1', [sampleEvent('ev_1')], Date.now());
  await until(() => heard.includes('ev_1'), 'the API process hears the ingested event');
  await until(() => work > workBefore, 'the worker hears the new work');

  // Config changes reach a process whatever else it subscribed to: a revoked key it had kept
  // is dropped in both.
  const key = SAMPLE_API_KEY;
  const hash = 'b'.repeat(64);
  await writer.insertApiKey(key, hash);
  for (const store of [api, worker]) assert.equal((await store.findApiKeyByHash(hash))?.id, 'key_1');
  assert.equal(await writer.revokeApiKey('acc_1', 'key_1', 2), true);
  for (const [name, store] of [
    ['API process', api],
    ['worker', worker],
  ] as const) {
    await until(
      async () => (await store.findApiKeyByHash(hash)) === null,
      `the ${name} forgets the revoked key`,
    );
  }
});

test('a process that ingests and delivers hears other processes’ work, not its own echo', {
  skip,
}, async (t) => {
  const database = await createTestDatabase();
  const open = () => new PostgresStore({ connectionString: database.url, poolSize: 2, deliveryAttempts: 4 });
  const both = open();
  const other = open();
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    for (const store of [both, other]) await store.close();
    await database.drop();
  });
  await both.migrate();
  await both.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  await both.insertWebhook(sampleWebhook('wh_00000000000000000000000001'), null);
  let work = 0;
  stops.push(await both.notifications!.subscribe({ work: () => work++ }));
  const before = work; // a (re)connected listener looks for work once by itself
  // Its own ingests first, then another process's: one connection hears announcements in
  // commit order, so once the other's is heard, any echo of its own would have been too.
  for (const id of ['own_1', 'own_2', 'own_3']) await both.ingest('acc_1', [sampleEvent(id)], Date.now());
  await other.ingest('acc_1', [sampleEvent('other_1')], Date.now());
  await until(() => work > before, 'the other process’s work is heard');
  await sleep(50);
  assert.equal(work - before, 1, 'its own three ingests were not echoed');
});
