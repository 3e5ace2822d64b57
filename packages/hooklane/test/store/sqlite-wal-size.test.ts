// The embedded store's write-ahead log is copied into the database file every
// WAL_AUTOCHECKPOINT_PAGES pages, so the log (whose file keeps its largest size) stays small:
// short checkpoints keep SQLite's tail latency down (src/store/sqlite/connection.ts).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { WAL_AUTOCHECKPOINT_PAGES } from '../../src/store/sqlite/connection.ts';
import { sampleEvent, tempSqliteStore } from '../helpers/store-fixtures.ts';

const PAGE_BYTES = 4096;
const FRAME_BYTES = PAGE_BYTES + 24;

test('the write-ahead log is checkpointed every WAL_AUTOCHECKPOINT_PAGES pages and stays that small', async (t) => {
  const { store, path } = await tempSqliteStore(t, { ingestCommitGapMs: 0 });

  // ~20,000 events of ~1 KB in commits of 100: over twice the checkpoint interval in pages.
  const padding = 'x'.repeat(1000);
  for (let batch = 0; batch < 200; batch++) {
    const events = Array.from({ length: 100 }, (_, i) =>
      sampleEvent(`ev_${batch}_${i}`, { body: `{"id":"ev_${batch}_${i}","pad":"${padding}"}` }),
    );
    assert.equal((await store.ingest('acc_1', events, 10)).inserted, 100);
  }

  const written = statSync(path).size;
  assert.ok(written > 2 * WAL_AUTOCHECKPOINT_PAGES * PAGE_BYTES, `only ${written} bytes reached the file`);
  // The log restarts after a checkpoint: at most the interval plus one commit's pages.
  const wal = statSync(`${path}-wal`).size;
  assert.ok(
    wal <= (WAL_AUTOCHECKPOINT_PAGES + 500) * FRAME_BYTES,
    `the write-ahead log grew to ${wal} bytes (${Math.round(wal / FRAME_BYTES)} frames)`,
  );
});
