import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { serverVersion } from './postgres.ts';
import type { backlog, fanoutAndHang, Sizes, throughputAndLatency } from './scenarios.ts';
import { REDIS_URL } from './systems/bullmq.ts';

export interface SystemResult {
  readonly id: string;
  readonly label: string;
  readonly shape: string;
  single?: Awaited<ReturnType<typeof throughputAndLatency>>;
  fanout?: Awaited<ReturnType<typeof fanoutAndHang>>;
  backlog?: Awaited<ReturnType<typeof backlog>>;
  /** CPU (in cores) that other processes used while the bench idled for 1 s before this system. */
  background_cores?: number;
  /** PostgreSQL was stopped or restarted by another process even on the retry: the numbers are suspect. */
  disturbed?: boolean;
  errors: string[];
}

export interface BenchReport {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly aborted: boolean;
  readonly seconds: number;
  readonly machine: Machine;
  readonly sizes: Sizes & { readonly fanoutWebhooks: number };
  readonly results: readonly SystemResult[];
}

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memory_gb: number;
  readonly node: string;
  readonly postgres: string;
  readonly redis: string;
  readonly os: string;
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  let redis = 'unknown';
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    redis = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  } catch {
    // Reported as unknown.
  } finally {
    client.disconnect();
  }
  let os = 'Linux';
  try {
    os = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    // Keep the generic name.
  }
  return {
    nproc: availableParallelism(),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memory_gb: Math.round(memKb / 1024 / 102.4) / 10,
    node: process.version,
    postgres: await serverVersion().catch(() => 'unknown'),
    redis,
    os,
  };
}

const fmt = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined ? '—' : `${value.toLocaleString('en-US')}${suffix}`;
const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value && base ? `${(value / base).toFixed(2)}×` : '—';
const mark = (complete: boolean | undefined) => (complete === false ? ' ⚠' : '');

type Latency = NonNullable<SystemResult['single']>['latency'];

/** p50 / p99, flagged when the system did not take the whole offered load. */
function latencyCell(lat: Latency): string {
  const planned = lat.rate * lat.seconds;
  const cell = `${fmt(lat.p50_ms)} / ${fmt(lat.p99_ms)}`;
  if (lat.accepted >= planned && lat.complete) return cell;
  const rate = Math.round(lat.accepted / lat.seconds);
  return `${cell} ⚠ (took ${rate.toLocaleString('en-US')} ev/s)`;
}

/** Cores' worth of CPU that other processes used during a run, from its CPU accounting. */
function otherCores(cpu: Record<string, number> | undefined): number {
  return cpu?.other && cpu.wall ? cpu.other / cpu.wall : 0;
}

/** Why a row's numbers may be off: PostgreSQL restarted under it, or other processes took CPU. */
function notes(r: SystemResult): string {
  const flags: string[] = [];
  if (r.disturbed) flags.push('PostgreSQL restarted by another process');
  const other = Math.max(otherCores(r.single?.e2e.cpu_seconds), otherCores(r.single?.latency.cpu_seconds));
  if (other > NOISY_CORES) flags.push(`noisy: other processes used ${other.toFixed(2)} cores`);
  return flags.length ? ` (${flags.join('; ')})` : '';
}

/** Above this, other processes' CPU during a run is reported next to the system's name. */
const NOISY_CORES = 0.2;

/** The main table: one row per system. */
export function resultsTable(results: readonly SystemResult[], backlogEvents: number): string {
  const ceiling = results.find((r) => r.id === 'ceiling');
  const base = ceiling?.single?.e2e.e2e_per_s;
  const fanBase = ceiling?.fanout?.fanout.deliveries_per_s;
  const rows = [
    '| System | End to end ev/s | × ceiling | Ingest ev/s | p50 / p99 ms @ 1,000 ev/s | Peak RSS MB | Fan-out ×10 deliveries/s (× ceiling) | Healthy 9: no hang → 1 hanging (loss) | Backlog ' +
      `${backlogEvents.toLocaleString('en-US')}: drain ev/s, peak RSS MB |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    const e2e = r.single?.e2e;
    const lat = r.single?.latency;
    const fan = r.fanout?.fanout;
    const hang = r.fanout?.hang;
    const bl = r.backlog;
    rows.push(
      [
        '',
        r.label + notes(r),
        `${fmt(e2e?.e2e_per_s)}${mark(e2e === undefined ? undefined : e2e.complete && e2e.accepted === e2e.events)}`,
        r.id === 'ceiling' ? '1.00×' : ratio(e2e?.e2e_per_s, base),
        r.id === 'ceiling' ? 'n/a' : fmt(e2e?.ingest_per_s),
        lat ? latencyCell(lat) : '—',
        fmt(e2e?.peak_rss_mb),
        fan
          ? `${fmt(fan.deliveries_per_s)}${mark(fan.complete)} (${r.id === 'ceiling' ? '1.00×' : ratio(fan.deliveries_per_s, fanBase)})`
          : '—',
        fan && hang
          ? `${fmt(fan.healthy9_per_s)} → ${fmt(hang.healthy9_per_s)}${mark(hang.complete)} (${hang.loss_vs_fanout === null ? '—' : `${Math.round(hang.loss_vs_fanout * 100)}%`})`
          : '—',
        bl
          ? `${fmt(bl.drain_per_s)}${mark(bl.complete)}, ${fmt(bl.peak_rss_mb)}`
          : r.id === 'ceiling'
            ? 'n/a'
            : '—',
        '',
      ]
        .join(' | ')
        .trim(),
    );
  }
  return rows.join('\n');
}

/** Where the CPU went during the end-to-end run (CPU seconds per group of processes). */
export function cpuTable(results: readonly SystemResult[]): string {
  const rows = [
    '| System | run | wall s | system | receiver | load generator | PostgreSQL | Redis | other processes | busy cores |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    for (const [run, cpu] of [
      ['end to end', r.single?.e2e.cpu_seconds],
      ['1,000 ev/s', r.single?.latency.cpu_seconds],
    ] as const) {
      if (!cpu) continue;
      const total =
        (cpu.system ?? 0) +
        (cpu.receiver ?? 0) +
        (cpu.load_generator ?? 0) +
        (cpu.postgres ?? 0) +
        (cpu.redis ?? 0) +
        (cpu.other ?? 0);
      rows.push(
        `| ${r.label} | ${run} | ${cpu.wall} | ${cpu.system} | ${cpu.receiver} | ${cpu.load_generator} | ${cpu.postgres} | ${cpu.redis} | ${cpu.other} | ${(total / (cpu.wall || 1)).toFixed(2)} |`,
      );
    }
  }
  return rows.join('\n');
}

/** The issue's targets next to what was measured. */
export function targetsTable(results: readonly SystemResult[], backlogEvents: number): string {
  const byId = new Map(results.map((r) => [r.id, r]));
  const e2e = (id: string) => byId.get(id)?.single?.e2e.e2e_per_s ?? null;
  const ceiling = e2e('ceiling');
  const peers = [e2e('bullmq'), e2e('pgboss')].filter((v): v is number => v !== null && v > 0);
  const bestPeer = peers.length ? Math.max(...peers) : null;
  const rows = ['| Target | System | Measured | Status |', '|---|---|--:|---|'];
  const status = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : '**not met**');
  const hooklanes: Array<[string, string, number]> = [
    ['hooklane-sqlite', 'SQLite', 0.6],
    ['hooklane-postgres', 'PostgreSQL, 1 process', 0.45],
    ['hooklane-postgres-split', 'PostgreSQL, API + 2 workers', 0.45],
  ];
  for (const [id, name, target] of hooklanes) {
    const value = e2e(id);
    const r = value !== null && ceiling ? value / ceiling : null;
    rows.push(
      `| End to end ≥ ${target}× ceiling | ${name} | ${r === null ? '—' : `${r.toFixed(2)}×`} | ${status(r === null ? null : r >= target)} |`,
    );
  }
  for (const [id, name] of hooklanes) {
    const value = e2e(id);
    const r = value !== null && bestPeer ? value / bestPeer : null;
    rows.push(
      `| End to end ≥ 2× BullMQ and pg-boss (the faster of the two) | ${name} | ${r === null ? '—' : `${r.toFixed(2)}×`} | ${status(r === null ? null : r >= 2)} |`,
    );
  }
  for (const [id, name] of hooklanes) {
    const limit = id === 'hooklane-sqlite' ? 25 : 50;
    const lat = byId.get(id)?.single?.latency;
    const p99 = lat?.p99_ms ?? null;
    const tookAll = lat?.complete === true && lat.accepted >= lat.rate * lat.seconds;
    const measured =
      p99 === null
        ? '—'
        : `${p99.toLocaleString('en-US')} ms${tookAll ? '' : ` (took only ${Math.round(lat!.accepted / lat!.seconds).toLocaleString('en-US')} ev/s)`}`;
    rows.push(
      `| p99 ≤ ${limit} ms at 1,000 ev/s | ${name} | ${measured} | ${status(p99 === null ? null : p99 <= limit && tookAll)} |`,
    );
  }
  for (const [id, name] of hooklanes) {
    const loss = byId.get(id)?.fanout?.hang.loss_vs_fanout ?? null;
    const complete = byId.get(id)?.fanout?.hang.complete;
    rows.push(
      `| A hanging endpoint costs the healthy 9 ≤ 10% | ${name} | ${loss === null ? '—' : `${Math.round(loss * 100)}%`} | ${status(loss === null ? null : loss <= 0.1 && complete !== false)} |`,
    );
  }
  for (const [id, name] of hooklanes) {
    const peak = byId.get(id)?.backlog?.peak_rss_mb ?? null;
    const complete = byId.get(id)?.backlog?.complete;
    rows.push(
      `| Peak RSS ≤ 200 MB draining a 100,000 backlog${backlogEvents === 100_000 ? '' : ` (this run: ${backlogEvents.toLocaleString('en-US')})`} | ${name} | ${peak === null ? '—' : `${peak.toLocaleString('en-US')} MB`} | ${status(peak === null ? null : peak <= 200 && complete !== false)} |`,
    );
  }
  return rows.join('\n');
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}

/** The Markdown the bench prints: the main table, where the CPU went, and the targets. */
export function renderReport(report: BenchReport): string {
  const { machine, sizes, results } = report;
  return [
    `## Hooklane bench (${report.mode}, ${report.date}, ${report.seconds} s${report.aborted ? ', ABORTED at the time limit' : ''})`,
    '',
    `${machine.nproc} cores (${machine.cpu}), ${machine.memory_gb} GB, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}.`,
    `End to end: ${sizes.e2eEvents.toLocaleString('en-US')} events (batches of ${sizes.batchSize}, ${sizes.clients} clients${(sizes.e2eRuns ?? 1) > 1 ? `; the median of ${sizes.e2eRuns} runs` : ''}); latency: ${sizes.latencyRate.toLocaleString('en-US')} single-event requests/s for ${sizes.latencySeconds} s; fan-out: ${sizes.fanoutEvents.toLocaleString('en-US')} events × ${sizes.fanoutWebhooks} webhooks; ⚠ = not every event was accepted (202) or arrived in time (see the JSON).`,
    '',
    resultsTable(results, sizes.backlogEvents),
    '',
    `CPU seconds by process group during the end-to-end run and the 1,000 ev/s run (${machine.nproc} cores: at most ${machine.nproc} busy cores; "other processes" is the rest of the machine):`,
    '',
    cpuTable(results),
    '',
    targetsTable(results, sizes.backlogEvents),
    '',
  ].join('\n');
}
