// What a PostgreSQL process keeps in memory (API keys by hash, an account's enabled webhooks)
// against a real database and a second process's writes: kept only while it listens for
// changes, dropped when another process changes them, and never kept without listening.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import type { NewEvent } from '../../src/store/store.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';
import { SAMPLE_API_KEY, sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;

const webhook = sampleWebhook;

let events = 0;
const event = (): NewEvent => sampleEvent(`e${++events}`);

const KEY = SAMPLE_API_KEY;
const HASH = 'a'.repeat(64);

/** Polls `check` until it holds (a change reaches another process a moment after its commit). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`not within 5 s: ${what}`);
    await sleep(20);
  }
}

async function twoProcesses(t: { after(fn: () => Promise<void>): void }) {
  const database = await createTestDatabase();
  // Kept long enough that only announcements can drop what a test keeps, but where it says so.
  const open = (configKeepMs = 60_000) =>
    new PostgresStore({ connectionString: database.url, poolSize: 2, deliveryAttempts: 4, configKeepMs });
  const a = open();
  const b = open();
  const brief = open(300);
  const sql = new pg.Client({ connectionString: database.url });
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    await sql.end().catch(() => {});
    await a.close();
    await b.close();
    await brief.close();
    await database.drop();
  });
  await a.migrate();
  await sql.connect();
  await a.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  await a.insertApiKey(KEY, HASH);
  await a.insertWebhook(webhook('wh_1'), null);
  const listen = async (store: PostgresStore) => {
    stops.push(await store.notifications.subscribe({ work() {}, events() {} }));
  };
  return { a, b, brief, sql, listen };
}

test('a listening process keeps API keys and drops them when another process revokes one', {
  skip,
}, async (t) => {
  const { a, b, sql, listen } = await twoProcesses(t);
  await listen(a);
  assert.equal((await a.findApiKeyByHash(HASH))?.id, 'key_1');
  // Kept: a change nobody announces (triggers off) is not seen.
  await sql.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
  await sql.query(`UPDATE api_keys SET name = 'renamed quietly'`);
  await sql.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
  assert.equal((await a.findApiKeyByHash(HASH))?.name, null, 'served from memory');
  // A revocation elsewhere is announced and drops it.
  assert.equal(await b.revokeApiKey('acc_1', 'key_1', 2), true);
  await eventually(async () => (await a.findApiKeyByHash(HASH)) === null, 'the revoked key is refused');
});

test('a listening process keeps an account’s webhooks for ingest and follows changes made elsewhere', {
  skip,
}, async (t) => {
  const { a, b, listen } = await twoProcesses(t);
  await listen(a);
  assert.equal((await a.ingest('acc_1', [event()], 10)).deliveriesCreated, 1);
  await b.updateWebhook('acc_1', 'wh_1', { enabled: false }, 11);
  await eventually(
    async () => (await a.ingest('acc_1', [event()], 12)).deliveriesCreated === 0,
    'a webhook disabled elsewhere gets no deliveries',
  );
  await b.insertWebhook(webhook('wh_2'), null);
  await eventually(
    async () => (await a.ingest('acc_1', [event()], 13)).deliveriesCreated === 1,
    'a webhook created elsewhere gets deliveries',
  );
  await b.deleteWebhook('acc_1', 'wh_2', 14);
  await eventually(
    async () => (await a.ingest('acc_1', [event()], 15)).deliveriesCreated === 0,
    'a webhook deleted elsewhere gets none',
  );
  // This process's own writes apply at once.
  await a.updateWebhook('acc_1', 'wh_1', { enabled: true }, 16);
  assert.equal((await a.ingest('acc_1', [event()], 17)).deliveriesCreated, 1);
});

test('a process that does not listen keeps nothing', { skip }, async (t) => {
  const { a, b, sql } = await twoProcesses(t);
  assert.equal((await a.findApiKeyByHash(HASH))?.id, 'key_1');
  await sql.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
  await sql.query(`UPDATE api_keys SET name = 'renamed quietly'`);
  await sql.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
  assert.equal((await a.findApiKeyByHash(HASH))?.name, 'renamed quietly');
  assert.equal((await a.ingest('acc_1', [event()], 10)).deliveriesCreated, 1);
  await b.updateWebhook('acc_1', 'wh_1', { enabled: false }, 11);
  assert.equal((await a.ingest('acc_1', [event()], 12)).deliveriesCreated, 0);
});

test('webhook changes are announced, a failure streak is not', { skip }, async (t) => {
  const { sql } = await twoProcesses(t);
  const heard: string[] = [];
  sql.on('notification', (message) => heard.push(message.channel));
  await sql.query('LISTEN hooklane_config');
  const announces = async (statement: string) => {
    heard.length = 0;
    await sql.query(statement);
    await sleep(100);
    return heard.length > 0;
  };
  assert.equal(await announces('UPDATE webhooks SET failing_since = 5'), false);
  assert.equal(await announces('UPDATE webhooks SET failing_since = NULL, updated_at = 9'), false);
  assert.equal(await announces('UPDATE webhooks SET enabled = false'), true);
  assert.equal(await announces(`UPDATE webhooks SET events = '["flow_started"]'`), true);
  assert.equal(await announces('UPDATE api_keys SET revoked_at = 1'), true);
});

test('a process whose listening connection is cut stops trusting what it kept', { skip }, async (t) => {
  const { a, sql, listen } = await twoProcesses(t);
  await listen(a);
  assert.equal((await a.findApiKeyByHash(HASH))?.name, null);
  // Its LISTEN connection dies; a change made meanwhile is announced to nobody.
  await sql.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN hooklane_%'`,
  );
  await sql.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
  await sql.query(`UPDATE api_keys SET name = 'changed while deaf'`);
  await sql.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
  await eventually(
    async () => (await a.findApiKeyByHash(HASH))?.name === 'changed while deaf',
    'the change made while it was not listening is seen',
  );
});

test('what is kept is used for at most configKeepMs, even when a change is announced to nobody', {
  skip,
}, async (t) => {
  const { brief, sql, listen } = await twoProcesses(t);
  await listen(brief);
  assert.equal((await brief.findApiKeyByHash(HASH))?.name, null);
  await sql.query('ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed');
  await sql.query(`UPDATE api_keys SET name = 'announced to nobody'`);
  await sql.query('ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed');
  const changedAt = Date.now();
  await eventually(
    async () => (await brief.findApiKeyByHash(HASH))?.name === 'announced to nobody',
    'the unannounced change is seen',
  );
  assert.ok(Date.now() - changedAt < 2_000, 'within about its 300 ms');
});
