import type { Outcome } from '../core/account-stats.ts';
import type {
  Account,
  ApiKey,
  Attempt,
  Delivery,
  DeliveryStatus,
  PayloadFormat,
  PortalSession,
  Role,
  StoredEvent,
  StoredSecret,
  Webhook,
} from '../core/model.ts';
import type { WebhookBefore } from '../core/operational-events.ts';
import type { JsonObject } from '../core/payload-filter.ts';
import type { TemplateDefinition } from '../core/payload-template.ts';
import type { AccountActivity, DeliveryCount, NewEvent } from './store.ts';

/** Row → model mapping, shared by both adapters (JSON travels as text, times as integers). */
type Row = Record<string, unknown>;

const str = (value: unknown): string => String(value);
const num = (value: unknown): number => Number(value);
const strOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const json = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : fallback;

export function toAccount(row: Row): Account {
  return { id: str(row.id), name: str(row.name), createdAt: num(row.created_at) };
}

export function toApiKey(row: Row): ApiKey {
  return {
    id: str(row.id),
    accountId: strOrNull(row.account_id),
    role: str(row.role) as Role,
    name: strOrNull(row.name),
    prefix: str(row.prefix),
    createdAt: num(row.created_at),
    revokedAt: numOrNull(row.revoked_at),
    policy: json<ApiKey['policy']>(row.policy, null),
  };
}

/** `SQL.insertApiKey`'s parameters. */
export function apiKeyValues(key: ApiKey, hash: string): (string | number | null)[] {
  return [
    key.id,
    key.accountId,
    key.role,
    key.name,
    key.prefix,
    hash,
    key.createdAt,
    key.policy ? JSON.stringify(key.policy) : null,
  ];
}

/** `SQL.insertRootKeyIfNone`'s parameters. */
export function rootKeyValues(key: ApiKey, hash: string): (string | number | null)[] {
  return [key.id, key.name, key.prefix, hash, key.createdAt];
}

export function toWebhook(row: Row): Webhook {
  return {
    id: str(row.id),
    accountId: str(row.account_id),
    name: str(row.name),
    url: str(row.url),
    events: json<string[]>(row.events, []),
    filters: {
      contentIds: json<string[] | null>(row.content_ids, null),
      match: json<JsonObject | null>(row.match_filter, null),
    },
    format: str(row.format) as PayloadFormat,
    template: json<TemplateDefinition | null>(row.template, null),
    batchWindowMs: num(row.batch_window_ms),
    headers: json<Record<string, string>>(row.headers, {}),
    enabled: Boolean(row.enabled),
    disabledReason: strOrNull(row.disabled_reason),
    failingSince: numOrNull(row.failing_since),
    signed: Boolean(row.signed),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    trigger: json<Webhook['trigger']>(row.trigger_spec, null),
  };
}

/** Column values of a webhook, in the order of WEBHOOK_COLUMNS. */
export const WEBHOOK_COLUMNS =
  'id, account_id, name, url, events, content_ids, format, batch_window_ms, headers, enabled, disabled_reason, failing_since, signed, created_at, updated_at, trigger_spec, match_filter, template';

export function webhookValues(w: Webhook): (string | number | boolean | null)[] {
  return [
    w.id,
    w.accountId,
    w.name,
    w.url,
    JSON.stringify(w.events),
    w.filters.contentIds === null ? null : JSON.stringify(w.filters.contentIds),
    w.format,
    w.batchWindowMs,
    JSON.stringify(w.headers),
    w.enabled,
    w.disabledReason,
    w.failingSince,
    w.signed,
    w.createdAt,
    w.updatedAt,
    w.trigger ? JSON.stringify(w.trigger) : null,
    w.filters.match == null ? null : JSON.stringify(w.filters.match),
    w.template == null ? null : JSON.stringify(w.template),
  ];
}

/** What operational events need of a webhook before a result write (core/operational-events.ts). */
export function toWebhookBefore(row: Row): WebhookBefore {
  return {
    id: str(row.id),
    accountId: str(row.account_id),
    name: str(row.name),
    url: str(row.url),
    failingSince: numOrNull(row.failing_since),
    consecutiveFailures: num(row.consecutive_failures ?? 0),
  };
}

/** `SQL.insertSecret`'s parameters. */
export function secretValues(webhookId: string, secret: StoredSecret): (string | number | null)[] {
  return [webhookId, secret.sealed, secret.createdAt, secret.expiresAt];
}

/** `SQL.insertEvent`'s parameters: an event of `accountId` ingested at `now`. */
export function eventValues(accountId: string, event: NewEvent, now: number): (string | number | null)[] {
  return [
    accountId,
    event.id,
    event.name,
    event.typeId,
    event.userId,
    event.contentId,
    event.occurredAt,
    now,
    event.body,
  ];
}

export function toSecret(row: Row): StoredSecret {
  return { sealed: str(row.sealed), createdAt: num(row.created_at), expiresAt: numOrNull(row.expires_at) };
}

export function toEvent(row: Row): StoredEvent {
  return {
    accountId: str(row.account_id),
    id: str(row.id),
    name: str(row.name),
    typeId: strOrNull(row.type_id),
    userId: str(row.user_id),
    contentId: strOrNull(row.content_id),
    occurredAt: num(row.occurred_at),
    ingestedAt: num(row.ingested_at),
    body: str(row.body),
  };
}

/**
 * The event a claim returns in its delivery's row, as both stores' claims name it: the
 * delivery's `account_id` and `event_id`, the event's other columns as `event_*`. Null when
 * none was joined (a batched delivery, whose events are read apart, or an event gone).
 */
export function toClaimedEvent(row: Row): StoredEvent | null {
  if (row.event_body === null || row.event_body === undefined) return null;
  return {
    accountId: str(row.account_id),
    id: str(row.event_id),
    name: str(row.event_name),
    typeId: strOrNull(row.event_type_id),
    userId: str(row.event_user_id),
    contentId: strOrNull(row.event_content_id),
    occurredAt: num(row.event_occurred_at),
    ingestedAt: num(row.event_ingested_at),
    body: str(row.event_body),
  };
}

export function toDelivery(row: Row): Delivery {
  return {
    id: str(row.id),
    accountId: str(row.account_id),
    webhookId: str(row.webhook_id),
    eventId: str(row.event_id),
    status: str(row.status) as DeliveryStatus,
    format: str(row.format) as PayloadFormat,
    webhookName: str(row.webhook_name),
    batchUserId: strOrNull(row.batch_user_id),
    attemptCount: num(row.attempt_count),
    attemptsLeft: num(row.attempts_left),
    nextAttemptAt: numOrNull(row.next_attempt_at),
    lastStatus: numOrNull(row.last_status),
    lastError: strOrNull(row.last_error),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function toAttempt(row: Row): Attempt {
  return {
    id: str(row.id),
    deliveryId: str(row.delivery_id),
    accountId: str(row.account_id),
    webhookId: str(row.webhook_id),
    number: num(row.number),
    startedAt: num(row.started_at),
    durationMs: num(row.duration_ms),
    url: str(row.url),
    requestHeaders: json<Record<string, string>>(row.request_headers, {}),
    responseStatus: numOrNull(row.response_status),
    responseHeaders: json<Record<string, string> | null>(row.response_headers, null),
    responseBody: strOrNull(row.response_body),
    error: strOrNull(row.error),
    nextAttemptAt: numOrNull(row.next_attempt_at),
  };
}

/** The queue's size and age, from `SQL.queueStats`'s row. */
export function toQueueStats(row: Row | undefined): { pending: number; oldestPendingAt: number | null } {
  return {
    pending: Number(row?.pending ?? 0),
    oldestPendingAt: row?.oldest == null ? null : Number(row.oldest),
  };
}

export function toPortalSession(row: Row): PortalSession {
  return {
    id: str(row.id),
    accountId: str(row.account_id),
    name: strOrNull(row.name),
    capabilities: json<PortalSession['capabilities']>(row.capabilities, []),
    createdAt: num(row.created_at),
    expiresAt: num(row.expires_at),
  };
}

/** `SQL.insertPortalSession`'s parameters. */
export function portalSessionValues(session: PortalSession, hash: string): (string | number | null)[] {
  return [
    session.id,
    session.accountId,
    session.name,
    JSON.stringify(session.capabilities),
    hash,
    session.createdAt,
    session.expiresAt,
  ];
}

/** An account's activity from the rows of `SQL.deliveryCounts`, `SQL.lastDeliveries` and `SQL.oldestPendingOf`. */
export function toAccountActivity(counts: Row[], last: Row[], oldest: Row | undefined): AccountActivity {
  return {
    counts: counts.map(
      (row): DeliveryCount => ({
        webhookId: str(row.webhook_id),
        bucket: num(row.bucket),
        outcome: str(row.outcome) as Outcome,
        count: num(row.n),
      }),
    ),
    lastDeliveryAt: new Map(
      last.filter((row) => row.last_at != null).map((row) => [str(row.webhook_id), num(row.last_at)]),
    ),
    oldestPending: oldest ? toDelivery(oldest) : null,
  };
}
