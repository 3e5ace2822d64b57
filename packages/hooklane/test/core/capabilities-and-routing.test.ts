import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountStats, defaultStatsWindow } from '../../src/core/account-stats.ts';
import { PORTAL_ROUTES, secretsRefusal, sessionMayCall, viewRoleOf } from '../../src/core/capabilities.ts';
import { eventRouting } from '../../src/core/event-routing.ts';
import { fanOut } from '../../src/core/fan-out.ts';
import type { Delivery, StoredEvent } from '../../src/core/model.ts';
import { bodyCarriesSecret } from '../../src/core/payload-formats.ts';
import { sampleWebhook } from '../helpers/store-fixtures.ts';

const HOUR = 3_600_000;

test('a session may call a route only with every capability it needs; unlisted routes never', () => {
  assert.equal(sessionMayCall(['read'], 'GET', '/v1/accounts/:acc/webhooks'), true);
  assert.equal(sessionMayCall(['read'], 'PATCH', '/v1/accounts/:acc/webhooks/:id'), false);
  assert.equal(sessionMayCall(['read'], 'GET', '/v1/accounts/:acc/webhooks/:id/secret'), false);
  assert.equal(sessionMayCall(['read_secrets'], 'GET', '/v1/accounts/:acc/webhooks/:id/secret'), true);
  assert.equal(
    sessionMayCall(['manage_webhooks'], 'POST', '/v1/accounts/:acc/webhooks/:id/rotate-secret'),
    false,
  );
  assert.equal(sessionMayCall(['retry'], 'POST', '/v1/accounts/:acc/deliveries/:id/retry'), true);
  const all = ['read', 'manage_webhooks', 'read_secrets', 'retry'] as const;
  for (const route of [
    'POST /v1/accounts/:acc/keys',
    'POST /v1/accounts/:acc/events',
    'POST /v1/accounts/:acc/portal-sessions',
    'DELETE /v1/accounts/:acc/portal-sessions',
    'POST /v1/accounts',
    'GET /v1/accounts/:acc/listen',
  ]) {
    const [method = '', path = ''] = route.split(' ');
    assert.equal(sessionMayCall(all, method, path), false, route);
    assert.equal(PORTAL_ROUTES[route], undefined);
  }
  assert.equal(viewRoleOf(['read']), 'viewer');
  assert.equal(viewRoleOf(['read', 'read_secrets']), 'admin');
});

const event: StoredEvent = {
  accountId: 'acc_1',
  id: 'ev_1',
  name: 'appcues:flow_started',
  typeId: 'flow_started',
  userId: 'u1',
  contentId: 'f1',
  occurredAt: 1000,
  ingestedAt: 1000,
  body: '{}',
};

test("an event's routing gives fan-out's own reasons, and agrees with fan-out", () => {
  const hooks = [
    sampleWebhook('wh_a'),
    sampleWebhook('wh_b', { enabled: false }),
    sampleWebhook('wh_c', { events: ['flow_completed'] }),
    sampleWebhook('wh_d', { filters: { contentIds: ['f2'] } }),
    sampleWebhook('wh_e', { createdAt: 2000, updatedAt: 2000 }),
    sampleWebhook('wh_f', { updatedAt: 1500 }),
    sampleWebhook('wh_g', { filters: { contentIds: ['f1'] }, events: ['appcues:flow_started'] }),
  ];
  const delivery = (id: string, webhookId: string) =>
    ({ id, webhookId, status: 'succeeded' }) as unknown as Delivery;
  const routes = eventRouting(event, hooks, [
    delivery('dlv_1', 'wh_a'),
    delivery('dlv_2', 'wh_a'),
    delivery('dlv_3', 'wh_g'),
  ]);
  assert.deepEqual(
    routes.map((r) => [r.webhook.id, r.delivery?.id ?? null, r.reason, r.changedSinceEvent]),
    [
      ['wh_a', 'dlv_2', null, false],
      ['wh_b', null, 'disabled', false],
      ['wh_c', null, 'type_not_subscribed', false],
      ['wh_d', null, 'content_filter', false],
      ['wh_e', null, 'created_after_event', true],
      ['wh_f', null, 'no_delivery', true],
      ['wh_g', 'dlv_3', null, false],
    ],
  );
  // Every webhook routing calls wanted (no reason of fan-out's own) is one fan-out picks, and back.
  const picked = new Set(fanOut(hooks, event, 0).map((d) => d.webhook.id));
  for (const route of eventRouting(event, hooks, [])) {
    const fanOutReason = route.reason === 'no_delivery' || route.reason === 'created_after_event';
    assert.equal(picked.has(route.webhook.id), fanOutReason, route.webhook.id);
  }
});

test('account stats fill every bucket and rate only settled deliveries', () => {
  const a = sampleWebhook('wh_a', { failingSince: 5 });
  const b = sampleWebhook('wh_b');
  const stats = accountStats({
    since: 0,
    until: 3 * HOUR,
    bucketMs: HOUR,
    webhooks: [a, b],
    counts: [
      { webhookId: 'wh_a', bucket: 0, outcome: 'succeeded', count: 3 },
      { webhookId: 'wh_a', bucket: 0, outcome: 'failed', count: 1 },
      { webhookId: 'wh_a', bucket: 2, outcome: 'retrying', count: 2 },
      { webhookId: 'wh_b', bucket: 1, outcome: 'pending', count: 4 },
      { webhookId: 'wh_gone', bucket: 1, outcome: 'succeeded', count: 1 },
    ],
    lastDeliveryAt: new Map([['wh_a', 99]]),
    oldestPending: null,
  });
  assert.deepEqual(stats.totals, { succeeded: 4, failed: 1, retrying: 2, pending: 4, cancelled: 0 });
  assert.equal(stats.successRate, 0.8);
  assert.deepEqual(
    stats.buckets.map((b) => [b.start, b.succeeded, b.pending, b.retrying]),
    [
      [0, 3, 0, 0],
      [HOUR, 1, 4, 0],
      [2 * HOUR, 0, 0, 2],
    ],
  );
  const [ownA, ownB] = stats.webhooks;
  assert.deepEqual(
    ownA?.buckets.map((b) => [b.count, b.successRate]),
    [
      [4, 0.75],
      [0, null],
      [2, null],
    ],
  );
  assert.equal(ownA?.lastDeliveryAt, 99);
  assert.equal(ownB?.successRate, null);
  assert.equal(ownB?.lastDeliveryAt, null);
  assert.deepEqual(
    stats.failing.map((w) => w.id),
    ['wh_a'],
  );
});

test('the default window is the last 24 whole hours, the current one included', () => {
  const now = 10 * HOUR + 123;
  assert.deepEqual(defaultStatsWindow(now), { since: -13 * HOUR, until: 11 * HOUR });
});

test('a body carries the secret with google_sheets or a template naming {{$secret}}, in text too', () => {
  assert.equal(bodyCarriesSecret('google_sheets', null), true);
  assert.equal(bodyCarriesSecret('slack', null), false);
  assert.equal(bodyCarriesSecret('appcues', null), false);
  assert.equal(bodyCarriesSecret('template', { body: { a: ['x', { b: 'token={{$secret}}' }] } }), true);
  assert.equal(bodyCarriesSecret('template', { body: { a: '{{user_id}}', s: '$secret' } }), false);
});

test('without read_secrets, no edit sends the secret or static header values somewhere new', () => {
  const at = (url: string, secretInBody = false, othersHeaders = false) => ({
    url,
    secretInBody,
    othersHeaders,
  });
  assert.equal(secretsRefusal(null, at('https://a', true), false), 'send a generated secret it is not shown');
  assert.equal(secretsRefusal(null, at('https://a', true), true), undefined);
  assert.equal(
    secretsRefusal(at('https://a'), at('https://a', true), false),
    'make its deliveries carry its secret',
  );
  assert.equal(
    secretsRefusal(at('https://a', false, true), at('https://b', false, true), false),
    'move its static header values to another URL',
  );
  assert.equal(secretsRefusal(at('https://a', false, true), at('https://b'), false), undefined);
  assert.equal(secretsRefusal(at('https://a', true, true), at('https://a', true, true), false), undefined);
});
