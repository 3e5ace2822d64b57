import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { finaliseEvent } from '../../src/core/event-envelope.ts';
import { newId } from '../../src/core/ids.ts';
import { webhookWants } from '../../src/core/matching.ts';
import type { StoredEvent } from '../../src/core/model.ts';
import { buildPayload } from '../../src/core/payload-formats.ts';
import { classifyStatus, nextDelayMs, parseRetryAfter } from '../../src/core/retry-policy.ts';
import { generateWebhookSecret, SecretBox } from '../../src/core/secrets.ts';
import { secretKeyBytes, signatureHeaders } from '../../src/core/signatures.ts';

test('retry policy: statuses, schedule, jitter and Retry-After bounds', () => {
  assert.equal(classifyStatus(204).kind, 'success');
  assert.equal(classifyStatus(410).kind, 'gone');
  for (const status of [null, 301, 400, 404, 408, 429, 500, 503])
    assert.equal(classifyStatus(status).kind, 'retryable');
  assert.deepEqual(
    classifyStatus(500, 9000),
    { kind: 'retryable', status: 500, retryAfterMs: null },
    'Retry-After counts on 429/503 only',
  );
  assert.deepEqual(classifyStatus(429, 9000), { kind: 'retryable', status: 429, retryAfterMs: 9000 });
  const policy = { schedule: [5000, 300_000], jitter: 0.2 };
  assert.equal(nextDelayMs(policy, 1, null, 0.5), 5000);
  assert.equal(nextDelayMs(policy, 1, null, 0), 4000);
  assert.equal(nextDelayMs(policy, 1, null, 1), 6000);
  assert.equal(nextDelayMs(policy, 3, null, 0.5), null);
  assert.equal(nextDelayMs(policy, 1, 1000, 0.5), 5000, 'Retry-After below the step waits the step');
  assert.equal(nextDelayMs(policy, 1, 7000, 0.5), 7000);
  assert.equal(nextDelayMs(policy, 1, 60_000, 0.5), 10_000, 'Retry-After is capped at twice the step');
  assert.equal(parseRetryAfter('120', 0), 120_000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10_000);
  assert.equal(parseRetryAfter('soon', 0), null);
});

test('ids are prefixed and sort by creation time', () => {
  const a = newId('dlv', 1_700_000_000_000);
  const b = newId('dlv', 1_700_000_000_001);
  assert.match(a, /^dlv_[0-9a-z]{26}$/);
  assert.ok(a < b);
  const burst = Array.from({ length: 1000 }, () => newId('dlv', 1_700_000_000_002));
  assert.deepEqual([...burst].sort(), burst, 'monotonic within one millisecond');
});

test('finaliseEvent keeps the sender fields and fills in only what is missing', () => {
  const sent = { name: 'x', user_id: 'u', id: 'e1', ingested_at: 5, attributes: { a: 1 } };
  const final = finaliseEvent(sent, 'acc_1', 1000, () => 'generated');
  assert.deepEqual(Object.keys(JSON.parse(final.body)), [
    'name',
    'user_id',
    'id',
    'ingested_at',
    'attributes',
    'account_id',
    'timestamp',
  ]);
  assert.deepEqual(JSON.parse(final.body), {
    ...sent,
    ingested_at: 1000,
    account_id: 'acc_1',
    timestamp: 1000,
  });
  const bare = JSON.parse(finaliseEvent({ name: 'x', user_id: 'u' }, 'acc_1', 7, () => 'gen').body);
  assert.deepEqual(bare, {
    name: 'x',
    user_id: 'u',
    ingested_at: 7,
    id: 'gen',
    account_id: 'acc_1',
    timestamp: 7,
  });
});

test('matching: types, names, wildcard and content ids', () => {
  const event = { name: 'appcues:flow_completed', typeId: 'flow_completed', contentId: 'f1' };
  const wants = (events: string[], contentIds: string[] | null = null) =>
    webhookWants({ events, filters: { contentIds } }, event);
  assert.ok(wants(['*']));
  assert.ok(wants(['flow_completed']));
  assert.ok(wants(['appcues:flow_completed']));
  assert.ok(!wants(['flow_started']));
  assert.ok(wants(['*'], ['f1', 'f2']));
  assert.ok(!wants(['*'], ['f2']));
  assert.ok(!webhookWants({ events: ['*'], filters: { contentIds: ['f1'] } }, { ...event, contentId: null }));
});

test('payload formats build the same bytes from the same stored events', () => {
  const event: StoredEvent = {
    accountId: 'a',
    id: 'e1',
    name: 'appcues:flow_completed',
    typeId: 'flow_completed',
    userId: 'u1',
    contentId: 'f1',
    occurredAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    ingestedAt: 0,
    body: '{"id":"e1","name":"appcues:flow_completed"}',
  };
  assert.equal(buildPayload('appcues', 'w', [event]), event.body);
  assert.equal(
    buildPayload('standard', 'w', [event]),
    '{"type":"flow_completed","timestamp":"2024-01-02T03:04:05.000Z","data":{"id":"e1","name":"appcues:flow_completed"}}',
  );
  assert.deepEqual(
    JSON.parse(
      buildPayload('usetiful', 'My hook', [
        event,
        { ...event, typeId: null, name: 'custom', contentId: null },
      ]),
    ),
    {
      name: 'My hook',
      userId: 'u1',
      events: [
        { name: 'flow_completed', contentId: 'f1' },
        { name: 'custom', contentId: null },
      ],
    },
  );
});

test('signature headers follow both documented schemes, checked with an independent computation', () => {
  const secret = generateWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const old = 'plain old secret';
  const body = '{"a":1}';
  const headers = signatureHeaders(
    [secretKeyBytes(secret), secretKeyBytes(old)],
    'dlv_1',
    1_700_000_000_123,
    body,
  );
  const raw = Buffer.from(secret.slice(6), 'base64');
  assert.equal(headers['x-apc-timestamp'], '1700000000123');
  assert.equal(
    headers['x-apc-signature'],
    createHmac('sha256', raw).update(`1700000000123:${body}`).digest('hex'),
  );
  assert.equal(headers['webhook-id'], 'dlv_1');
  assert.equal(headers['webhook-timestamp'], '1700000000');
  const expected = [raw, Buffer.from(old)].map(
    (key) => `v1,${createHmac('sha256', key).update(`dlv_1.1700000000.${body}`).digest('base64')}`,
  );
  assert.equal(headers['webhook-signature'], expected.join(' '));
  assert.deepEqual(signatureHeaders([], 'dlv_1', 0, body), {});
});

test('secrets are sealed with AES-256-GCM and refuse another key', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));
  const sealed = box.seal('whsec_abc');
  assert.ok(!sealed.includes('whsec_abc'));
  assert.equal(box.open(sealed), 'whsec_abc');
  assert.notEqual(box.seal('whsec_abc'), sealed, 'a fresh IV every time');
  assert.throws(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed));
  const tampered = `${sealed.slice(0, -2)}AA`;
  assert.throws(() => box.open(tampered));
});
