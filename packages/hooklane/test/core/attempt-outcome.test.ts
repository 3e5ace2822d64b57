import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AttemptVerdict,
  DISABLED_FAILING,
  DISABLED_GONE,
  type JudgedAttempt,
  needsEnabledWebhooks,
  planAttemptOutcomes,
} from '../../src/core/attempt-outcome.ts';

const T0 = 1_800_000_000_000;
let seq = 0;

/** An attempt of webhook `webhookId` that started at `at` and took 5 ms. */
function judged(
  webhookId: string,
  verdict: AttemptVerdict,
  at: number,
  options: { next?: number; disableIfFailingSince?: number } = {},
): JudgedAttempt {
  return {
    attempt: {
      deliveryId: `dlv_${++seq}`,
      webhookId,
      number: 1,
      startedAt: at,
      durationMs: 5,
      responseStatus: verdict === 'succeeded' ? 204 : verdict === 'gone' ? 410 : 500,
      error: verdict === 'succeeded' ? null : 'HTTP 500',
    },
    verdict,
    nextAttemptAt: options.next ?? null,
    disableIfFailingSince: options.disableIfFailingSince ?? at - 1_000_000,
  };
}

const ON = new Set(['wh_a', 'wh_b']);

test('a success settles its delivery and ends its webhook streak', () => {
  const plan = planAttemptOutcomes([judged('wh_a', 'succeeded', T0)], new Set());
  assert.deepEqual(plan.deliveries[0], {
    deliveryId: `dlv_${seq}`,
    status: 'succeeded',
    nextAttemptAt: null,
    attemptCount: 1,
    lastStatus: 204,
    lastError: null,
    updatedAt: T0 + 5,
  });
  assert.deepEqual(plan.webhooks, [
    { webhookId: 'wh_a', at: T0 + 5, streak: { ended: true }, disable: null },
  ]);
});

test('a retry stays pending until its next attempt, and starts a streak that is not yet old enough', () => {
  const results = [judged('wh_a', 'retry', T0, { next: T0 + 100 })];
  assert.equal(needsEnabledWebhooks(results), true);
  const plan = planAttemptOutcomes(results, ON);
  assert.equal(plan.deliveries[0]?.status, 'pending');
  assert.equal(plan.deliveries[0]?.nextAttemptAt, T0 + 100);
  assert.deepEqual(plan.webhooks[0]?.streak, { ended: false, since: T0, restart: false });
  assert.deepEqual(plan.webhooks[0]?.disable, {
    reason: DISABLED_FAILING,
    always: false,
    ifFailingSince: T0 - 1_000_000,
  });
});

test('a retry whose webhook was disabled or deleted meanwhile fails instead', () => {
  const plan = planAttemptOutcomes([judged('wh_gone_meanwhile', 'retry', T0, { next: T0 + 100 })], ON);
  assert.equal(plan.deliveries[0]?.status, 'failed');
  assert.equal(plan.deliveries[0]?.nextAttemptAt, null);
});

test('an exhausted delivery fails, and its webhook keeps failing', () => {
  assert.equal(needsEnabledWebhooks([judged('wh_a', 'failed', T0)]), false);
  const plan = planAttemptOutcomes([judged('wh_a', 'failed', T0)], new Set());
  assert.equal(plan.deliveries[0]?.status, 'failed');
  assert.equal(plan.webhooks[0]?.streak.ended, false);
});

test('a 410 fails its delivery and disables its webhook whatever its streak', () => {
  const plan = planAttemptOutcomes([judged('wh_a', 'gone', T0)], ON);
  assert.equal(plan.deliveries[0]?.status, 'failed');
  assert.deepEqual(plan.webhooks[0]?.disable, { reason: DISABLED_GONE, always: true, ifFailingSince: 0 });
});

test('a 410 disables even when a later attempt of the batch succeeded', () => {
  const plan = planAttemptOutcomes([judged('wh_a', 'gone', T0), judged('wh_a', 'succeeded', T0 + 1)], ON);
  assert.deepEqual(plan.webhooks[0]?.streak, { ended: true });
  assert.equal(plan.webhooks[0]?.disable?.reason, DISABLED_GONE);
});

test('the streak disables once its start is no later than the latest threshold of the batch', () => {
  const plan = planAttemptOutcomes(
    [
      judged('wh_a', 'retry', T0 + 10, { next: T0 + 20, disableIfFailingSince: T0 + 5 }),
      judged('wh_a', 'retry', T0 + 11, { next: T0 + 20, disableIfFailingSince: T0 + 11 }),
    ],
    ON,
  );
  assert.deepEqual(plan.webhooks[0]?.streak, { ended: false, since: T0 + 10, restart: false });
  assert.deepEqual(plan.webhooks[0]?.disable, {
    reason: DISABLED_FAILING,
    always: false,
    ifFailingSince: T0 + 11,
  });
  assert.equal(plan.webhooks[0]?.at, T0 + 16, 'the disable is dated by the last attempt');
});

test("the batch's last outcome decides the streak, as one by one", () => {
  const recovered = planAttemptOutcomes(
    [judged('wh_a', 'retry', T0, { next: T0 + 9 }), judged('wh_a', 'succeeded', T0 + 1)],
    ON,
  );
  assert.deepEqual(recovered.webhooks[0]?.streak, { ended: true });
  assert.equal(recovered.webhooks[0]?.disable, null, 'a recovered webhook is not disabled');
  const relapsed = planAttemptOutcomes(
    [
      judged('wh_a', 'retry', T0, { next: T0 + 9 }),
      judged('wh_a', 'succeeded', T0 + 1),
      judged('wh_a', 'retry', T0 + 2, { next: T0 + 9 }),
      judged('wh_a', 'retry', T0 + 3, { next: T0 + 9 }),
    ],
    ON,
  );
  assert.deepEqual(relapsed.webhooks[0]?.streak, { ended: false, since: T0 + 2, restart: true });
});

test('webhooks are planned apart, in id order; deliveries in the order of the results', () => {
  const results = [
    judged('wh_b', 'succeeded', T0),
    judged('wh_a', 'retry', T0, { next: T0 + 9 }),
    judged('wh_b', 'retry', T0 + 1, { next: T0 + 9 }),
  ];
  const plan = planAttemptOutcomes(results, ON);
  assert.deepEqual(
    plan.deliveries.map((d) => d.deliveryId),
    results.map((r) => r.attempt.deliveryId),
  );
  assert.deepEqual(
    plan.webhooks.map((w) => [w.webhookId, w.streak.ended]),
    [
      ['wh_a', false],
      ['wh_b', false],
    ],
  );
  assert.equal(plan.webhooks[1]?.streak.ended === false && plan.webhooks[1].streak.restart, true);
});
