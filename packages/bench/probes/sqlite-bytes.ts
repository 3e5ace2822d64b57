/**
 * A probe for what the embedded store writes per event, run on its own:
 *
 *   node packages/bench/probes/sqlite-bytes.ts [events=20000]
 *
 * In this process it opens a SqliteStore on a temporary file, starts the delivery engine and a
 * receiver on 127.0.0.1 that answers 204, ingests ~1 KB events (bench/events.ts) in requests of
 * 50 to one webhook and waits until every delivery succeeded. Automatic checkpoints are off for
 * the run, so the write-ahead log keeps every page each commit wrote: its growth across a commit
 * is that commit's pages, counted by kind (the ingest's FULL commits, the engine's NORMAL ones).
 * It prints, per event: log pages and bytes, the storage bytes the process wrote
 * (/proc/self/io write_bytes), and after a final checkpoint each table's and index's size
 * (the dbstat table). Event ids are deterministic (hashes of their number), so two runs of the
 * same code print the same page counts up to timing (how requests and results group).
 * With `PROBE_CHECKPOINTS=store` the store's own checkpoint interval stays, and write_bytes
 * counts what a server really writes (log and file) but pages per commit are not counted. With
 * `PROBE_DROP_INDEXES=a,b` the run goes without those indexes (an experiment: what each costs).
 * Not part of the server: nothing in `src/` imports it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { generateWebhookSecret, SecretBox } from '../../hooklane/src/core/secrets.ts';
import { DeliveryEngine } from '../../hooklane/src/delivery/engine.ts';
import { createSender } from '../../hooklane/src/delivery/sender.ts';
import { createMetrics } from '../../hooklane/src/metrics.ts';
import { SqliteStore } from '../../hooklane/src/store/sqlite/index.ts';
import { benchEvent } from '../events.ts';

const EVENTS = Number(process.argv[2] ?? 20_000);
const PER_REQUEST = 50;
const PAGE_BYTES = 4096;
const FRAME_BYTES = PAGE_BYTES + 24;
/** PROBE_CHECKPOINTS=store keeps the store's checkpoints: write_bytes then counts the file too. */
const KEEP_CHECKPOINTS = process.env.PROBE_CHECKPOINTS === 'store';

// The store's connection, caught as it opens, with automatic checkpoints replaced by none.
let handle: DatabaseSync | null = null;
let walPath = '';
let mode = 'FULL';
const pagesByCommit: Record<string, { commits: number; pages: number }> = {};
const exec = DatabaseSync.prototype.exec;
DatabaseSync.prototype.exec = function countedExec(this: DatabaseSync, sql: string): void {
  if (sql.startsWith('PRAGMA wal_autocheckpoint')) {
    handle = this;
    exec.call(this, KEEP_CHECKPOINTS ? sql : 'PRAGMA wal_autocheckpoint = 0');
    return;
  }
  if (sql.startsWith('PRAGMA synchronous')) mode = sql.endsWith('NORMAL') ? 'NORMAL' : 'FULL';
  if (sql !== 'COMMIT' || handle !== this) {
    exec.call(this, sql);
    return;
  }
  const before = walFrames();
  exec.call(this, sql);
  const kind = mode === 'FULL' ? 'ingest and API (FULL)' : 'results (NORMAL)';
  const entry = pagesByCommit[kind] ?? { commits: 0, pages: 0 };
  pagesByCommit[kind] = entry;
  entry.commits++;
  entry.pages += walFrames() - before;
};

function walFrames(): number {
  try {
    return Math.max(0, Math.round((statSync(walPath).size - 32) / FRAME_BYTES));
  } catch {
    return 0;
  }
}

function storageWrites(): number {
  const line = readFileSync('/proc/self/io', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('write_bytes:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/** A uuid-shaped id from the hash of `n`: spread like random ids, the same on every run. */
function eventId(n: number): string {
  const hex = createHash('sha256').update(`event-${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = (receiver.address() as AddressInfo).port;

const dir = mkdtempSync(join(tmpdir(), 'hooklane-bytes-'));
const path = join(dir, 'hooklane.db');
walPath = `${path}-wal`;
const store = SqliteStore.open({ path, deliveryAttempts: 9 });
const secretBox = new SecretBox(randomBytes(32));
await store.createAccount({ id: 'acc_1', name: 'Bytes probe', createdAt: 1 });
await store.insertWebhook(
  {
    id: 'wh_1',
    accountId: 'acc_1',
    name: 'probe',
    url: `http://127.0.0.1:${port}/hook`,
    events: ['*'],
    filters: { contentIds: null },
    format: 'appcues',
    batchWindowMs: 0,
    headers: {},
    enabled: true,
    disabledReason: null,
    failingSince: null,
    signed: true,
    createdAt: 1,
    updatedAt: 1,
  },
  { sealed: secretBox.seal(generateWebhookSecret()), createdAt: 1, expiresAt: null },
);
const engine = new DeliveryEngine(
  {
    claimBatchSize: 100,
    leaseMs: 30_000,
    maxInFlight: 256,
    maxInFlightPerWebhook: 64,
    pollIntervalMs: 1_000,
    disableAfterMs: 86_400_000,
    retry: { schedule: [1_000, 10_000], jitter: 0 },
  },
  {
    store,
    sender: createSender({
      timeoutMs: 5_000,
      maxResponseBytes: 65_536,
      allowPrivateNetworks: true,
      connectionsPerOrigin: 64,
    }),
    secretBox,
    metrics: createMetrics(() => store.queueStats()),
    logger: pino({ level: 'silent' }),
    now: Date.now,
    random: () => 0.5,
  },
);
engine.start();

// An experiment's knob: PROBE_DROP_INDEXES=a,b measures the run without those indexes.
for (const name of (process.env.PROBE_DROP_INDEXES ?? '').split(',').filter(Boolean)) {
  (handle as DatabaseSync | null)?.exec(`DROP INDEX ${name}`);
}
const framesAtStart = walFrames();
for (const kind of Object.keys(pagesByCommit)) delete pagesByCommit[kind];
const writesAtStart = storageWrites();
const startedAt = performance.now();
for (let sent = 0; sent < EVENTS; sent += PER_REQUEST) {
  const events = Array.from({ length: Math.min(PER_REQUEST, EVENTS - sent) }, (_, i) => {
    const id = eventId(sent + i);
    return {
      id,
      name: 'appcues:flow_completed',
      typeId: 'flow_completed',
      userId: `user-${id.slice(0, 8)}`,
      contentId: null,
      occurredAt: 1_700_000_000_000,
      body: JSON.stringify(benchEvent(1_700_000_000_000, id)),
    };
  });
  await store.ingest('acc_1', events, Date.now());
  engine.notify();
}
for (;;) {
  const { pending } = await store.queueStats();
  if (pending === 0 && received >= EVENTS) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const seconds = (performance.now() - startedAt) / 1000;
await engine.stop(1_000);

const frames = walFrames() - framesAtStart;
const writes = storageWrites() - writesAtStart;
const db = handle as DatabaseSync | null;
if (db === null) throw new Error('the store opened no connection the probe saw');
db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
const sizes = db
  .prepare(
    `SELECT s.name, m.type, m.tbl_name AS tbl, SUM(s.pgsize) AS bytes, COUNT(*) AS pages
     FROM dbstat s JOIN sqlite_schema m ON m.name = s.name
     WHERE m.tbl_name IN ('events', 'deliveries', 'attempts', 'delivery_batch_events')
     GROUP BY s.name ORDER BY m.tbl_name, m.type DESC, s.name`,
  )
  .all();
const succeeded = db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'succeeded'`).get();
await store.close();
receiver.close();
const fileBytes = (() => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
})();
rmSync(dir, { recursive: true, force: true });

const perEvent = (n: number) => Math.round((n / EVENTS) * 10) / 10;
console.log(
  `events ${EVENTS} in requests of ${PER_REQUEST}; deliveries succeeded ${succeeded?.n}; ${seconds.toFixed(1)} s`,
);
if (KEEP_CHECKPOINTS) {
  console.log(
    `storage write_bytes per event ${perEvent(writes)} (log and file: the store's checkpoints ran)`,
  );
} else {
  console.log(
    `log pages per event ${perEvent(frames)}, log bytes per event ${perEvent(frames * FRAME_BYTES)}`,
  );
  console.log(`storage write_bytes per event ${perEvent(writes)} (log only: checkpoints were off)`);
}
for (const [kind, { commits, pages }] of KEEP_CHECKPOINTS ? [] : Object.entries(pagesByCommit)) {
  console.log(
    `  ${kind}: ${commits} commits, ${perEvent(pages)} pages per event, ${Math.round(pages / commits)} per commit`,
  );
}
console.log(`after a checkpoint: file ${fileBytes} bytes, ${perEvent(fileBytes)} per event`);
console.log('object                              type   table        bytes/event  pages');
for (const row of sizes) {
  console.log(
    `${String(row.name).padEnd(36)}${String(row.type).padEnd(7)}${String(row.tbl).padEnd(13)}${String(perEvent(Number(row.bytes))).padStart(11)}  ${row.pages}`,
  );
}
