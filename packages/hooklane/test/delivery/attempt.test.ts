import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { test } from 'node:test';
import { verify } from '@hooklane/receiver';
import type { Delivery, StoredEvent } from '../../src/core/model.ts';
import { type AttemptPolicy, prepareAttempt, settleAttempt, USER_AGENT } from '../../src/delivery/attempt.ts';
import type { SendResult } from '../../src/delivery/sender.ts';
import type { ClaimedDelivery } from '../../src/store/store.ts';
import { sampleWebhook } from '../helpers/store-fixtures.ts';

// A pure function of its input: no store, no network, no clock. The "sealed" secrets here are
// the secrets themselves; `keyOf` stands in for opening them.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD_SECRET = 'whsec_dGhlIG9sZCBzZWNyZXQsIHN0aWxsIHZhbGlkIQ==';
const keyOf = (secret: string) => createSecretKey(Buffer.from(secret.slice(6), 'base64'));
const STARTED_AT = 1_767_000_000_123;
const POLICY: AttemptPolicy = {
  retry: { schedule: [5_000, 300_000], jitter: 0.2 },
  disableAfterMs: 86_400_000,
};

function claimed(overrides: { delivery?: Partial<Delivery>; signed?: boolean; events?: StoredEvent[] } = {}) {
  const event: StoredEvent = {
    accountId: 'acc_1',
    id: 'evt_1',
    name: 'appcues:flow_completed',
    typeId: 'flow_completed',
    userId: 'u1',
    contentId: 'f1',
    occurredAt: 1_700_000_000_000,
    ingestedAt: 1_700_000_000_000,
    body: '{"id":"evt_1","name":"appcues:flow_completed"}',
  };
  const delivery: Delivery = {
    id: 'dlv_1',
    accountId: 'acc_1',
    webhookId: 'wh_1',
    eventId: 'evt_1',
    status: 'pending',
    format: 'appcues',
    webhookName: 'crm',
    batchUserId: null,
    attemptCount: 0,
    attemptsLeft: 3,
    nextAttemptAt: STARTED_AT,
    lastStatus: null,
    lastError: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides.delivery,
  };
  return {
    delivery,
    webhook: sampleWebhook('wh_1', {
      url: 'https://example.com/hook',
      signed: overrides.signed ?? true,
      headers: { 'x-team': 'growth' },
    }),
    secrets: [
      { sealed: SECRET, createdAt: 2, expiresAt: null },
      { sealed: OLD_SECRET, createdAt: 1, expiresAt: STARTED_AT + 1000 },
    ],
    events: overrides.events ?? [event],
  } satisfies ClaimedDelivery;
}

function sent(claim: ClaimedDelivery) {
  const prepared = prepareAttempt(claim, 'att_1', STARTED_AT, keyOf);
  assert.equal(prepared.kind, 'send');
  if (prepared.kind !== 'send') throw new Error('unreachable');
  return prepared;
}

function answer(status: number | null, headers: Record<string, string> | null = {}): SendResult {
  return {
    status,
    headers,
    body: 'ok',
    error: status === null ? 'connect ECONNREFUSED' : null,
    durationMs: 40,
  };
}

test('a signed attempt carries the body, the webhook headers and signatures every secret verifies', async () => {
  const { base, request } = sent(claimed());
  assert.deepEqual(base, {
    id: 'att_1',
    deliveryId: 'dlv_1',
    accountId: 'acc_1',
    webhookId: 'wh_1',
    number: 1,
    startedAt: STARTED_AT,
    url: 'https://example.com/hook',
  });
  assert.equal(request.url, 'https://example.com/hook');
  assert.equal(request.body, '{"id":"evt_1","name":"appcues:flow_completed"}');
  assert.equal(request.headers['x-team'], 'growth');
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers['user-agent'], USER_AGENT);
  assert.equal(request.headers['webhook-id'], 'dlv_1');
  assert.equal(request.headers['x-apc-timestamp'], String(STARTED_AT));
  assert.equal(request.headers['webhook-signature']?.split(' ').length, 2);
  // The receiver library is an implementation of its own: both schemes, both secrets.
  for (const secret of [SECRET, OLD_SECRET]) {
    const verified = await verify(request.body, request.headers, secret, {
      scheme: 'standard',
      now: STARTED_AT,
    });
    assert.equal(verified.id, 'dlv_1');
  }
  await verify(request.body, request.headers, SECRET, { scheme: 'appcues', now: STARTED_AT });
  // The same input gives the same request: every retry of the same attempt is reproducible.
  assert.deepEqual(sent(claimed()).request, request);
});

test('an unsigned attempt still carries webhook-id, and no signature', () => {
  const unsigned = prepareAttempt({ ...claimed({ signed: false }), secrets: [] }, 'att_1', STARTED_AT, keyOf);
  assert.equal(unsigned.kind, 'send');
  if (unsigned.kind !== 'send') return;
  assert.equal(unsigned.request.headers['webhook-id'], 'dlv_1');
  assert.equal(unsigned.request.headers['webhook-signature'], undefined);
  assert.equal(unsigned.request.headers['x-apc-signature'], undefined);
});

test('the attempt number follows the attempts made, and the body the delivery format', () => {
  const { base, request } = sent(claimed({ delivery: { attemptCount: 4, format: 'standard' } }));
  assert.equal(base.number, 5);
  assert.deepEqual(JSON.parse(request.body), {
    type: 'flow_completed',
    timestamp: '2023-11-14T22:13:20.000Z',
    data: { id: 'evt_1', name: 'appcues:flow_completed' },
  });
});

test('a delivery whose event is gone is settled as failed without a request', () => {
  const prepared = prepareAttempt(claimed({ events: [] }), 'att_1', STARTED_AT, keyOf);
  assert.equal(prepared.kind, 'settled');
  if (prepared.kind !== 'settled') return;
  assert.equal(prepared.record.verdict, 'failed');
  assert.equal(prepared.record.nextAttemptAt, null);
  assert.equal(prepared.record.attempt.error, 'the event is no longer stored');
  assert.deepEqual(prepared.record.attempt.requestHeaders, {});
});

test('a 2xx succeeds, a 410 is gone, anything else is retried on the schedule with jitter', () => {
  const prepared = sent(claimed());
  const finishedAt = STARTED_AT + 50;
  const ok = settleAttempt(prepared, 3, answer(204), finishedAt, POLICY, 0.5);
  assert.equal(ok.verdict, 'succeeded');
  assert.equal(ok.nextAttemptAt, null);
  assert.equal(ok.attempt.error, null);
  assert.equal(ok.attempt.responseStatus, 204);
  assert.equal(ok.attempt.durationMs, 40);
  assert.equal(ok.disableIfFailingSince, finishedAt - POLICY.disableAfterMs);

  assert.equal(settleAttempt(prepared, 3, answer(410), finishedAt, POLICY, 0.5).verdict, 'gone');

  const failed = settleAttempt(prepared, 3, answer(500), finishedAt, POLICY, 0.5);
  assert.equal(failed.verdict, 'retry');
  assert.equal(failed.nextAttemptAt, finishedAt + 5_000);
  assert.equal(failed.attempt.nextAttemptAt, finishedAt + 5_000);
  assert.equal(failed.attempt.error, 'HTTP 500');
  // Jitter: random 0 is the low end (-20%), random 1 the high end (+20%).
  assert.equal(
    settleAttempt(prepared, 3, answer(500), finishedAt, POLICY, 0).nextAttemptAt,
    finishedAt + 4_000,
  );
  assert.equal(
    settleAttempt(prepared, 3, answer(500), finishedAt, POLICY, 1).nextAttemptAt,
    finishedAt + 6_000,
  );

  const refused = settleAttempt(prepared, 3, answer(null, null), finishedAt, POLICY, 0.5);
  assert.equal(refused.verdict, 'retry');
  assert.equal(refused.attempt.error, 'connect ECONNREFUSED');
});

test('the last attempt fails instead of retrying, and steps past the schedule repeat its last', () => {
  const finishedAt = STARTED_AT + 50;
  const last = settleAttempt(sent(claimed()), 1, answer(500), finishedAt, POLICY, 0.5);
  assert.equal(last.verdict, 'failed');
  assert.equal(last.nextAttemptAt, null);
  const late = settleAttempt(
    sent(claimed({ delivery: { attemptCount: 6 } })),
    2,
    answer(500),
    finishedAt,
    POLICY,
    0.5,
  );
  assert.equal(late.nextAttemptAt, finishedAt + 300_000);
});

test('Retry-After on 429 and 503 is honoured within one and two steps', () => {
  const prepared = sent(claimed());
  const finishedAt = STARTED_AT + 50;
  const retryAfter = (status: number, seconds: string) =>
    settleAttempt(prepared, 3, answer(status, { 'retry-after': seconds }), finishedAt, POLICY, 0.5)
      .nextAttemptAt;
  assert.equal(retryAfter(429, '8'), finishedAt + 8_000);
  assert.equal(retryAfter(503, '60'), finishedAt + 10_000);
  assert.equal(retryAfter(503, '1'), finishedAt + 5_000);
  // Only 429 and 503 may ask for a delay.
  assert.equal(retryAfter(500, '8'), finishedAt + 5_000);
});

test('the recorded request headers keep only the start of each signature', () => {
  const prepared = sent(claimed());
  const record = settleAttempt(prepared, 3, answer(204), STARTED_AT + 50, POLICY, 0.5);
  const headers = record.attempt.requestHeaders;
  // A static header's value is masked in the log, whoever reads it.
  assert.equal(headers['x-team'], '[hidden]');
  assert.equal(headers['webhook-id'], 'dlv_1');
  const full = prepared.request.headers['webhook-signature'] ?? '';
  assert.equal(
    headers['webhook-signature'],
    full
      .split(' ')
      .map((part) => `${part.slice(0, 12)}…`)
      .join(' '),
  );
  assert.equal(headers['x-apc-signature'], `${prepared.request.headers['x-apc-signature']?.slice(0, 12)}…`);
  // The request as sent is left whole.
  assert.equal(prepared.request.headers['webhook-signature'], full);
  assert.equal(prepared.request.headers['x-team'], 'growth');
});

test('a Sheets delivery carries the secret while its webhook is google_sheets, and is settled as failed once it is not', () => {
  const event: StoredEvent = {
    accountId: 'acc_1',
    id: 'evt_1',
    name: 'signup',
    typeId: null,
    userId: 'u1',
    contentId: null,
    occurredAt: 1_700_000_000_000,
    ingestedAt: 1_700_000_000_000,
    body: '{"id":"evt_1","name":"signup","user_id":"u1","timestamp":1700000000000}',
  };
  const base = claimed({ delivery: { format: 'google_sheets' }, events: [event] });
  const open = (sealed: string) => sealed;
  const sheets = { ...base, webhook: { ...base.webhook, format: 'google_sheets' as const } };
  const now = prepareAttempt(sheets, 'att_1', STARTED_AT, keyOf, undefined, open);
  assert.equal(now.kind, 'send');
  if (now.kind === 'send') assert.equal(JSON.parse(now.request.body).token, SECRET);

  const switched = prepareAttempt(base, 'att_1', STARTED_AT, keyOf, undefined, open);
  assert.equal(switched.kind, 'settled');
  if (switched.kind === 'settled') assert.equal(switched.record.verdict, 'failed');
});
