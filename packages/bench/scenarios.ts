import { setTimeout as sleep } from 'node:timers/promises';
import { measureCpu, microsPerEvent, otherCores } from './cpu.ts';
import { nowMs, pollUntil } from './events.ts';
import { burst, type IngestTarget, paced } from './load.ts';
import type { Receiver, ReceiverStats } from './receiver.ts';
import { sampleRss } from './rss.ts';
import { newSecret } from './sign.ts';
import type { BenchSystem, RunningSystem, Target } from './systems/types.ts';

/** How much each scenario sends (quick mode sends less). */
export interface Sizes {
  readonly warmupEvents: number;
  readonly e2eEvents: number;
  /**
   * Rounds of the end-to-end run: in each, every system in turn (the order reversed every other
   * round) starts a fresh instance and takes `burstsPerRound` bursts; the table shows the median
   * and the range of all its bursts, because one burst moved by tens of percent between runs on
   * a shared machine.
   */
  readonly rounds: number;
  readonly burstsPerRound: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly fanoutEvents: number;
  readonly backlogEvents: number;
  /** Longest wait for one scenario's deliveries before it is reported incomplete. */
  readonly waitMs: number;
  /**
   * Longest wait for the healthy 9 with one endpoint hanging. A pipeline that lets the
   * hanging endpoint hold its workers may need far longer; its rate is then measured over
   * what arrived in this window.
   */
  readonly hangWaitMs: number;
  /** Longest wait for a backlog to drain; the drain rate is then measured over what arrived. */
  readonly drainWaitMs: number;
  /** Quiet time between runs on one instance, so trailing writes settle. */
  readonly pauseMs: number;
  readonly batchSize: number;
  readonly clients: number;
}

export interface Bench {
  readonly receiver: Receiver;
  /** The second receiver: webhook 10 of the fan-out; never answers in the hanging run. */
  readonly hangReceiver: Receiver;
  readonly sizes: Sizes;
  /** Overall hard deadline (ms, `nowMs()` clock). */
  readonly deadline: number;
  readonly log: (line: string) => void;
}

export const FANOUT_WEBHOOKS = 10;
const DEFAULT_TIMEOUT_MS = 15_000;
const HANG_TIMEOUT_MS = 2_000;

const round = (value: number) => Math.round(value);
const seconds = (from: number, to: number) => Math.max(0.001, (to - from) / 1000);

/** Polls the receivers until `done` holds, or the wait (bounded by the overall deadline) runs out. */
async function waitFor(
  bench: Bench,
  receivers: readonly Receiver[],
  done: (stats: ReceiverStats[]) => boolean,
  waitMs: number = bench.sizes.waitMs,
): Promise<{ stats: ReceiverStats[]; complete: boolean }> {
  const until = Math.min(nowMs() + waitMs, bench.deadline);
  const { value, complete } = await pollUntil(
    () => Promise.all(receivers.map((receiver) => receiver.stats())),
    done,
    until,
    100,
  );
  return { stats: value, complete };
}

function targetsFor(bench: Bench, count: number, lastOnHangReceiver: boolean): Target[] {
  return Array.from({ length: count }, (_, index) => ({
    url:
      lastOnHangReceiver && index === count - 1
        ? `${bench.hangReceiver.url}/hook/${index}`
        : `${bench.receiver.url}/hook/${index}`,
    secret: newSecret(),
  }));
}

/**
 * Sends `events` events through a system (batches from concurrent ingest clients, or the
 * ceiling's own sender) and reports when it started and when the last 202 came.
 */
async function send(
  bench: Bench,
  system: RunningSystem,
  targets: readonly Target[],
  events: number,
  timeoutMs: number,
): Promise<{
  startedAt: number;
  accepted: number;
  lastAcceptedAt: number | null;
  ingestPerSecond: number | null;
  failures: Record<string, number>;
}> {
  if (system.direct) {
    // The ceiling resolves once every request is answered; waitFor tracks the arrivals.
    const startedAt = nowMs();
    void system.direct.burst({ events, targets, timeoutMs, deadline: bench.deadline });
    return { startedAt, accepted: events, lastAcceptedAt: null, ingestPerSecond: null, failures: {} };
  }
  const result = await burst(system.ingest as IngestTarget, {
    events,
    batchSize: bench.sizes.batchSize,
    clients: bench.sizes.clients,
    deadline: bench.deadline,
  });
  return {
    startedAt: result.startedAt,
    accepted: result.accepted,
    lastAcceptedAt: result.lastAcceptedAt,
    ingestPerSecond: result.ingestPerSecond,
    failures: result.failures,
  };
}

async function warmUp(
  bench: Bench,
  system: RunningSystem,
  targets: readonly Target[],
  events: number,
  receivers: Receiver[],
) {
  const sent = await send(bench, system, targets, events, DEFAULT_TIMEOUT_MS);
  const total = sent.accepted * targets.length;
  await waitFor(bench, receivers, (stats) => stats.reduce((sum, s) => sum + s.unique, 0) >= total);
  await sleep(bench.sizes.pauseMs);
  await Promise.all(receivers.map((receiver) => receiver.reset()));
}

/** Above this many cores used by other processes during a burst, the burst is marked noisy. */
export const NOISY_CORES = 0.2;

/** The CPU groups of a measured span: the system, its store's server, the receiver. */
function cpuGroups(bench: Bench, system: RunningSystem) {
  return {
    system: () => system.pids(),
    store: () => system.storePids(),
    receiver: () => [bench.receiver.child.pid],
  };
}

/** One end-to-end run: `e2eEvents` events through the system, until the last one arrives. */
async function endToEnd(
  bench: Bench,
  system: RunningSystem,
  targets: readonly Target[],
  roundNumber: number,
) {
  const { receiver, sizes } = bench;
  const rss = sampleRss(() => system.pids());
  const cpu = measureCpu(cpuGroups(bench, system));
  const sent = await send(bench, system, targets, sizes.e2eEvents, DEFAULT_TIMEOUT_MS);
  const { stats, complete } = await waitFor(bench, [receiver], ([s]) => s!.unique >= sent.accepted);
  const memory = rss.stop();
  const cpuSeconds = cpu.stop();
  const received = stats[0]!;
  const other = otherCores(cpuSeconds);
  const e2e = {
    round: roundNumber,
    events: sizes.e2eEvents,
    accepted: sent.accepted,
    delivered: received.unique,
    complete,
    seconds: received.lastAt ? seconds(sent.startedAt, received.lastAt) : null,
    e2e_per_s: received.lastAt ? round(received.unique / seconds(sent.startedAt, received.lastAt)) : 0,
    ingest_per_s: sent.ingestPerSecond,
    ingest_failures: sent.failures,
    duplicates: received.duplicates,
    unsigned: received.unsigned,
    latency_under_burst_ms: {
      p50: received.latency.p50,
      p99: received.latency.p99,
      max: received.latency.max,
    },
    peak_rss_mb: memory.peakMb,
    hwm_sum_mb: memory.hwmSumMb,
    /** CPU of the system's processes and its store's server per delivered event. */
    cpu_us_per_event: microsPerEvent(cpuSeconds, received.unique),
    /** Cores' worth of CPU other processes used meanwhile; above NOISY_CORES the burst is marked. */
    other_cores: other,
    noisy: other > NOISY_CORES,
    cpu_seconds: cpuSeconds,
  };
  bench.log(
    `    ${e2e.e2e_per_s} ev/s end to end, ${e2e.cpu_us_per_event} µs CPU/event (store included), ingest ${e2e.ingest_per_s ?? '-'} ev/s, ${memory.peakMb} MB${e2e.noisy ? `; noisy: other processes used ${other} cores` : ''}`,
  );
  return e2e;
}

export type Burst = Awaited<ReturnType<typeof endToEnd>>;

/**
 * One round of one system: a fresh instance, a warm-up, `burstsPerRound` end-to-end bursts to
 * one webhook and, when `withLatency`, the latency at a fixed offered load right after them.
 */
export async function roundOfBursts(
  bench: Bench,
  def: BenchSystem,
  roundNumber: number,
  withLatency: boolean,
) {
  const targets = targetsFor(bench, 1, false);
  const system = await def.start({ targets, deliveryTimeoutMs: DEFAULT_TIMEOUT_MS, deliver: true });
  try {
    const { receiver, sizes } = bench;
    await receiver.reset();
    await warmUp(bench, system, targets, sizes.warmupEvents, [receiver]);

    const bursts: Burst[] = [];
    // Bursts while the overall deadline allows; one the deadline cut short is not counted.
    for (let n = 1; n <= sizes.burstsPerRound && nowMs() < bench.deadline; n++) {
      bench.log(
        `  end to end: ${sizes.e2eEvents} events (round ${roundNumber}, burst ${n} of ${sizes.burstsPerRound})`,
      );
      const burst = await endToEnd(bench, system, targets, roundNumber);
      if (burst.accepted === burst.events || nowMs() < bench.deadline) bursts.push(burst);
      await sleep(sizes.pauseMs);
      await receiver.reset();
    }
    if (!withLatency || nowMs() >= bench.deadline) return { bursts, latency: undefined };

    bench.log(`  latency: ${sizes.latencyRate} ev/s for ${sizes.latencySeconds} s`);
    const durationMs = sizes.latencySeconds * 1000;
    const latencyCpu = measureCpu(cpuGroups(bench, system));
    let offered: number;
    let skipped = 0;
    let accepted: number;
    let achievedRate: number;
    let ack: { p50: number | null; p99: number | null } = { p50: null, p99: null };
    let failures: Record<string, number> = {};
    if (system.direct) {
      const result = await system.direct.paced({
        rate: sizes.latencyRate,
        durationMs,
        target: targets[0]!,
        timeoutMs: DEFAULT_TIMEOUT_MS,
      });
      offered = result.offered;
      accepted = result.offered - result.failed;
      achievedRate = round(result.offered / seconds(result.startedAt, result.endedAt));
    } else {
      const result = await paced(system.ingest!, { rate: sizes.latencyRate, durationMs });
      offered = result.offered;
      skipped = result.skipped;
      accepted = result.accepted;
      achievedRate = result.achievedRate;
      ack = { p50: result.ackP50, p99: result.ackP99 };
      failures = result.failures;
    }
    const latencyWait = await waitFor(bench, [receiver], ([s]) => s!.unique >= accepted);
    const latencyCpuSeconds = latencyCpu.stop();
    const lat = latencyWait.stats[0]!;
    const latency = {
      rate: sizes.latencyRate,
      seconds: sizes.latencySeconds,
      /** Requests sent; `skipped` were not, because 2,000 were already waiting for their 202. */
      offered,
      skipped,
      accepted,
      achieved_rate: achievedRate,
      delivered: lat.unique,
      complete: latencyWait.complete,
      p50_ms: lat.latency.p50,
      p90_ms: lat.latency.p90,
      p99_ms: lat.latency.p99,
      max_ms: lat.latency.max,
      ack_p50_ms: ack.p50,
      ack_p99_ms: ack.p99,
      ingest_failures: failures,
      cpu_us_per_event: microsPerEvent(latencyCpuSeconds, lat.unique),
      other_cores: otherCores(latencyCpuSeconds),
      cpu_seconds: latencyCpuSeconds,
    };
    bench.log(`    p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms (${lat.unique}/${accepted} delivered)`);
    return { bursts, latency };
  } finally {
    await system.stop();
  }
}

/**
 * Fan-out to 10 webhooks (9 on the receiver, the 10th on the second receiver), then the
 * same with the 10th never answering (delivery timeout 2 s in both runs): the healthy 9's
 * deliveries/s with and without it.
 */
export async function fanoutAndHang(bench: Bench, def: BenchSystem) {
  const { receiver, hangReceiver, sizes } = bench;
  const targets = targetsFor(bench, FANOUT_WEBHOOKS, true);
  const healthy = FANOUT_WEBHOOKS - 1;
  await hangReceiver.setMode({ kind: 'ok' });
  const system = await def.start({ targets, deliveryTimeoutMs: HANG_TIMEOUT_MS, deliver: true });
  try {
    await Promise.all([receiver.reset(), hangReceiver.reset()]);
    await warmUp(bench, system, targets, Math.ceil(sizes.warmupEvents / FANOUT_WEBHOOKS), [
      receiver,
      hangReceiver,
    ]);

    bench.log(`  fan-out: ${sizes.fanoutEvents} events × ${FANOUT_WEBHOOKS} webhooks`);
    const rss = sampleRss(() => system.pids());
    const sent = await send(bench, system, targets, sizes.fanoutEvents, HANG_TIMEOUT_MS);
    const wait = await waitFor(
      bench,
      [receiver, hangReceiver],
      ([main, other]) => main!.unique >= sent.accepted * healthy && other!.unique >= sent.accepted,
    );
    const memory = rss.stop();
    const [main, other] = wait.stats as [ReceiverStats, ReceiverStats];
    const lastAll = Math.max(main.lastAt ?? 0, other.lastAt ?? 0);
    const fanout = {
      events: sizes.fanoutEvents,
      accepted: sent.accepted,
      deliveries: main.unique + other.unique,
      complete: wait.complete,
      deliveries_per_s: lastAll ? round((main.unique + other.unique) / seconds(sent.startedAt, lastAll)) : 0,
      healthy9_per_s: main.lastAt ? round(main.unique / seconds(sent.startedAt, main.lastAt)) : 0,
      ingest_per_s: sent.ingestPerSecond,
      duplicates: main.duplicates + other.duplicates,
      peak_rss_mb: memory.peakMb,
    };
    bench.log(`    ${fanout.deliveries_per_s} deliveries/s (healthy 9: ${fanout.healthy9_per_s}/s)`);

    await sleep(sizes.pauseMs);
    await Promise.all([receiver.reset(), hangReceiver.reset()]);
    await hangReceiver.setMode({ kind: 'hang' });
    bench.log(
      `  one hanging: ${sizes.fanoutEvents} events × ${FANOUT_WEBHOOKS} webhooks, webhook 10 never answers`,
    );
    const hangRss = sampleRss(() => system.pids());
    const hangSent = await send(bench, system, targets, sizes.fanoutEvents, HANG_TIMEOUT_MS);
    const hangWait = await waitFor(
      bench,
      [receiver, hangReceiver],
      ([m]) => m!.unique >= hangSent.accepted * healthy,
      sizes.hangWaitMs,
    );
    const hangMemory = hangRss.stop();
    const [hangMain, hung] = hangWait.stats as [ReceiverStats, ReceiverStats];
    const healthyRate = hangMain.lastAt
      ? round(hangMain.unique / seconds(hangSent.startedAt, hangMain.lastAt))
      : 0;
    const hang = {
      events: sizes.fanoutEvents,
      accepted: hangSent.accepted,
      healthy_deliveries: hangMain.unique,
      complete: hangWait.complete,
      healthy9_per_s: healthyRate,
      loss_vs_fanout: fanout.healthy9_per_s
        ? Math.round((1 - healthyRate / fanout.healthy9_per_s) * 1000) / 1000
        : null,
      hung_requests: hung.hung,
      ingest_per_s: hangSent.ingestPerSecond,
      peak_rss_mb: hangMemory.peakMb,
    };
    bench.log(
      `    healthy 9: ${healthyRate}/s (${hang.loss_vs_fanout === null ? '-' : `${round(hang.loss_vs_fanout * 100)}% loss`})`,
    );
    await system.direct?.abort();
    return { fanout, hang };
  } finally {
    await system.stop();
    await hangReceiver.setMode({ kind: 'ok' });
  }
}

/**
 * A backlog: `backlogEvents` events ingested while nothing delivers (API/ingest side only),
 * then delivery starts; the system's RSS is sampled while it drains.
 */
export async function backlog(bench: Bench, def: BenchSystem) {
  const { receiver, sizes } = bench;
  const targets = targetsFor(bench, 1, false);
  const system = await def.start({ targets, deliveryTimeoutMs: DEFAULT_TIMEOUT_MS, deliver: false });
  try {
    await receiver.reset();
    bench.log(`  backlog: ingesting ${sizes.backlogEvents} events with delivery stopped`);
    const ingestRss = sampleRss(() => system.pids());
    const sent = await send(bench, system, targets, sizes.backlogEvents, DEFAULT_TIMEOUT_MS);
    const ingestMemory = ingestRss.stop();
    bench.log(`    ingested at ${sent.ingestPerSecond} ev/s; draining`);
    const rss = sampleRss(() => system.pids());
    await system.startDelivery();
    // The drain rate counts from when delivery runs (not the process start); RSS covers both.
    const drainStartedAt = nowMs();
    const wait = await waitFor(bench, [receiver], ([s]) => s!.unique >= sent.accepted, sizes.drainWaitMs);
    const memory = rss.stop();
    const drained = wait.stats[0]!;
    const result = {
      events: sizes.backlogEvents,
      accepted: sent.accepted,
      ingest_per_s: sent.ingestPerSecond,
      ingest_peak_rss_mb: ingestMemory.peakMb,
      delivered: drained.unique,
      complete: wait.complete,
      drain_per_s: drained.lastAt ? round(drained.unique / seconds(drainStartedAt, drained.lastAt)) : 0,
      peak_rss_mb: memory.peakMb,
      hwm_sum_mb: memory.hwmSumMb,
    };
    bench.log(`    drained at ${result.drain_per_s} ev/s, peak RSS ${memory.peakMb} MB`);
    return result;
  } finally {
    await system.stop();
  }
}
