// Rows the store tests build again and again: a webhook, an event, a finished attempt; and an
// embedded store on a file of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiKey, Webhook } from '../../src/core/model.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.ts';
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

/**
 * A SQLite store on a fresh file in its own folder, with the account `acc_1`; closed and removed
 * after the test.
 */
export async function tempSqliteStore(
  t: { after: (fn: () => Promise<void>) => void },
  options: Omit<SqliteStoreOptions, 'path' | 'deliveryAttempts'> = {},
): Promise<{ store: SqliteStore; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklane-sqlite-'));
  const path = join(dir, 'hooklane.db');
  const store = SqliteStore.open({ path, deliveryAttempts: 3, ...options });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.createAccount({ id: 'acc_1', name: 'one', createdAt: 1 });
  return { store, path };
}
