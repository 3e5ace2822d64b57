import { parseArgs } from 'node:util';
import { installExitHandlers, shutdown } from './children.ts';
import { measureCpu } from './cpu.ts';
import { measureWrites } from './disk.ts';
import { nowMs, pollUntil } from './events.ts';
import { burst, paced } from './load.ts';
import { startReceiver } from './receiver.ts';
import { newSecret } from './sign.ts';
import { median } from './stats.ts';
import { hooklanePostgres } from './systems/hooklane-postgres.ts';
import { hooklanePostgresSplit } from './systems/hooklane-postgres-split.ts';
import { hooklaneSqlite } from './systems/hooklane-sqlite.ts';
import type { BenchSystem } from './systems/types.ts';

/**
 * `npm run compare -- --variants='{"base":{},"other":{"NAME":"value"}}' [--system=hooklane-sqlite]
 *   [--rounds=6] [--bursts=2] [--events=20000] [--rate=1000 --seconds=10]`
 *
 * An A/B (or A/B/C...) of one Hooklane system under environment variants: each variant's
 * processes get its variables on top of the bench's, e.g. `NODE_OPTIONS`, a setting, or
 * `NODE_DISABLE_COMPILE_CACHE=1`. Round by round every variant starts a fresh instance, warms it
 * up (2,000 events) and takes `bursts` bursts of `events` events (batches of 50 from 4 clients,
 * as the bench's end-to-end run) to one webhook; the order of the variants flips every other
 * round, so that a machine whose speed drifts weighs on each alike. Per burst: end to end
 * events/s (first request to last delivery), CPU per event of the system's processes (every
 * thread, from /proc) and of PostgreSQL's, and the bytes they wrote to storage per event. With
 * `--rate`, each instance then also takes `--seconds` (10) of single-event requests at that
 * rate, as the bench's latency run: p50 and p99 ingest → delivery, CPU per event and the bytes
 * written per event at that load. Prints each round and then, per variant, the medians. The changes these
 * figures decide are small next to a machine's drift between runs: compare only variants
 * measured together. A variant with `"NODE_OPTIONS":"--cpu-prof --cpu-prof-dir=<dir>"` writes a
 * CPU profile per process (its processes are then stopped with SIGTERM, not killed). Flags that
 * `NODE_OPTIONS` refuses (most V8 flags: `--trace-gc`, `--heap-growing-percent=N`, ...) go in
 * `"BENCH_NODE_ARGS"`, space-separated, added to `npm start`'s own.
 */

const SYSTEMS: readonly BenchSystem[] = [hooklaneSqlite, hooklanePostgres, hooklanePostgresSplit];
const WARMUP_EVENTS = 2_000;
const TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  installExitHandlers();
  const { values } = parseArgs({
    options: {
      variants: { type: 'string' },
      system: { type: 'string', default: 'hooklane-sqlite' },
      rounds: { type: 'string', default: '6' },
      bursts: { type: 'string', default: '2' },
      events: { type: 'string', default: '20000' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      timeline: { type: 'boolean', default: false },
    },
  });
  const variants = JSON.parse(values.variants ?? '{}') as Record<string, Record<string, string>>;
  const system = SYSTEMS.find((candidate) => candidate.id === values.system);
  const rounds = Number(values.rounds);
  const bursts = Number(values.bursts);
  const events = Number(values.events);
  const rate = values.rate === undefined ? 0 : Number(values.rate);
  const pacedSeconds = Number(values.seconds);
  const timeline = values.timeline === true;
  const valid = rounds > 0 && bursts > 0 && events > 0 && rate >= 0 && pacedSeconds > 0;
  if (Object.keys(variants).length === 0 || !system || !valid) {
    throw new Error(
      `usage: --variants='{"name":{"VAR":"value"},...}' [--system=${SYSTEMS.map((s) => s.id).join('|')}] [--rounds=N] [--bursts=N] [--events=N] [--rate=N --seconds=N [--timeline]]`,
    );
  }
  const usesPostgres = system.store === 'postgres';
  const receiver = await startReceiver('receiver');
  const delivered = async (count: number) => {
    const wait = await pollUntil(
      () => receiver.stats(),
      (stats) => stats.unique >= count,
      nowMs() + 180_000,
      20,
    );
    if (!wait.complete) throw new Error(`${count} events were not delivered within 180 s`);
  };
  /** One measured load: events/s, and per event CPU µs (the system's, PostgreSQL's) and KB written. */
  interface Run {
    perSecond: number;
    cpuMicros: number;
    postgresMicros: number;
    kilobytes: number;
  }
  interface PacedRun extends Run {
    p50: number;
    p99: number;
  }
  const measured = new Map<string, { bursts: Run[]; paced: PacedRun[] }>();
  /** The bursts' figures, each list of values written by `show`. */
  const burstText = (runs: readonly Run[], show: (values: readonly number[]) => string, rateUnit: string) => {
    const of = (key: keyof Run) => show(runs.map((run) => run[key]));
    const postgres = usesPostgres ? ` (+ PostgreSQL ${of('postgresMicros')})` : '';
    return `${of('perSecond')} ${rateUnit} ${of('cpuMicros')} µs of CPU per event${postgres}, ${of('kilobytes')} KB written per event`;
  };
  /** The paced runs' figures, each list of values written by `show`. */
  const pacedText = (runs: readonly PacedRun[], show: (values: readonly number[]) => string) => {
    const of = (key: keyof PacedRun) => show(runs.map((run) => run[key]));
    const postgres = usesPostgres ? ` (+ PostgreSQL ${of('postgresMicros')})` : '';
    return `; at ${rate} ev/s: p50 ${of('p50')} ms, p99 ${of('p99')} ms, ${of('cpuMicros')} µs${postgres} and ${of('kilobytes')} KB written per event`;
  };
  const listed = (values: readonly number[]) => values.join(', ');
  const summary = (values: readonly number[]) =>
    `${Math.round(median(values) * 100) / 100} (${Math.min(...values)}–${Math.max(...values)})`;
  for (let round = 1; round <= rounds; round++) {
    const names = Object.keys(variants);
    if (round % 2 === 0) names.reverse();
    for (const name of names) {
      const targets = [{ url: `${receiver.url}/compare`, secret: newSecret() }];
      const running = await system.start({
        targets,
        deliveryTimeoutMs: TIMEOUT_MS,
        deliver: true,
        env: variants[name],
      });
      try {
        await receiver.reset();
        await burst(running.ingest!, { events: WARMUP_EVENTS, deadline: nowMs() + 60_000 });
        await delivered(WARMUP_EVENTS);
        const result = measured.get(name) ?? { bursts: [], paced: [] };
        measured.set(name, result);
        /**
         * Sends `load` after a pause, waits for every accepted event: events/s, and per event the
         * CPU µs of the system's processes and of PostgreSQL's (0 for a system without it), and
         * the KB they wrote to storage.
         */
        const measure = async (pauseMs: number, load: () => Promise<{ accepted: number }>): Promise<Run> => {
          await receiver.reset();
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          const cpu = measureCpu({ system: () => running.pids(), postgres: () => running.storePids() });
          const writes = measureWrites(() => [...running.pids(), ...running.storePids()]);
          const startedAt = nowMs();
          const { accepted } = await load();
          await delivered(accepted);
          const seconds = (nowMs() - startedAt) / 1000;
          const used = cpu.stop();
          const written = writes.stop();
          const perEvent = (cpuSeconds = 0) => Math.round((cpuSeconds * 1e6) / accepted);
          return {
            perSecond: Math.round(accepted / seconds),
            cpuMicros: perEvent(used.system),
            postgresMicros: perEvent(used.postgres),
            kilobytes: Math.round(written / 1024 / accepted),
          };
        };
        const roundBursts: Run[] = [];
        for (let i = 0; i < bursts; i++) {
          roundBursts.push(
            await measure(500, () => burst(running.ingest!, { events, deadline: nowMs() + 120_000 })),
          );
        }
        result.bursts.push(...roundBursts);
        let pacedLine = '';
        if (rate > 0) {
          const run = await measure(1_000, () =>
            paced(running.ingest!, { rate, durationMs: pacedSeconds * 1000 }),
          );
          const { latency, worstBySecond } = await receiver.stats();
          if (timeline) process.stdout.write(`  worst latency per second (ms): ${worstBySecond.join(' ')}\n`);
          const pacedRun = { ...run, p50: latency.p50 ?? 0, p99: latency.p99 ?? 0 };
          result.paced.push(pacedRun);
          pacedLine = pacedText([pacedRun], listed);
        }
        process.stdout.write(
          `round ${round} ${name}: ${burstText(roundBursts, listed, 'ev/s;')}${pacedLine}\n`,
        );
      } finally {
        await running.stop();
      }
    }
  }
  for (const [name, result] of measured) {
    const pacedLine = rate > 0 ? pacedText(result.paced, summary) : '';
    process.stdout.write(
      `${name}: median ${burstText(result.bursts, summary, 'ev/s end to end,')}${pacedLine}\n`,
    );
  }
  await receiver.stop();
}

if (import.meta.main) {
  main().then(
    () => shutdown(0),
    (error: unknown) => {
      process.stderr.write(`compare: ${error instanceof Error ? error.message : String(error)}\n`);
      void shutdown(1);
    },
  );
}
