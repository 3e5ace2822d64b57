import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitHandlers, shutdown } from './children.ts';
import { backgroundLoad } from './cpu.ts';
import { nowMs } from './events.ts';
import { isPostgresGone, postmasterStart, waitForPostgres } from './postgres.ts';
import { startReceiver } from './receiver.ts';
import { type BenchReport, describeMachine, renderReport, type SystemResult, writeJson } from './report.ts';
import {
  type Bench,
  backlog,
  FANOUT_WEBHOOKS,
  fanoutAndHang,
  type Sizes,
  throughputAndLatency,
} from './scenarios.ts';
import { bullmqPeer } from './systems/bullmq.ts';
import { ceiling } from './systems/ceiling.ts';
import { hooklanePostgres } from './systems/hooklane-postgres.ts';
import { hooklanePostgresSplit } from './systems/hooklane-postgres-split.ts';
import { hooklaneSqlite } from './systems/hooklane-sqlite.ts';
import { pgbossPeer } from './systems/pgboss.ts';
import type { BenchSystem } from './systems/types.ts';

/**
 * `npm run bench [-- --quick] [--systems=ceiling,hooklane-sqlite,...] [--time-limit=<seconds>]`
 * `npm run bench -- --report=results/<file>.json` re-prints the tables of an earlier run.
 *
 * Starts a receiver (and a second one for the hanging-endpoint run), then for each system,
 * one after the other on the same receiver and the same ~1 KB events: end-to-end and ingest
 * throughput, latency at a fixed 1,000 events/s, fan-out to 10 webhooks with and without one
 * hanging, and peak RSS while draining a backlog. Prints a Markdown table; writes JSON to
 * results/<date>[-quick].json in this package. Every child process is killed on exit.
 */

const SYSTEMS: readonly BenchSystem[] = [
  ceiling,
  hooklaneSqlite,
  hooklanePostgres,
  hooklanePostgresSplit,
  bullmqPeer,
  pgbossPeer,
];

const QUICK: Sizes = {
  warmupEvents: 100,
  e2eEvents: 2_000,
  e2eRuns: 1,
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
  e2eRuns: 3,
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

/** Before each system, a full run waits (at most QUIET_WAIT_MS) for other processes to use less than this. */
const QUIET_CORES = 0.25;
const QUIET_WAIT_MS = 300_000;

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
  const sizes = quick ? QUICK : FULL;
  const limitSeconds = Number(option('time-limit') ?? (quick ? 150 : 3_600));
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
    const report: BenchReport = {
      date,
      mode: quick ? 'quick' : 'full',
      aborted,
      seconds: Math.round((nowMs() - startedAt) / 1000),
      machine,
      sizes: { ...sizes, fanoutWebhooks: FANOUT_WEBHOOKS },
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

  for (const system of systems) {
    if (nowMs() >= deadline) break;
    const result: SystemResult = { id: system.id, label: system.label, shape: system.shape, errors: [] };
    results.push(result);
    const step = async (name: string, run: () => Promise<void>) => {
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
    // This machine may be shared: wait (bounded) until the rest of it is quiet.
    const quietBy = Math.min(nowMs() + (quick ? 0 : QUIET_WAIT_MS), deadline);
    result.background_cores = await backgroundLoad(quick ? 300 : 1_000);
    while (result.background_cores > QUIET_CORES && nowMs() < quietBy) {
      log(`${system.label}: the rest of the machine is busy with ${result.background_cores} cores; waiting`);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      result.background_cores = await backgroundLoad(1_000);
    }
    log(`${system.label} (the rest of the machine is busy with ${result.background_cores} cores)`);
    await step('throughput/latency', async () => {
      result.single = await throughputAndLatency(bench, system);
    });
    await step('fan-out', async () => {
      result.fanout = await fanoutAndHang(bench, system);
    });
    if (system.id !== 'ceiling') {
      await step('backlog', async () => {
        result.backlog = await backlog(bench, system);
      });
    }
  }

  clearTimeout(hardLimit);
  finish(nowMs() >= deadline);
  await receiver.stop();
  await hangReceiver.stop();
  await shutdown(0);
}

await main();
