import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitHandlers, shutdown } from './children.ts';
import { nowMs } from './events.ts';
import { isPostgresGone, postmasterStart, waitForPostgres } from './postgres.ts';
import { waitForQuiet } from './quiet.ts';
import { startReceiver } from './receiver.ts';
import {
  type BenchReport,
  describeMachine,
  renderReport,
  type SystemResult,
  summariseBursts,
  writeJson,
} from './report.ts';
import {
  type Bench,
  backlog,
  FANOUT_WEBHOOKS,
  fanoutAndHang,
  roundOfBursts,
  type Sizes,
} from './scenarios.ts';
import { roundOrder } from './stats.ts';
import { bullmqPeer, bullmqVolatilePeer, stopRedisServers } from './systems/bullmq.ts';
import { ceiling } from './systems/ceiling.ts';
import { hooklanePostgres } from './systems/hooklane-postgres.ts';
import { hooklanePostgresSplit } from './systems/hooklane-postgres-split.ts';
import { hooklaneSqlite } from './systems/hooklane-sqlite.ts';
import { pgbossPeer } from './systems/pgboss.ts';
import type { BenchSystem } from './systems/types.ts';

/**
 * `npm run bench [-- --quick] [--systems=ceiling,hooklane-sqlite,...] [--rounds=N]
 *   [--quiet-wait=<seconds>] [--time-limit=<seconds>]`
 * `npm run bench -- --report=results/<file>.json` re-prints the tables of an earlier run.
 *
 * Starts a receiver (and a second one for the hanging-endpoint run). Then, in rounds, every
 * system in turn (the order reversed every other round) starts a fresh instance and takes its
 * end-to-end bursts (throughput and CPU per event, its store's included); after the last round's
 * bursts, latency at a fixed 1,000 events/s. Then, system by system, fan-out to 10 webhooks with
 * and without one hanging, and peak RSS while draining a backlog. Before each start it waits
 * (bounded) for the machine's 1-minute load average to fall under 1.0. Prints Markdown tables;
 * writes JSON to results/<date>[-quick].json in this package. Every child process, the Redis
 * servers it started included, is killed on exit.
 */

const SYSTEMS: readonly BenchSystem[] = [
  ceiling,
  hooklaneSqlite,
  hooklanePostgres,
  hooklanePostgresSplit,
  bullmqPeer,
  bullmqVolatilePeer,
  pgbossPeer,
];

const QUICK: Sizes = {
  warmupEvents: 100,
  e2eEvents: 1_000,
  // Enough to run the alternation; a full run takes at least 3.
  rounds: 2,
  burstsPerRound: 2,
  latencyRate: 1_000,
  latencySeconds: 3,
  fanoutEvents: 200,
  backlogEvents: 10_000,
  waitMs: 4_000,
  hangWaitMs: 2_500,
  drainWaitMs: 4_000,
  pauseMs: 200,
  batchSize: 50,
  clients: 4,
};

const FULL: Sizes = {
  warmupEvents: 2_000,
  e2eEvents: 20_000,
  rounds: 3,
  burstsPerRound: 2,
  latencyRate: 1_000,
  latencySeconds: 20,
  fanoutEvents: 2_000,
  backlogEvents: 100_000,
  waitMs: 180_000,
  hangWaitMs: 60_000,
  drainWaitMs: 240_000,
  pauseMs: 1_000,
  batchSize: 50,
  clients: 4,
};

/**
 * Before each start of a system the run waits until the 1-minute load average is under this,
 * for at most `--quiet-wait` seconds (a full run: 120 s, since a burst of the bench itself
 * raises the average for a while; a quick run: 0, it only says when the machine is busy).
 */
const QUIET_LOAD = 1.0;
const QUIET_WAIT_SECONDS = { full: 120, quick: 0 };

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(prefix));
  if (arg !== undefined) return arg === `--${name}` ? 'true' : arg.slice(prefix.length);
  const fromNpm = process.env[`npm_config_${name.replaceAll('-', '_')}`];
  return fromNpm === '' ? undefined : fromNpm;
}

async function main(): Promise<void> {
  installExitHandlers();
  const saved = option('report');
  if (saved) {
    // Re-print the tables of an earlier run without measuring anything.
    // npm runs the script in the package folder; INIT_CWD is where the command was typed.
    const typed = resolve(process.env.INIT_CWD ?? process.cwd(), saved);
    const path = existsSync(typed) ? typed : resolve(saved);
    process.stdout.write(renderReport(JSON.parse(readFileSync(path, 'utf8')) as BenchReport));
    return;
  }
  const quick = option('quick') === 'true';
  const rounds = Number(option('rounds') ?? (quick ? QUICK : FULL).rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number ≥ 1`);
  const sizes: Sizes = { ...(quick ? QUICK : FULL), rounds };
  const quietWaitMs = Number(option('quiet-wait') ?? QUIET_WAIT_SECONDS[quick ? 'quick' : 'full']) * 1000;
  if (!(quietWaitMs >= 0)) throw new Error('--quiet-wait must be a number of seconds ≥ 0');
  const limitSeconds = Number(option('time-limit') ?? (quick ? 240 : 5_400));
  const only = option('systems')?.split(',');
  const systems = only ? SYSTEMS.filter((s) => only.includes(s.id)) : SYSTEMS;
  const startedAt = nowMs();
  // Scenarios stop sending and waiting 10 s before the hard limit, leaving time to report.
  const deadline = startedAt + (limitSeconds - 10) * 1000;
  const date = new Date().toISOString().slice(0, 10);
  // A run of some systems only does not replace the day's full results.
  const suffix = `${quick ? '-quick' : ''}${only ? `-${systems.map((s) => s.id).join('+')}` : ''}`;
  const out = fileURLToPath(new URL(`results/${date}${suffix}.json`, import.meta.url));
  const log = (line: string) =>
    process.stderr.write(`[${String(Math.round((nowMs() - startedAt) / 1000)).padStart(4)} s] ${line}\n`);

  const machine = await describeMachine();
  log(
    `bench (${quick ? 'quick' : 'full'}): ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}; limit ${limitSeconds} s`,
  );
  const results: SystemResult[] = [];
  const finish = (aborted: boolean) => {
    // Also when the time limit cuts the rounds short: the bursts measured so far.
    for (const result of results) result.e2e = summariseBursts(result.bursts);
    const report: BenchReport = {
      date,
      mode: quick ? 'quick' : 'full',
      aborted,
      seconds: Math.round((nowMs() - startedAt) / 1000),
      machine,
      sizes: { ...sizes, fanoutWebhooks: FANOUT_WEBHOOKS, quietLoad: QUIET_LOAD },
      results,
    };
    writeJson(out, report);
    process.stdout.write(`${renderReport(report)}\nResults: ${out}\n`);
  };
  const hardLimit = setTimeout(() => {
    log(`bench: the ${limitSeconds} s time limit was reached; reporting what was measured`);
    finish(true);
    void shutdown(1);
  }, limitSeconds * 1000);
  hardLimit.unref();

  const receiver = await startReceiver('receiver');
  const hangReceiver = await startReceiver('hang-receiver');
  const bench: Bench = { receiver, hangReceiver, sizes, deadline, log };

  const resultOf = new Map<string, SystemResult>();
  for (const system of systems) {
    const result: SystemResult = {
      id: system.id,
      label: system.label,
      shape: system.shape,
      durability: system.durability,
      in_flight: system.inFlight,
      bursts: [],
      quiet: [],
      errors: [],
    };
    results.push(result);
    resultOf.set(system.id, result);
  }

  /** Runs one step of a system, once more if another process stopped or restarted PostgreSQL under it. */
  const step = async (system: BenchSystem, name: string, run: () => Promise<void>) => {
    const result = resultOf.get(system.id)!;
    for (let attempt = 1; ; attempt++) {
      if (nowMs() >= deadline) {
        result.errors.push(`${name}: skipped (time limit)`);
        return;
      }
      const before = system.store === 'postgres' ? await postmasterStart() : null;
      let failure: unknown = null;
      try {
        await run();
      } catch (error) {
        failure = error;
        result.errors.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
        log(`  ERROR ${name}: ${(error as Error).message}`);
      }
      // Other work on this machine (fault-injection tests) may stop or restart PostgreSQL.
      const restarted = system.store === 'postgres' && (await postmasterStart()) !== before;
      if (restarted)
        result.errors.push(`${name}: PostgreSQL was restarted by another process during this run`);
      if (!restarted && !(failure && isPostgresGone(failure))) return;
      if (attempt > 1) {
        result.disturbed = true;
        return;
      }
      log('  PostgreSQL was stopped or restarted during this run; retrying it once');
      if (!(await waitForPostgres(60_000))) {
        result.disturbed = true;
        return;
      }
    }
  };
  /** This machine may be shared: wait (bounded) until it is quiet before starting `system`. */
  const quietBefore = async (system: BenchSystem, before: string) => {
    const wait = await waitForQuiet({
      threshold: QUIET_LOAD,
      maxWaitMs: Math.max(0, Math.min(quietWaitMs, deadline - nowMs())),
      log,
    });
    resultOf.get(system.id)!.quiet.push({ ...wait, before });
    log(`${system.label}, ${before} (1-minute load ${wait.load})`);
  };

  // The end-to-end bursts: every system in each round, so that drift weighs on all alike.
  for (const [index, order] of roundOrder(systems, sizes.rounds).entries()) {
    const round = index + 1;
    for (const system of order) {
      if (nowMs() >= deadline) break;
      await quietBefore(system, `round ${round}`);
      await step(system, `round ${round}`, async () => {
        const { bursts, latency } = await roundOfBursts(bench, system, round, round === sizes.rounds);
        resultOf.get(system.id)!.bursts.push(...bursts);
        if (latency) resultOf.get(system.id)!.latency = latency;
      });
    }
  }
  // Fan-out, a hanging endpoint and a backlog: system by system.
  for (const system of systems) {
    if (nowMs() >= deadline) break;
    const result = resultOf.get(system.id)!;
    await quietBefore(system, 'fan-out');
    await step(system, 'fan-out', async () => {
      result.fanout = await fanoutAndHang(bench, system);
    });
    if (system.id !== 'ceiling') {
      await quietBefore(system, 'backlog');
      await step(system, 'backlog', async () => {
        result.backlog = await backlog(bench, system);
      });
    }
  }

  clearTimeout(hardLimit);
  finish(nowMs() >= deadline);
  await receiver.stop();
  await hangReceiver.stop();
  await stopRedisServers();
  await shutdown(0);
}

await main();
