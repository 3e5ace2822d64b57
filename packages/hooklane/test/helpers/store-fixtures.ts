// Rows the store tests build again and again: a webhook, an event, a finished attempt.
import type { ApiKey, Webhook } from '../../src/core/model.ts';
import type { AttemptRecord, ClaimedDelivery, NewEvent } from '../../src/store/store.ts';

/** An enabled, unsigned webhook of `acc_1` for every event, to a closed port. */
export function sampleWebhook(id: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    id,
    accountId: 'acc_1',
    name: id,
    url: 'http://127.0.0.1:9/hook',
    events: ['*'],
    filters: { contentIds: null },
    format: 'appcues',
    batchWindowMs: 0,
    headers: {},
    enabled: true,
    disabledReason: null,
    failingSince: null,
    signed: false,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

/** An ingest key `key_1` of `acc_1`, not revoked. */
export const SAMPLE_API_KEY: ApiKey = {
  id: 'key_1',
  accountId: 'acc_1',
  role: 'ingest',
  name: null,
  prefix: 'hli_test',
  createdAt: 1,
  revokedAt: null,
};

/** An `appcues:flow_started` event whose body is `{"id": id}`. */
export function sampleEvent(id: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id,
    name: 'appcues:flow_started',
    typeId: 'flow_started',
    userId: 'u1',
    contentId: 'f1',
    occurredAt: 1,
    body: `{"id":"${id}"}`,
    ...overrides,
  };
}

let attempts = 0;

/** The result of a claimed delivery's next attempt at `at`, with the status the verdict implies. */
export function attemptRecord(
  claimed: ClaimedDelivery,
  verdict: AttemptRecord['verdict'],
  at: number,
  nextAttemptAt: number | null = null,
): AttemptRecord {
  return {
    attempt: {
      id: `att_${String(++attempts).padStart(26, '0')}`,
      deliveryId: claimed.delivery.id,
      accountId: claimed.delivery.accountId,
      webhookId: claimed.webhook.id,
      number: claimed.delivery.attemptCount + 1,
      startedAt: at,
      durationMs: 5,
      url: claimed.webhook.url,
      requestHeaders: { 'webhook-id': claimed.delivery.id },
      responseStatus: verdict === 'succeeded' ? 204 : verdict === 'gone' ? 410 : 500,
      responseHeaders: {},
      responseBody: '',
      error: verdict === 'succeeded' ? null : 'HTTP 500',
      nextAttemptAt,
    },
    verdict,
    nextAttemptAt,
    disableIfFailingSince: at - 1_000_000,
  };
}
