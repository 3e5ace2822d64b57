// One request whose data PostgreSQL refuses (text with U+0000, handed straight to the store)
// among many in the same ingest group: it fails alone, every other request of the group is
// stored, and finding it costs a number of statements logarithmic in the group's size (the
// group is split in halves, each tried again as a group), not one replay per request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { storeWithSession, testDatabaseUrl } from '../helpers/postgres.ts';
import { sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const skip = testDatabaseUrl() === null ? 'TEST_DATABASE_URL is not set (SQLite-only run)' : false;

/** Counts the statements every pg client of this process sends while `counting` is on. */
function countStatements(t: { after(fn: () => void): void }) {
  const counter = { counting: false, statements: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (counter.counting) counter.statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  t.after(() => {
    pg.Client.prototype.query = query;
  });
  return counter;
}

for (const size of [32, 64]) {
  test(`a refused request among ${size} in one group fails alone, in O(log n) statements`, {
    skip,
  }, async (t) => {
    const { store, sql } = await storeWithSession(t, sampleWebhook('wh_1'));
    const counter = countStatements(t);
    const ids = Array.from({ length: size }, (_, i) => `e${String(i).padStart(3, '0')}`);
    const bad = ids[Math.floor(size / 2) + 1] as string;
    counter.counting = true;
    // The first request commits at once; the others queue behind it and form one group.
    const results = await Promise.allSettled([
      store.ingest('acc_1', [sampleEvent('first')], 10),
      ...ids.map((id) =>
        store.ingest('acc_1', [sampleEvent(id, id === bad ? { body: '{"name":"a\u0000b"}' } : {})], 10),
      ),
    ]);
    counter.counting = false;
    const [first, ...group] = results;
    assert.equal(first?.status, 'fulfilled');
    for (const [i, result] of group.entries()) {
      if (ids[i] === bad) {
        assert.equal(result.status, 'rejected', 'the refused request rejects');
        assert.match(String((result as PromiseRejectedResult).reason), /0x00/);
      } else {
        assert.deepEqual(
          result.status === 'fulfilled' ? result.value : result.reason,
          { inserted: 1, duplicates: 0, deliveriesCreated: 1 },
          `${ids[i]} is stored`,
        );
      }
    }
    const { rows } = await sql.query('SELECT count(*)::int AS events FROM events');
    assert.equal(rows[0].events, size, 'every event but the refused one is stored');
    // The lone first request, the group, then two halves per level down to the bad request;
    // each with at most a lookup of the account's webhooks beside it. A replay one by one
    // costs a transaction of several statements per request.
    const bound = 4 + 2 * (1 + 2 * Math.ceil(Math.log2(size)));
    t.diagnostic(`${counter.statements} statements for ${size} requests (at most ${bound})`);
    assert.ok(counter.statements <= bound, `${counter.statements} statements for ${size}, at most ${bound}`);
  });
}
