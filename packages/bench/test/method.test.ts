import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { account, microsPerEvent, otherCores, parseMachineBusy, parseProcessStat } from '../cpu.ts';
import { parseLoadavg, quietDecision, waitForQuiet } from '../quiet.ts';
import { endToEndTable, type SystemResult, summariseBursts } from '../report.ts';
import type { Burst } from '../scenarios.ts';
import { formatSpread, median, roundOrder, spread } from '../stats.ts';

describe('median and range', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('gives the median, the lowest and the highest, and prints them', () => {
    const values = spread([4_100, 3_900, 5_200, 4_000, 4_400, 3_800]);
    assert.deepEqual(values, { median: 4_050, min: 3_800, max: 5_200, n: 6 });
    assert.equal(formatSpread(values), '4,050 (3,800–5,200)');
    assert.equal(formatSpread(spread([7])), '7');
    assert.equal(spread([]), null);
    assert.equal(formatSpread(null), '—');
  });
});

describe('the alternating schedule', () => {
  it('runs every system each round, the order reversed every other round', () => {
    assert.deepEqual(roundOrder(['A', 'B'], 3), [
      ['A', 'B'],
      ['B', 'A'],
      ['A', 'B'],
    ]);
    const order = roundOrder(['A', 'B', 'C'], 4);
    assert.deepEqual(order[1], ['C', 'B', 'A']);
    // Over an even number of rounds every system holds every position equally often on average.
    const meanPosition = (id: string) =>
      order.reduce((sum, round) => sum + round.indexOf(id), 0) / order.length;
    assert.deepEqual(['A', 'B', 'C'].map(meanPosition), [1, 1, 1]);
  });
});

describe('the wait for a quiet machine', () => {
  it('reads the 1-minute load average from /proc/loadavg', () => {
    assert.equal(parseLoadavg('0.42 0.61 0.70 2/345 12345\n'), 0.42);
    assert.throws(() => parseLoadavg(''), /unexpected/);
  });

  it('goes on under the threshold, waits over it, and gives up at the bound', () => {
    assert.equal(quietDecision({ load: 0.99, threshold: 1, now: 0, giveUpAt: 0 }), 'quiet');
    assert.equal(quietDecision({ load: 1, threshold: 1, now: 0, giveUpAt: 10 }), 'wait');
    assert.equal(quietDecision({ load: 3.5, threshold: 1, now: 10, giveUpAt: 10 }), 'give-up');
  });

  it('waits until the load falls, and says nothing of giving up', async () => {
    const readings = ['2.10 1 1 1/1 1', '1.20 1 1 1/1 1', '0.80 1 1 1/1 1'];
    const lines: string[] = [];
    const wait = await waitForQuiet({
      threshold: 1,
      maxWaitMs: 5_000,
      pollMs: 1,
      log: (line) => lines.push(line),
      read: () => readings.shift()!,
    });
    assert.equal(wait.quiet, true);
    assert.equal(wait.load, 0.8);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /waiting for a quiet machine/);
  });

  it('gives up after the bounded wait with a note', async () => {
    const lines: string[] = [];
    const wait = await waitForQuiet({
      threshold: 1,
      maxWaitMs: 20,
      pollMs: 5,
      log: (line) => lines.push(line),
      read: () => '6.02 6.45 7.02 9/900 4242',
    });
    assert.equal(wait.quiet, false);
    assert.equal(wait.load, 6.02);
    assert.ok(wait.waitedMs >= 20);
    assert.match(lines.at(-1)!, /still busy \(1-minute load 6.02 ≥ 1\)/);
  });
});

describe('CPU accounting from /proc samples', () => {
  it('reads utime + stime of a process whose name holds spaces and parentheses', () => {
    const stat =
      '4242 (postgres: a (b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 1 0 99 1000 10';
    assert.deepEqual(parseProcessStat(stat), { comm: 'postgres: a (b)', ticks: 1_801 });
  });

  it("reads the machine's busy ticks, without idle and iowait", () => {
    const procStat = 'cpu  100 5 50 9000 700 3 2 40 0 0\ncpu0 50 2 25 4500 350 1 1 20 0 0\n';
    assert.equal(parseMachineBusy(procStat), 100 + 5 + 50 + 3 + 2 + 40);
  });

  it('counts as other what no group accounts for, and the cost per event of system and store', () => {
    const cpu = account({
      groupTicks: { system: 150, store: 60, receiver: 30 },
      selfSeconds: 0.4,
      machineTicks: 330,
      wallSeconds: 2,
    });
    assert.deepEqual(cpu, {
      system: 1.5,
      store: 0.6,
      receiver: 0.3,
      load_generator: 0.4,
      other: 0.5,
      wall: 2,
    });
    assert.equal(otherCores(cpu), 0.25);
    // (1.5 + 0.6) s over 10,000 delivered events: 210 µs each.
    assert.equal(microsPerEvent(cpu, 10_000), 210);
    assert.equal(microsPerEvent(cpu, 0), 0);
    // The machine never reports less than the groups' sum as other processes.
    assert.equal(
      account({ groupTicks: { system: 100 }, selfSeconds: 0, machineTicks: 90, wallSeconds: 1 }).other,
      0,
    );
  });
});

describe('the report', () => {
  const burst = (round: number, perSecond: number, cpuMicros: number, noisy: boolean) =>
    ({
      round,
      events: 1_000,
      accepted: 1_000,
      complete: true,
      e2e_per_s: perSecond,
      ingest_per_s: perSecond * 2,
      cpu_us_per_event: cpuMicros,
      noisy,
      peak_rss_mb: 100 + round,
      cpu_seconds: {},
    }) as unknown as Burst;

  it("summarises a system's bursts as medians and ranges and counts the noisy ones", () => {
    const summary = summariseBursts([
      burst(1, 4_000, 200, false),
      burst(2, 5_000, 180, true),
      burst(3, 4_500, 190, false),
    ]);
    assert.deepEqual(summary.per_s, { median: 4_500, min: 4_000, max: 5_000, n: 3 });
    assert.deepEqual(summary.cpu_us, { median: 190, min: 180, max: 200, n: 3 });
    assert.equal(summary.noisy, 1);
    assert.equal(summary.incomplete, 0);
    assert.equal(summary.peak_rss_mb, 103);
  });

  it('prints durability, in-flight and CPU per event beside events/s', () => {
    const bursts = [burst(1, 4_000, 200, false), burst(2, 5_000, 180, true)];
    const result: SystemResult = {
      id: 'bullmq',
      label: 'BullMQ',
      shape: '',
      durability: 'fsync before the 202 (Redis AOF, appendfsync always)',
      in_flight: '32',
      bursts,
      e2e: summariseBursts(bursts),
      quiet: [{ load: 3, waitedMs: 0, quiet: false, before: 'round 1' }],
      errors: [],
    };
    const [header, , row] = endToEndTable([result]).split('\n');
    assert.match(
      header!,
      /Durability of a 202 \| In flight toward the receiver \| End to end ev\/s, median \(range\)/,
    );
    assert.match(header!, /CPU µs per event, store included/);
    assert.equal(
      row,
      '| BullMQ (started 1× on a busy machine) | fsync before the 202 (Redis AOF, appendfsync always) | 32 | 4,500 (4,000–5,000) | — | 190 (180–200) | 9,000 | 2 (1) |',
    );
  });
});
