/**
 * A probe for the PostgreSQL store's work per event, run on its own:
 *
 *   node probes/postgres-statements.ts            (in packages/bench; PROBE_EVENTS, PROBE_BATCH,
 *                                                   PROBE_CONCURRENCY change the load)
 *
 * It creates a fresh database (dropped at the end), runs Hooklane in this process with its
 * defaults (role `all`) and one `["*"]` webhook to a receiver here that answers 204, ingests
 * PROBE_EVENTS (20,000) ~1 KB events in requests of PROBE_BATCH (50), PROBE_CONCURRENCY (4) at
 * a time, and waits until every delivery is written. Then it prints, per event:
 * - statements: every `query` call of a `pg` client, which is one round trip (counted in the
 *   client, by wrapping `pg.Client.prototype.query`; the probe's own queries are left out),
 *   with the top statements by client-side wall time;
 * - rows written, per table, and the share of deliveries' updates that were HOT
 *   (`pg_stat_user_tables`, read after the server closed its connections, which flushes them);
 * - WAL bytes written for this database (`pg_walinspect` over the run's WAL range: records that
 *   touch a relation of this database, by relation, plus the commit records of their
 *   transactions), so other databases' traffic on the same server is left out.
 * The counts do not depend on the machine's speed except through how requests group and how
 * many deliveries a claim finds: run it on a quiet machine and compare runs of the same load.
 * Not part of the server: nothing in `src/` imports it.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from 'hooklane/src/config.ts';
import { startHooklane } from 'hooklane/src/main.ts';
import pg from 'pg';
import { benchBatch } from '../events.ts';
import { createDatabase } from '../postgres.ts';
import { configureAccount, newRootKey } from '../systems/hooklane.ts';

const EVENTS = Number(process.env.PROBE_EVENTS ?? 20_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 50);
const CONCURRENCY = Number(process.env.PROBE_CONCURRENCY ?? 4);

interface Statement {
  calls: number;
  wallMs: number;
}

const statements = new Map<string, Statement>();
const OWN = Symbol('probe client');
const query = pg.Client.prototype.query;

function keyOf(config: unknown): string {
  if (typeof config === 'string') return config.replace(/\s+/g, ' ').trim().slice(0, 100);
  const named = config as { name?: string; text?: string };
  if (named?.name) return `[${named.name}]`;
  return keyOf(named?.text ?? '?');
}

pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]): unknown {
  if ((this as unknown as Record<symbol, boolean>)[OWN])
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  const key = keyOf(args[0]);
  const startedAt = performance.now();
  const settle = () => {
    const entry = statements.get(key) ?? { calls: 0, wallMs: 0 };
    statements.set(key, entry);
    entry.calls++;
    entry.wallMs += performance.now() - startedAt;
  };
  // pg.Pool's own query passes a callback; a client's query returns a promise.
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (...results: unknown[]) => {
      settle();
      return callback(...results);
    };
  }
  const result = (query as (...a: unknown[]) => unknown).apply(this, args);
  if (result instanceof Promise) result.then(settle, settle);
  return result;
} as typeof query;

async function ownClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  (client as unknown as Record<symbol, boolean>)[OWN] = true;
  await client.connect();
  return client;
}

interface TableStats {
  relname: string;
  ins: number;
  upd: number;
  hot: number;
  del: number;
}

async function tableStats(client: pg.Client): Promise<Map<string, TableStats>> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<TableStats>(
    `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot,
       n_tup_del::float8 AS del FROM pg_stat_user_tables`,
  );
  return new Map(rows.map((row) => [row.relname, row]));
}

/** WAL bytes of this database between two LSNs, by relation (and commit records). */
async function walBytes(client: pg.Client, from: string, to: string) {
  const { rows } = await client.query<{ what: string; bytes: number; records: number; fpi: number }>(
    `WITH r AS (
       SELECT w.*, regexp_match(w.block_ref, 'rel \\d+/(\\d+)/(\\d+)') AS rel
       FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) w
     ),
     ours AS (
       SELECT * FROM r WHERE r.rel[1]::oid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ),
     xids AS (SELECT DISTINCT xid FROM ours WHERE xid <> '0')
     SELECT COALESCE(c.relname, 'filenode ' || ours.rel[2]) || ' (' || ours.resource_manager || ' ' || split_part(ours.record_type, ' ', 1) || ')' AS what,
       sum(ours.record_length)::float8 AS bytes, count(*)::float8 AS records, sum(ours.fpi_length)::float8 AS fpi
     FROM ours LEFT JOIN pg_class c ON pg_relation_filenode(c.oid) = ours.rel[2]::oid
     GROUP BY 1
     UNION ALL
     SELECT 'commit records', sum(r.record_length)::float8, count(*)::float8, 0
     FROM r WHERE r.resource_manager = 'Transaction' AND r.xid IN (SELECT xid FROM xids)
     ORDER BY 2 DESC`,
    [from, to],
  );
  return rows;
}

async function main(): Promise<void> {
  const received = { count: 0 };
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.count++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    secret: `whsec_${randomBytes(24).toString('base64')}`,
  };

  const database = await createDatabase('hooklane_probe');
  let admin: pg.Client | null = null;
  try {
    const rootKey = newRootKey();
    const hooklane = await startHooklane(
      loadConfig({
        HOST: '127.0.0.1',
        PORT: '0',
        HOOKLANE_ROOT_KEY: rootKey,
        HOOKLANE_ALLOW_PRIVATE_NETWORKS: 'true',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        HOOKLANE_SECRET_KEY: randomBytes(32).toString('base64'),
      }),
    );
    admin = await ownClient(database.url);
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
    const ingest = await configureAccount(hooklane.url as string, rootKey, [target]);

    statements.clear();
    const before = await tableStats(admin);
    const walFrom = (await admin.query('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn as string;
    const startedAt = performance.now();

    let sent = 0;
    const send = async () => {
      while (sent < EVENTS) {
        const count = Math.min(BATCH, EVENTS - sent);
        sent += count;
        const response = await fetch(ingest.url, {
          method: 'POST',
          headers: { ...ingest.headers, 'content-type': 'application/json' },
          body: benchBatch(count, Date.now()),
        });
        await response.text();
        if (response.status !== 202) throw new Error(`ingest: ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, send));
    for (;;) {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS done FROM deliveries WHERE status <> 'pending'`,
      );
      if (rows[0].done >= EVENTS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - startedAt) / 1000;
    // Closing the server ends its sessions, which flushes their table statistics.
    await hooklane.close();
    const walTo = (await admin.query('SELECT pg_current_wal_lsn() AS lsn')).rows[0].lsn as string;
    // pg_walinspect reads only flushed WAL (results commit without waiting for their flush).
    while (!(await admin.query('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS ok', [walTo])).rows[0].ok)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await tableStats(admin);
    const wal = await walBytes(admin, walFrom, walTo);
    const { rows: sizes } = await admin.query<{ relname: string; pages: number }>(
      `SELECT relname, (pg_relation_size(oid) / current_setting('block_size')::int)::float8 AS pages
       FROM pg_class WHERE relname IN ('deliveries', 'events', 'attempts') ORDER BY relname`,
    );

    const per = (n: number) => (n / EVENTS).toFixed(3);
    const calls = [...statements.values()].reduce((sum, s) => sum + s.calls, 0);
    console.log(
      `events ${EVENTS} in requests of ${BATCH}, ${CONCURRENCY} at a time; ${received.count} received; ${seconds.toFixed(1)} s`,
    );
    console.log(`\nstatements (round trips) per event: ${per(calls)}  (${calls} in all)`);
    const top = [...statements.entries()].sort((a, b) => b[1].wallMs - a[1].wallMs).slice(0, 10);
    for (const [key, s] of top)
      console.log(
        `  ${per(s.calls).padStart(7)}/event  ${(s.wallMs / s.calls).toFixed(2).padStart(7)} ms each  ${s.wallMs.toFixed(0).padStart(7)} ms  ${key}`,
      );

    console.log('\nrows written per event (inserted / updated (HOT) / deleted):');
    let rowsWritten = 0;
    for (const [name, a] of after) {
      const b = before.get(name) ?? { ins: 0, upd: 0, hot: 0, del: 0 };
      const ins = a.ins - b.ins;
      const upd = a.upd - b.upd;
      const hot = a.hot - b.hot;
      const del = a.del - b.del;
      if (ins + upd + del === 0) continue;
      rowsWritten += ins + upd + del;
      console.log(
        `  ${name.padEnd(24)} ${per(ins)} / ${per(upd)} (${per(hot)} HOT, ${upd === 0 ? '-' : ((100 * hot) / upd).toFixed(1)}%) / ${per(del)}`,
      );
    }
    console.log(`  all tables: ${per(rowsWritten)} rows per event`);

    const walTotal = wal.reduce((sum, row) => sum + row.bytes, 0);
    const fpiTotal = wal.reduce((sum, row) => sum + row.fpi, 0);
    const records = wal.reduce((sum, row) => sum + row.records, 0);
    console.log(`\nheap pages at the end: ${sizes.map((row) => `${row.relname} ${row.pages}`).join(', ')}`);
    console.log(
      `\nWAL bytes per event, this database: ${(walTotal / EVENTS).toFixed(0)} in ${per(records)} records (full-page images ${(fpiTotal / EVENTS).toFixed(0)})`,
    );
    for (const row of wal.slice(0, 24))
      console.log(
        `  ${(row.bytes / EVENTS).toFixed(0).padStart(6)} B  ${per(row.records).padStart(7)} records  ${(row.fpi / EVENTS).toFixed(0).padStart(5)} B FPI  ${row.what}`,
      );
  } finally {
    await admin?.end().catch(() => {});
    await database.drop();
    receiver.close();
  }
}

await main();
process.exit(0);
