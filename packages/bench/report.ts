import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { serverVersion } from './postgres.ts';
import type { QuietWait } from './quiet.ts';
import { redisVersion } from './redis.ts';
import type { Burst, backlog, fanoutAndHang, roundOfBursts, Sizes } from './scenarios.ts';
import { formatSpread, type Spread, spread } from './stats.ts';

export type Latency = NonNullable<Awaited<ReturnType<typeof roundOfBursts>>['latency']>;

/** The figures of a system's end-to-end bursts that the tables show. */
export interface EndToEndSummary {
  readonly per_s: Spread | null;
  /** CPU µs per delivered event of the system's processes and its store's server. */
  readonly cpu_us: Spread | null;
  readonly ingest_per_s: Spread | null;
  readonly bursts: number;
  /** Bursts during which other processes used more than NOISY_CORES. */
  readonly noisy: number;
  /** Bursts in which not every event was accepted or arrived in time. */
  readonly incomplete: number;
  readonly peak_rss_mb: number | null;
}

export interface SystemResult {
  readonly id: string;
  readonly label: string;
  readonly shape: string;
  readonly durability: string;
  readonly in_flight: string;
  /** Every end-to-end burst, in the order run, each with its round. */
  readonly bursts: Burst[];
  e2e?: EndToEndSummary;
  latency?: Latency;
  fanout?: Awaited<ReturnType<typeof fanoutAndHang>>;
  backlog?: Awaited<ReturnType<typeof backlog>>;
  /** The wait for a quiet machine before each start of this system, in order. */
  readonly quiet: Array<QuietWait & { readonly before: string }>;
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
  readonly sizes: Sizes & { readonly fanoutWebhooks: number; readonly quietLoad: number };
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
    redis: redisVersion(),
    os,
  };
}

/** The medians and ranges of a system's bursts. */
export function summariseBursts(bursts: readonly Burst[]): EndToEndSummary {
  const ingest = bursts.flatMap((b) => (b.ingest_per_s === null ? [] : [b.ingest_per_s]));
  return {
    per_s: spread(bursts.map((b) => b.e2e_per_s)),
    cpu_us: spread(bursts.map((b) => b.cpu_us_per_event)),
    ingest_per_s: spread(ingest),
    bursts: bursts.length,
    noisy: bursts.filter((b) => b.noisy).length,
    incomplete: bursts.filter((b) => !b.complete || b.accepted < b.events).length,
    peak_rss_mb: bursts.length ? Math.max(...bursts.map((b) => b.peak_rss_mb)) : null,
  };
}

const fmt = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined ? '—' : `${value.toLocaleString('en-US')}${suffix}`;
const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value && base ? `${(value / base).toFixed(2)}×` : '—';
const rounded = (value: number | undefined) => (value === undefined ? undefined : Math.round(value));
const mark = (complete: boolean | undefined) => (complete === false ? ' ⚠' : '');

/** p50 / p99, flagged when the system did not take the whole offered load. */
function latencyCell(lat: Latency): string {
  const planned = lat.rate * lat.seconds;
  const cell = `${fmt(lat.p50_ms)} / ${fmt(lat.p99_ms)}`;
  if (lat.accepted >= planned && lat.complete) return cell;
  const rate = Math.round(lat.accepted / lat.seconds);
  return `${cell} ⚠ (took ${rate.toLocaleString('en-US')} ev/s)`;
}

/** Why a row's numbers may be off: PostgreSQL restarted under it, or the machine never got quiet. */
function notes(r: SystemResult): string {
  const flags: string[] = [];
  if (r.disturbed) flags.push('PostgreSQL restarted by another process');
  const busyStarts = r.quiet.filter((wait) => !wait.quiet).length;
  if (busyStarts > 0) flags.push(`started ${busyStarts}× on a busy machine`);
  return flags.length ? ` (${flags.join('; ')})` : '';
}

/** The main table: the alternating end-to-end bursts, with each system's durability and cost. */
export function endToEndTable(results: readonly SystemResult[]): string {
  const base = results.find((r) => r.id === 'ceiling')?.e2e?.per_s?.median;
  const rows = [
    '| System | Durability of a 202 | In flight toward the receiver | End to end ev/s, median (range) | × ceiling | CPU µs per event, store included, median (range) | Ingest ev/s, median | Bursts (noisy) |',
    '|---|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    const e2e = r.e2e;
    rows.push(
      `| ${r.label}${notes(r)} | ${r.durability} | ${r.in_flight} | ${formatSpread(e2e?.per_s)}${e2e?.incomplete ? ' ⚠' : ''} | ${r.id === 'ceiling' ? '1.00×' : ratio(e2e?.per_s?.median, base)} | ${formatSpread(e2e?.cpu_us)} | ${r.id === 'ceiling' ? 'n/a' : fmt(rounded(e2e?.ingest_per_s?.median))} | ${e2e ? `${e2e.bursts} (${e2e.noisy})` : '—'} |`,
    );
  }
  return rows.join('\n');
}

/** The other scenarios: latency at a fixed load, fan-out, a hanging endpoint, a backlog. */
export function scenariosTable(results: readonly SystemResult[], backlogEvents: number): string {
  const ceiling = results.find((r) => r.id === 'ceiling');
  const fanBase = ceiling?.fanout?.fanout.deliveries_per_s;
  const rows = [
    '| System | p50 / p99 ms @ 1,000 ev/s | CPU µs per event @ 1,000 ev/s | Peak RSS MB (bursts) | Fan-out ×10 deliveries/s (× ceiling) | Healthy 9: no hang → 1 hanging (loss) | Backlog ' +
      `${backlogEvents.toLocaleString('en-US')}: drain ev/s, peak RSS MB |`,
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of results) {
    const lat = r.latency;
    const fan = r.fanout?.fanout;
    const hang = r.fanout?.hang;
    const bl = r.backlog;
    const cells = [
      r.label,
      lat ? latencyCell(lat) : '—',
      fmt(lat?.cpu_us_per_event),
      fmt(r.e2e?.peak_rss_mb),
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
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** Where the CPU went: seconds per group of processes, over all of a system's bursts and at 1,000 ev/s. */
export function cpuTable(results: readonly SystemResult[]): string {
  const rows = [
    '| System | run | wall s | system | store (PostgreSQL, Redis) | receiver | load generator | other processes | busy cores |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const sum = (spans: ReadonlyArray<Readonly<Record<string, number>>>) => {
    const total: Record<string, number> = {};
    for (const span of spans)
      for (const [key, value] of Object.entries(span))
        total[key] = Math.round(((total[key] ?? 0) + value) * 100) / 100;
    return total;
  };
  for (const r of results) {
    const spans: Array<[string, Readonly<Record<string, number>> | undefined]> = [
      [`${r.bursts.length} bursts`, r.bursts.length ? sum(r.bursts.map((b) => b.cpu_seconds)) : undefined],
      ['1,000 ev/s', r.latency?.cpu_seconds],
    ];
    for (const [run, cpu] of spans) {
      if (!cpu) continue;
      const busy = ['system', 'store', 'receiver', 'load_generator', 'other'].reduce(
        (t, k) => t + (cpu[k] ?? 0),
        0,
      );
      rows.push(
        `| ${r.label} | ${run} | ${cpu.wall} | ${cpu.system} | ${cpu.store} | ${cpu.receiver} | ${cpu.load_generator} | ${cpu.other} | ${(busy / (cpu.wall || 1)).toFixed(2)} |`,
      );
    }
  }
  return rows.join('\n');
}

/** The targets next to what was measured (medians of the bursts). */
export function targetsTable(results: readonly SystemResult[], backlogEvents: number): string {
  const byId = new Map(results.map((r) => [r.id, r]));
  const rate = (id: string) => byId.get(id)?.e2e?.per_s?.median ?? null;
  const cost = (id: string) => byId.get(id)?.e2e?.cpu_us?.median ?? null;
  const rows = ['| Target | System | Measured | Status |', '|---|---|--:|---|'];
  const status = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : '**not met**');
  const against = (target: string, id: string, name: string, base: number | null, at: number, of = rate) => {
    const value = of(id);
    const r = value !== null && base ? value / base : null;
    rows.push(
      `| ${target} | ${name} | ${r === null ? '—' : `${r.toFixed(2)}×`} | ${status(r === null ? null : r >= at)} |`,
    );
  };
  against('End to end ≥ 0.42× the ceiling', 'hooklane-sqlite', 'SQLite', rate('ceiling'), 0.42);
  against('End to end ≥ 1.5× BullMQ, appendfsync always', 'hooklane-sqlite', 'SQLite', rate('bullmq'), 1.5);
  against(
    'End to end ≥ 1.3× BullMQ without persistence',
    'hooklane-sqlite',
    'SQLite',
    rate('bullmq-volatile'),
    1.3,
  );
  against('End to end ≥ 1.5× pg-boss', 'hooklane-sqlite', 'SQLite', rate('pgboss'), 1.5);
  against('End to end ≥ 1.3× pg-boss', 'hooklane-postgres', 'PostgreSQL, 1 process', rate('pgboss'), 1.3);
  against(
    'End to end ≥ 1.0× pg-boss',
    'hooklane-postgres-split',
    'PostgreSQL, API + 2 workers',
    rate('pgboss'),
    1.0,
  );
  // Lower is better for CPU: compare durable BullMQ's cost with Hooklane's, ≥ 2× means ≤ 0.5×.
  const bullmqCost = cost('bullmq');
  const sqliteCost = cost('hooklane-sqlite');
  const costRatio =
    bullmqCost !== null && sqliteCost !== null && bullmqCost > 0 ? sqliteCost / bullmqCost : null;
  rows.push(
    `| CPU per event ≤ 0.5× BullMQ's, appendfsync always | SQLite | ${costRatio === null ? '—' : `${costRatio.toFixed(2)}×`} | ${status(costRatio === null ? null : costRatio <= 0.5)} |`,
  );
  for (const [id, name, limit] of [
    ['hooklane-sqlite', 'SQLite', 25],
    ['hooklane-postgres', 'PostgreSQL, 1 process', 50],
  ] as const) {
    const lat = byId.get(id)?.latency;
    const p99 = lat?.p99_ms ?? null;
    const tookAll = lat?.complete === true && lat.accepted >= lat.rate * lat.seconds;
    const measured =
      p99 === null
        ? '—'
        : `${p99.toLocaleString('en-US')} ms${tookAll ? '' : ` (took only ${Math.round(lat!.accepted / lat!.seconds).toLocaleString('en-US')} ev/s)`}`;
    rows.push(
      `| p99 ≤ ${limit} ms at 1,000 ev/s, after the bursts | ${name} | ${measured} | ${status(p99 === null ? null : p99 <= limit && tookAll)} |`,
    );
  }
  for (const [id, name] of [
    ['hooklane-sqlite', 'SQLite'],
    ['hooklane-postgres', 'PostgreSQL, 1 process'],
  ] as const) {
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

/** The Markdown the bench prints: the end-to-end table, the other scenarios, where the CPU went, the targets. */
export function renderReport(report: BenchReport): string {
  const { machine, sizes, results } = report;
  if (!results.every((r) => Array.isArray(r.bursts))) {
    return 'This results file was written by an earlier version of the bench, before its alternating rounds: read its JSON.\n';
  }
  return [
    `## Hooklane bench (${report.mode}, ${report.date}, ${report.seconds} s${report.aborted ? ', ABORTED at the time limit' : ''})`,
    '',
    `${machine.nproc} cores (${machine.cpu}), ${machine.memory_gb} GB, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}.`,
    `End to end: ${sizes.rounds} rounds, the systems' order reversed every other round; in each, a fresh instance of each system takes ${sizes.burstsPerRound} bursts of ${sizes.e2eEvents.toLocaleString('en-US')} events (batches of ${sizes.batchSize}, ${sizes.clients} clients), after waiting for the 1-minute load average to fall under ${sizes.quietLoad}. A burst is noisy when other processes used over 0.2 cores meanwhile. Latency: ${sizes.latencyRate.toLocaleString('en-US')} single-event requests/s for ${sizes.latencySeconds} s right after the last round's bursts; fan-out: ${sizes.fanoutEvents.toLocaleString('en-US')} events × ${sizes.fanoutWebhooks} webhooks; ⚠ = not every event was accepted (202) or arrived in time (see the JSON).`,
    '',
    endToEndTable(results),
    '',
    scenariosTable(results, sizes.backlogEvents),
    '',
    `CPU seconds by process group (${machine.nproc} cores: at most ${machine.nproc} busy cores; "other processes" is the rest of the machine):`,
    '',
    cpuTable(results),
    '',
    targetsTable(results, sizes.backlogEvents),
    '',
  ].join('\n');
}
