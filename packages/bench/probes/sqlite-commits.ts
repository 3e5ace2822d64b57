/**
 * A probe for the embedded store's commits, loaded into a server with `--import`:
 *
 *   npm run compare -- --variants='{"probe":{"NODE_OPTIONS":"--import=<absolute path of this file>"}}'
 *
 * It wraps `node:sqlite`'s `DatabaseSync.prototype.exec` and times every `BEGIN IMMEDIATE` and
 * `COMMIT`, by the `synchronous` mode it ran under (the ingest's `FULL`, the engine's `NORMAL`):
 * count, wall time, the event-loop thread's CPU (and the kernel's part of it), the longest, and
 * how many took over 5 ms. Every second it writes those and the thread's CPU since it loaded to
 * `<PROBE_DIR or the temp dir>/sqlite-commits-<pid>.json`, so the file is there even when the
 * process is killed. With `PROBE_WAL_AUTOCHECKPOINT=N` it replaces the store's checkpoint
 * interval (an upper-bound experiment: with a large N, no checkpoint runs inside the window).
 * Not part of the server: nothing in `src/` imports it.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

interface Timings {
  count: number;
  wallMs: number;
  cpuMs: number;
  kernelMs: number;
  longestMs: number;
  over5Ms: number;
}

const timings: Record<string, Timings> = {};
const exec = DatabaseSync.prototype.exec;
const checkpointPages = process.env.PROBE_WAL_AUTOCHECKPOINT;
let mode = 'FULL';

function record(key: string, wallMs: number, usage: NodeJS.CpuUsage): void {
  const entry = timings[key] ?? { count: 0, wallMs: 0, cpuMs: 0, kernelMs: 0, longestMs: 0, over5Ms: 0 };
  timings[key] = entry;
  entry.count++;
  entry.wallMs += wallMs;
  entry.cpuMs += (usage.user + usage.system) / 1000;
  entry.kernelMs += usage.system / 1000;
  entry.longestMs = Math.max(entry.longestMs, wallMs);
  if (wallMs > 5) entry.over5Ms++;
}

DatabaseSync.prototype.exec = function timedExec(this: DatabaseSync, sql: string): void {
  if (checkpointPages && sql.startsWith('PRAGMA wal_autocheckpoint')) {
    exec.call(this, `PRAGMA wal_autocheckpoint = ${Number(checkpointPages)}`);
    return;
  }
  if (sql.startsWith('PRAGMA synchronous')) mode = sql.endsWith('NORMAL') ? 'NORMAL' : 'FULL';
  if (sql !== 'COMMIT' && sql !== 'BEGIN IMMEDIATE') {
    exec.call(this, sql);
    return;
  }
  const startedAt = performance.now();
  const cpuBefore = process.threadCpuUsage();
  try {
    exec.call(this, sql);
  } finally {
    record(`${sql} (${mode})`, performance.now() - startedAt, process.threadCpuUsage(cpuBefore));
  }
};

const loadedAt = performance.now();
const cpuAtLoad = process.threadCpuUsage();
const out = join(process.env.PROBE_DIR ?? tmpdir(), `sqlite-commits-${process.pid}.json`);
setInterval(() => {
  const cpu = process.threadCpuUsage(cpuAtLoad);
  const thread = { wallMs: performance.now() - loadedAt, cpuMs: (cpu.user + cpu.system) / 1000 };
  writeFileSync(out, `${JSON.stringify({ thread, timings }, null, 1)}\n`);
}, 1000).unref();
