import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AttemptVerdict, planAttemptOutcomes } from '../../src/core/attempt-outcome.ts';
import { findEventType, OPERATIONAL_EVENT_TYPES, recognise } from '../../src/core/catalog.ts';
import { renderPreset } from '../../src/core/destination-presets.ts';
import { fanOut } from '../../src/core/fan-out.ts';
import type { Webhook } from '../../src/core/model.ts';
import {
  manuallyDisabled,
  type OperationalInput,
  planOperationalEvents,
  type WebhookBefore,
} from '../../src/core/operational-events.ts';

const T0 = 1_800_000_000_000;

function judged(webhookId: string, verdict: AttemptVerdict, at: number, number = 1): OperationalInput {
  return {
    attempt: {
      deliveryId: `dlv_${webhookId}_${number}`,
      webhookId,
      number,
      startedAt: at,
      durationMs: 5,
      responseStatus: verdict === 'succeeded' ? 204 : verdict === 'gone' ? 410 : 500,
      error: verdict === 'succeeded' ? null : 'HTTP 500',
    },
    verdict,
    nextAttemptAt: verdict === 'retry' ? at + 100 : null,
    disableIfFailingSince: at - 1_000_000,
    eventId: 'evt_1',
  };
}

const before = (id: string, overrides: Partial<WebhookBefore> = {}): WebhookBefore => ({
  id,
  accountId: 'acc_1',
  name: `hook ${id}`,
  url: `https://example.com/${id}`,
  failingSince: null,
  consecutiveFailures: 0,
  ...overrides,
});

function plan(results: OperationalInput[], webhooks: WebhookBefore[], disabled: string[] = []) {
  const outcomes = planAttemptOutcomes(results, new Set(webhooks.map((w) => w.id)));
  return planOperationalEvents(
    results,
    outcomes,
    new Map(webhooks.map((w) => [w.id, w])),
    new Set(disabled),
    T0 + 1000,
  );
}

const names = (p: ReturnType<typeof plan>) => p.events.map((e) => JSON.parse(e.body).name);

test('the 4th failure in a row, counted across batches, announces failing once', () => {
  const third = plan(
    [judged('wh_a', 'retry', T0, 3)],
    [before('wh_a', { consecutiveFailures: 2, failingSince: T0 - 1 })],
  );
  assert.deepEqual(names(third), []);
  assert.equal(third.consecutiveFailures.get('wh_a'), 3);
  const fourth = plan(
    [judged('wh_a', 'retry', T0, 4)],
    [before('wh_a', { consecutiveFailures: 3, failingSince: T0 - 1 })],
  );
  assert.deepEqual(names(fourth), ['hooklane.webhook.failing']);
  const attributes = JSON.parse(fourth.events[0]!.body).attributes;
  assert.deepEqual(attributes, {
    webhookId: 'wh_a',
    webhookName: 'hook wh_a',
    webhookUrl: 'https://example.com/wh_a',
    deliveryId: 'dlv_wh_a_4',
    eventId: 'evt_1',
    lastStatus: 500,
    consecutiveFailures: 4,
  });
  const fifth = plan(
    [judged('wh_a', 'retry', T0, 5)],
    [before('wh_a', { consecutiveFailures: 4, failingSince: T0 - 1 })],
  );
  assert.deepEqual(names(fifth), [], 'told once per streak');
});

test('a success after failing is a recovery and resets the count', () => {
  const p = plan(
    [judged('wh_a', 'succeeded', T0)],
    [before('wh_a', { consecutiveFailures: 6, failingSince: T0 - 5 })],
  );
  assert.deepEqual(names(p), ['hooklane.webhook.recovered']);
  assert.equal(p.consecutiveFailures.get('wh_a'), 0);
  assert.deepEqual(names(plan([judged('wh_a', 'succeeded', T0)], [before('wh_a')])), [], 'healthy: nothing');
});

test('exhausted deliveries, and disables the write made, with their reason', () => {
  const exhausted = plan([judged('wh_a', 'failed', T0, 8)], [before('wh_a', { consecutiveFailures: 1 })]);
  assert.deepEqual(names(exhausted), ['hooklane.delivery.exhausted']);
  assert.equal(JSON.parse(exhausted.events[0]!.body).attributes.attemptCount, 8);

  const gone = plan([judged('wh_a', 'gone', T0)], [before('wh_a')], ['wh_a']);
  assert.deepEqual(names(gone), ['hooklane.webhook.disabled']);
  assert.equal(JSON.parse(gone.events[0]!.body).attributes.reason, 'gone');
  assert.equal(JSON.parse(gone.events[0]!.body).attributes.lastStatus, 410);
  // A gone webhook the store did not disable (it was disabled already) is not told again.
  assert.deepEqual(names(plan([judged('wh_a', 'gone', T0)], [before('wh_a')], [])), []);

  const failing = plan([judged('wh_a', 'retry', T0)], [before('wh_a', { failingSince: T0 - 9e9 })], ['wh_a']);
  assert.equal(JSON.parse(failing.events.at(-1)!.body).attributes.reason, 'failing_since');

  const manual = JSON.parse(manuallyDisabled(before('wh_a'), 'edit_1', T0).body);
  assert.equal(manual.attributes.reason, 'manual');
  assert.equal(manual.attributes.deliveryId, null);
});

test('ids follow the attempt, so the same results give the same events', () => {
  const a = plan([judged('wh_a', 'gone', T0)], [before('wh_a')], ['wh_a']);
  const b = plan([judged('wh_a', 'gone', T0)], [before('wh_a')], ['wh_a']);
  assert.equal(a.events[0]!.id, b.events[0]!.id);
});

test('an operational event fans out to the webhooks naming it, never to the one it is about, nor to *', () => {
  const hook = (id: string, events: string[]) =>
    ({
      id,
      enabled: true,
      events,
      filters: { contentIds: null },
      format: 'appcues',
      batchWindowMs: 0,
    }) as Pick<Webhook, 'id' | 'enabled' | 'events' | 'filters' | 'format' | 'batchWindowMs'>;
  const [event] = plan([judged('wh_a', 'gone', T0)], [before('wh_a')], ['wh_a']).events;
  const planned = fanOut(
    [
      hook('wh_a', ['hooklane.webhook.disabled']),
      hook('wh_b', ['hooklane.webhook.disabled']),
      hook('wh_c', ['*']),
    ],
    event!,
    T0,
  );
  assert.deepEqual(
    planned.map((d) => d.webhook.id),
    ['wh_b'],
  );
});

test('the catalog has the four operational types with schemas and samples, and Slack reads them', () => {
  assert.deepEqual(
    OPERATIONAL_EVENT_TYPES.map((type) => type.id),
    [
      'hooklane.webhook.failing',
      'hooklane.webhook.disabled',
      'hooklane.webhook.recovered',
      'hooklane.delivery.exhausted',
    ],
  );
  for (const type of OPERATIONAL_EVENT_TYPES) {
    assert.equal(findEventType(type.id), type);
    assert.equal(recognise(type.sample as { name: string })?.id, type.id);
    assert.equal((type.schema as { type: string }).type, 'object');
  }
  const disabled = findEventType('hooklane.webhook.disabled')!;
  const slack = renderPreset('slack', disabled.sample);
  assert.ok(slack.ok);
  assert.equal(
    JSON.parse(slack.body).text,
    'Webhook Disabled — CRM · https://crm.example.com/hooks/appcues · reason gone · last status 410',
  );
});

test('a delivery of an operational event that is exhausted announces nothing, so failing subscribers cannot feed each other', () => {
  // Three failing webhooks subscribed to exhausted deliveries: each exhausted event would reach
  // the two others, whose exhausted deliveries would announce two more, without end.
  const subscribers = ['wh_a', 'wh_b', 'wh_c'].map(
    (id) =>
      ({
        id,
        enabled: true,
        events: ['hooklane.delivery.exhausted'],
        filters: { contentIds: null },
        format: 'standard',
        batchWindowMs: 0,
        trigger: null,
      }) as unknown as Webhook,
  );
  const first = plan([judged('wh_a', 'failed', T0, 8)], [before('wh_a', { consecutiveFailures: 7 })]);
  const announced = first.events[0]!;
  const targets = fanOut(subscribers, { ...announced, body: announced.body }, T0).map((d) => d.webhook.id);
  assert.deepEqual(targets, ['wh_b', 'wh_c']);

  const second = plan(
    targets.map((id) => ({ ...judged(id, 'failed', T0, 8), eventId: announced.id })),
    targets.map((id) => before(id, { consecutiveFailures: 7, failingSince: T0 - 1 })),
  );
  assert.deepEqual(names(second), []);
  assert.equal(second.consecutiveFailures.get('wh_b'), 8);
});
