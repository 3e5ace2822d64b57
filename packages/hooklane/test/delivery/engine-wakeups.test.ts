import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { SecretBox } from '../../src/core/secrets.ts';
import { DeliveryEngine } from '../../src/delivery/engine.ts';
import { createSender } from '../../src/delivery/sender.ts';
import { createMetrics } from '../../src/metrics.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import type { AttemptRecord, ClaimRequest, Store } from '../../src/store/store.ts';
import { eventually } from '../helpers/hooklane.ts';
import { type Behaviour, startReceiver } from '../helpers/receiver.ts';
import { sampleEvent, sampleWebhook } from '../helpers/store-fixtures.ts';

const POLL_MS = 60_000;

/**
 * A delivery engine on a real SQLite file and a real receiver, with a poll interval far
 * longer than the test: whatever it sends, it sends because it was told of new work or
 * knew when a retry was due. The store is the real one; `nextDueAt` calls are counted.
 */
async function setup(
  t: test.TestContext,
  behaviour: Behaviour,
  options: { maxInFlightPerWebhook?: number; resultWaitMs?: number; retrySchedule?: number[] } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-engine-'));
  const real = SqliteStore.open({ path: join(dir, 'hooklane.db'), deliveryAttempts: 3 });
  let nextDueAsks = 0;
  const calls = { claims: 0, writes: [] as { results: number; withClaim: boolean; at: number }[] };
  const store = new Proxy(real, {
    get(target, property) {
      if (property === 'nextDueAt') {
        return (now: number) => {
          nextDueAsks++;
          return target.nextDueAt(now);
        };
      }
      if (property === 'claimDue') {
        return (request: ClaimRequest) => {
          calls.claims++;
          return target.claimDue(request);
        };
      }
      if (property === 'recordAttempts') {
        return (results: readonly AttemptRecord[], next?: ClaimRequest) => {
          calls.writes.push({ results: results.length, withClaim: next !== undefined, at: Date.now() });
          return target.recordAttempts(results, next);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store;
  const receiver = await startReceiver(behaviour);
  await store.createAccount({ id: 'acc_1', name: 'Engine test', createdAt: 1 });
  await store.insertWebhook(sampleWebhook('wh_1', { url: `${receiver.url}/hook` }), null);
  const engine = new DeliveryEngine(
    {
      claimBatchSize: 100,
      leaseMs: 30_000,
      maxInFlight: 64,
      maxInFlightPerWebhook: options.maxInFlightPerWebhook ?? 32,
      pollIntervalMs: POLL_MS,
      disableAfterMs: 86_400_000,
      retry: { schedule: options.retrySchedule ?? [150, 150], jitter: 0 },
      ...(options.resultWaitMs === undefined ? {} : { resultWaitMs: options.resultWaitMs }),
    },
    {
      store,
      sender: createSender({
        timeoutMs: 5_000,
        maxResponseBytes: 65_536,
        allowPrivateNetworks: true,
        connectionsPerOrigin: 32,
      }),
      secretBox: new SecretBox(randomBytes(32)),
      metrics: createMetrics(() => store.queueStats()),
      logger: pino({ level: 'silent' }),
      now: Date.now,
      random: () => 0.5,
    },
  );
  engine.start();
  t.after(async () => {
    await engine.stop(1_000);
    await receiver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let sent = 0;
  return {
    receiver,
    engine,
    nextDueAsks: () => nextDueAsks,
    calls,
    /** Waits until the store has been asked to write results `count` times. */
    writes: (count: number, timeoutMs: number) =>
      eventually(
        () => (calls.writes.length >= count ? calls.writes : undefined),
        timeoutMs,
        `${count} result write(s)`,
      ),
    async ingest(): Promise<void> {
      await store.ingest('acc_1', [sampleEvent(`evt_${String(++sent).padStart(4, '0')}`)], Date.now());
      engine.notify();
    },
  };
}

test('announced work is claimed without asking the store for the next due time on every wake-up', async (t) => {
  const h = await setup(t, () => undefined);
  await h.receiver.waitFor(0);
  const before = h.nextDueAsks();
  for (let i = 1; i <= 20; i++) {
    await h.ingest();
    await h.receiver.waitFor(i, 5_000);
  }
  // One ask when the loop first goes idle, and at most one more while the test runs (a
  // poll interval is a minute); asking after every wake-up would be about 20.
  assert.ok(h.nextDueAsks() - before <= 2, `asked ${h.nextDueAsks() - before} times for 20 wake-ups`);
});

test('a retry the engine scheduled is sent when due, not at the next poll', async (t) => {
  const h = await setup(t, (n) => (n === 0 ? { status: 500 } : { status: 204 }));
  await h.ingest();
  const [first, second] = await h.receiver.waitFor(2, 5_000);
  const gap = (second?.at ?? 0) - (first?.at ?? 0);
  assert.ok(gap >= 140 && gap < 2_000, `the retry came ${gap} ms after the first attempt`);
});

test('at low load a result waits for the next claim and is written in its call', async (t) => {
  const h = await setup(t, () => undefined, { resultWaitMs: 60_000 });
  await h.ingest();
  await h.receiver.waitFor(1, 5_000);
  await sleep(100);
  assert.equal(h.calls.writes.length, 0, 'the first result waits');
  const claimsBefore = h.calls.claims;
  await h.ingest();
  await h.receiver.waitFor(2, 5_000);
  assert.deepEqual(
    h.calls.writes.map(({ results, withClaim }) => ({ results, withClaim })),
    [{ results: 1, withClaim: true }],
  );
  assert.equal(
    h.calls.claims,
    claimsBefore,
    'the second event was claimed by the write, not a claim of its own',
  );
});

test('a result no claim comes for is written when its wait ends', async (t) => {
  const h = await setup(t, () => undefined, { resultWaitMs: 50 });
  await h.ingest();
  await h.receiver.waitFor(1, 5_000);
  await h.writes(1, 2_000);
  assert.equal(h.calls.writes[0]?.results, 1);
});

test('a result is written at once when its webhook holds half its slots', async (t) => {
  // With 2 slots, one unwritten result is half of them: it must not wait, or the webhook's
  // throughput would be bound by the wait.
  const h = await setup(t, () => undefined, { maxInFlightPerWebhook: 2, resultWaitMs: 60_000 });
  await h.ingest();
  await h.receiver.waitFor(1, 5_000);
  await h.writes(1, 2_000);
  assert.equal(h.calls.writes[0]?.results, 1);
});

test('a result does not wait when no work was announced lately: no claim is coming', async (t) => {
  // The first attempt fails (its result waits out the wait: its ingest was just announced); the
  // retry is due 3 s later, woken by the engine's own schedule, with nothing announced since.
  const h = await setup(t, (n) => (n === 0 ? { status: 500 } : { status: 204 }), {
    resultWaitMs: 1_000,
    retrySchedule: [3_000],
  });
  await h.ingest();
  const [, retry] = await h.receiver.waitFor(2, 10_000);
  await h.writes(2, 5_000);
  const [first, second] = h.calls.writes;
  assert.ok(first && second, 'both results written');
  const waited = second.at - (retry?.at ?? 0);
  assert.ok(
    waited < 500,
    `the retry's result was written ${waited} ms after it arrived, not after the 1 s wait`,
  );
});
