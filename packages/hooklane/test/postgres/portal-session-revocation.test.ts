// A portal session kept in memory by one PostgreSQL process (as API keys are) is dropped as soon
// as another process revokes the account's sessions: the revocation is announced, not waited out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { createTestDatabase, testDatabaseUrl } from '../helpers/postgres.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;
const SESSION = {
  id: 'ps_1',
  accountId: 'acc_1',
  name: null,
  capabilities: ['read' as const],
  createdAt: 1,
  expiresAt: Date.now() + 3_600_000,
};

test('a revocation in one process drops the session another process kept', { skip }, async (t) => {
  const database = await createTestDatabase();
  // Kept for a minute: only the announcement can drop it within this test.
  const open = () =>
    new PostgresStore({
      connectionString: database.url,
      poolSize: 2,
      deliveryAttempts: 4,
      configKeepMs: 60_000,
    });
  const a = open();
  const b = open();
  const sql = new pg.Client({ connectionString: database.url });
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    await sql.end().catch(() => {});
    await a.close();
    await b.close();
    await database.drop();
  });
  await a.migrate();
  await sql.connect();
  await a.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  await a.insertPortalSession(SESSION, 'h'.repeat(64));
  stops.push(await a.notifications.subscribe({ work() {} }));
  assert.equal((await a.findPortalSessionByHash('h'.repeat(64)))?.id, 'ps_1');
  // Kept: a change nobody announces is not seen.
  await sql.query('ALTER TABLE portal_sessions DISABLE TRIGGER portal_sessions_changed');
  await sql.query(`UPDATE portal_sessions SET name = 'renamed quietly'`);
  await sql.query('ALTER TABLE portal_sessions ENABLE TRIGGER portal_sessions_changed');
  assert.equal((await a.findPortalSessionByHash('h'.repeat(64)))?.name, null, 'served from memory');
  // Clearing expired sessions when none expired (each new session does) announces nothing.
  const heard: string[] = [];
  sql.on('notification', (message) => heard.push(message.channel));
  await sql.query('LISTEN hooklane_config');
  assert.equal(await b.deletePortalSessions('acc_1', 0), 0);
  await sleep(200);
  assert.deepEqual(heard, [], 'no announcement for no change');
  assert.equal(await b.deletePortalSessions('acc_1'), 1);
  const until = Date.now() + 2000;
  while ((await a.findPortalSessionByHash('h'.repeat(64))) !== null) {
    if (Date.now() > until) assert.fail('the revoked session is still served after 2 s');
    await sleep(10);
  }
  assert.deepEqual(heard, ['hooklane_config']);
});
