import { headersForRole } from '../core/header-masking.ts';
import type { Account, ApiKey, Attempt, Delivery, Role, Webhook } from '../core/model.ts';
import type { DeliveryDetail } from '../services/deliveries.ts';

/**
 * Domain objects → the API's snake_case JSON, times as ISO 8601. Presenters of what holds
 * static header values take the caller's role: those values are shown by role.
 */
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const presentAccount = (account: Account) => ({
  id: account.id,
  name: account.name,
  created_at: iso(account.createdAt),
});

export const presentKey = (key: ApiKey) => ({
  id: key.id,
  role: key.role,
  name: key.name,
  prefix: key.prefix,
  created_at: iso(key.createdAt),
  revoked_at: isoOrNull(key.revokedAt),
  ...(key.policy && {
    origins: key.policy.origins,
    events: key.policy.events,
    rate_limit: {
      per_key: {
        per_second: key.policy.rateLimit.perKey.perSecond,
        burst: key.policy.rateLimit.perKey.burst,
      },
      per_client: {
        per_second: key.policy.rateLimit.perClient.perSecond,
        burst: key.policy.rateLimit.perClient.burst,
      },
    },
  }),
});

export const presentWebhook = (webhook: Webhook, role: Role) => ({
  id: webhook.id,
  name: webhook.name,
  url: webhook.url,
  events: webhook.events,
  // `match` and `template` appear only when set, so webhooks without them read as before.
  filters: {
    content_ids: webhook.filters.contentIds,
    ...(webhook.filters.match != null && { match: webhook.filters.match }),
  },
  format: webhook.format,
  ...(webhook.template != null && { template: webhook.template }),
  batch_window_ms: webhook.batchWindowMs,
  headers: headersForRole(webhook.headers, role),
  enabled: webhook.enabled,
  disabled_reason: webhook.disabledReason,
  signed: webhook.signed,
  failing_since: isoOrNull(webhook.failingSince),
  created_at: iso(webhook.createdAt),
  updated_at: iso(webhook.updatedAt),
  trigger: webhook.trigger ?? null,
});

export const presentDelivery = (delivery: Delivery) => ({
  id: delivery.id,
  webhook_id: delivery.webhookId,
  event_id: delivery.eventId,
  status: delivery.status,
  format: delivery.format,
  attempt_count: delivery.attemptCount,
  next_attempt_at: isoOrNull(delivery.nextAttemptAt),
  last_status: delivery.lastStatus,
  last_error: delivery.lastError,
  created_at: iso(delivery.createdAt),
  updated_at: iso(delivery.updatedAt),
});

const presentAttempt = (attempt: Attempt, body: string | null, role: Role) => ({
  id: attempt.id,
  number: attempt.number,
  started_at: iso(attempt.startedAt),
  duration_ms: attempt.durationMs,
  url: attempt.url,
  request: {
    headers: headersForRole(attempt.requestHeaders, role),
    body: Object.keys(attempt.requestHeaders).length > 0 ? body : null,
  },
  response:
    attempt.responseStatus === null
      ? null
      : {
          status: attempt.responseStatus,
          headers: attempt.responseHeaders ?? {},
          body: attempt.responseBody,
        },
  error: attempt.error,
  next_attempt_at: isoOrNull(attempt.nextAttemptAt),
});

export const presentDeliveryDetail = (
  { delivery, attempts, body, eventIds }: DeliveryDetail,
  role: Role,
) => ({
  ...presentDelivery(delivery),
  event_ids: eventIds,
  attempts: attempts.map((attempt) => presentAttempt(attempt, body, role)),
});
