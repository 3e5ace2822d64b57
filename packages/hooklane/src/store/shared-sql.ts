// The statements that read the same on both backends, written once with PostgreSQL's `$n`
// placeholders (the SQLite connection reads them as `?n`). Lists are bound as one parameter:
// an array on PostgreSQL, JSON text on SQLite; `SqlDialect.inList` tests a column against one.

import type { WebhookOutcome } from '../core/attempt-outcome.ts';
import { WEBHOOK_COLUMNS } from './rows.ts';
import type { AttemptRecord, DeliveryFilter, Page, WebhookChanges } from './store.ts';

/** What differs in the text of a statement both backends run, named rather than tested for. */
export interface SqlDialect {
  /** `column` is among the list bound as `param`. */
  inList(column: string, param: string): string;
  /** Appended to a SELECT whose rows a deletion takes: rows others hold are left to them. */
  readonly lockSkipLocked: string;
  /** How a delivery refers to its own event (not a batch's): by the event's id, or a key of its own. */
  readonly deliveryEvent: DeliveryEventRef;
}

/** Clauses on a delivery's own event; `$1` is the account in each. */
export interface DeliveryEventRef {
  /** The delivery (unqualified columns) is of the account's event whose id is `param`. */
  is(param: string): string;
  /** The delivery (unqualified columns) is of one of the account's events where `where` holds. */
  among(where: string): string;
  /** The delivery row aliased `d` is of the event row aliased `e`. */
  joins(d: string, e: string): string;
}

const INSERT_ROOT_KEY = `INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at)
  VALUES ($1, NULL, 'root', $2, $3, $4, $5)`;

export const SQL = {
  insertAccount: 'INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)',
  account: 'SELECT * FROM accounts WHERE id = $1',

  insertApiKey:
    'INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at, policy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  /** A publishable key's new policy (JSON); only live keys of the account change. */
  updateKeyPolicy: `UPDATE api_keys SET policy = $1 WHERE account_id = $2 AND id = $3 AND role = 'publishable'
    AND revoked_at IS NULL RETURNING *`,
  insertRootKeyIfNone: `${INSERT_ROOT_KEY} ON CONFLICT DO NOTHING`,
  insertRootKey: INSERT_ROOT_KEY,
  /** An UPDATE, not a delete and insert: on PostgreSQL the api_keys trigger tells every process. */
  replaceRootKey: `UPDATE api_keys SET id = $1, name = $2, prefix = $3, hash = $4, created_at = $5, revoked_at = NULL
    WHERE role = 'root'`,
  apiKeyByHash: 'SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL',
  apiKeysOf: 'SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id',
  revokeApiKey:
    'UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL',

  /** Parameters: rows.ts's `webhookValues`. */
  insertWebhook: `INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (${WEBHOOK_COLUMNS.split(', ')
    .map((_, i) => `$${i + 1}`)
    .join(', ')})`,
  insertSecret:
    'INSERT INTO webhook_secrets (webhook_id, sealed, created_at, expires_at) VALUES ($1, $2, $3, $4)',
  webhook: 'SELECT * FROM webhooks WHERE account_id = $1 AND id = $2',
  /** An account's (`$1`) last `$2` events, the newest first. */
  webhooksPage: `SELECT * FROM webhooks WHERE account_id = $1 AND (CAST($2 AS TEXT) IS NULL OR id < $2)
    ORDER BY id DESC LIMIT $3`,
  deleteWebhook: 'DELETE FROM webhooks WHERE account_id = $1 AND id = $2',
  deleteSecretsOf: 'DELETE FROM webhook_secrets WHERE webhook_id = $1',
  cancelPendingOf: `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = 'webhook deleted',
    updated_at = $1 WHERE webhook_id = $2 AND status = 'pending'`,
  /** Ends every valid secret's life at `$1` at the latest. */
  expireSecrets: `UPDATE webhook_secrets SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > $1 THEN $1
    ELSE expires_at END WHERE webhook_id = $2 AND (expires_at IS NULL OR expires_at > $3)`,
  setSigned: 'UPDATE webhooks SET signed = $1, updated_at = $2 WHERE id = $3',
  webhooksWithHeaders: "SELECT id, headers FROM webhooks WHERE headers <> '{}'",
  /** New headers `$1` for webhook `$2`, unless they changed since they were read as `$3`. */
  resealHeaders: 'UPDATE webhooks SET headers = $1 WHERE id = $2 AND headers = $3',

  insertEvent: `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  insertBatchEvent:
    'INSERT INTO delivery_batch_events (delivery_id, position, account_id, event_id) VALUES ($1, $2, $3, $4)',
  delivery: 'SELECT * FROM deliveries WHERE id = $1',

  /** A failing webhook's streak: since `$1`, unless it has one and `$3` (restart) is false. */
  continueStreak: 'UPDATE webhooks SET failing_since = $1 WHERE id = $2 AND (failing_since IS NULL OR $3)',
  /** What operational events need of webhooks (rows.ts toWebhookBefore), as columns to select. */
  webhookBeforeColumns: 'id, account_id, name, url, failing_since, consecutive_failures',
  /** A webhook's (`$2`) failed attempts in a row, `$1` (core/operational-events.ts). */
  setConsecutiveFailures:
    'UPDATE webhooks SET consecutive_failures = $1 WHERE id = $2 AND consecutive_failures <> $1',
  /** A webhook whose last attempt succeeded. */
  endStreak: 'UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
  /** Disables `$3` (reason `$1`, at `$2`) if `$4`, or if it has been failing since `$5` or earlier. */
  disableWebhook: `UPDATE webhooks SET enabled = false, disabled_reason = $1, updated_at = $2
    WHERE id = $3 AND enabled AND ($4 OR failing_since <= $5)`,

  deliveryOf: 'SELECT * FROM deliveries WHERE account_id = $1 AND id = $2',
  attemptsOf: 'SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY number, started_at',
  /** Due now with one more attempt; a delivery in flight (leased) decides for itself. */
  retryDelivery: `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1,
    attempts_left = CASE WHEN status = 'pending' AND attempts_left > 1 THEN attempts_left ELSE 1 END
    WHERE account_id = $2 AND id = $3 AND lease_until <= $1 RETURNING *`,
  recoverDeliveries: `UPDATE deliveries SET status = 'pending', attempts_left = 1, next_attempt_at = $1, updated_at = $1
    WHERE account_id = $2 AND webhook_id = $3 AND status = 'failed' AND created_at >= $4 AND created_at < $5`,
  queueStats: `SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM deliveries WHERE status = 'pending'`,
  /** `recoverDeliveries`'s rows, counted: its dry run. */
  countRecoverable: `SELECT COUNT(*) AS n FROM deliveries
    WHERE account_id = $1 AND webhook_id = $2 AND status = 'failed' AND created_at >= $3 AND created_at < $4`,
  /** An account's deliveries created in [$2, $3) by webhook, bucket of $4 ms from $2, and outcome. */
  deliveryCounts: `SELECT webhook_id, CAST((created_at - $2) / $4 AS BIGINT) AS bucket,
    CASE WHEN status = 'pending' AND attempt_count > 0 THEN 'retrying' ELSE status END AS outcome, COUNT(*) AS n
    FROM deliveries WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
    GROUP BY webhook_id, bucket, outcome`,
  /** Each webhook's latest delivery, one index probe per webhook (deliveries_webhook). */
  lastDeliveries: `SELECT w.id AS webhook_id,
    (SELECT MAX(d.created_at) FROM deliveries d WHERE d.webhook_id = w.id) AS last_at
    FROM webhooks w WHERE w.account_id = $1`,
  oldestPendingOf: `SELECT * FROM deliveries WHERE account_id = $1 AND status = 'pending'
    ORDER BY created_at, id LIMIT 1`,

  insertPortalSession: `INSERT INTO portal_sessions (id, account_id, name, capabilities, hash, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  portalSessionByHash: 'SELECT * FROM portal_sessions WHERE hash = $1',
  deletePortalSessions: 'DELETE FROM portal_sessions WHERE account_id = $1',
  deleteExpiredPortalSessions: 'DELETE FROM portal_sessions WHERE account_id = $1 AND expires_at <= $2',
} as const;

/** The WHERE, ORDER and LIMIT of an operator's delivery list, with its parameters. */
export function deliveriesPage(
  d: SqlDialect,
  accountId: string,
  filter: DeliveryFilter,
  page: Page,
): { sql: string; params: unknown[] } {
  const where = ['account_id = $1'];
  const params: unknown[] = [accountId];
  const add = (clause: (p: () => string) => string, ...values: unknown[]) => {
    where.push(
      clause(() => {
        params.push(values.shift());
        return `$${params.length}`;
      }),
    );
  };
  if (filter.webhookId !== undefined) add((p) => `webhook_id = ${p()}`, filter.webhookId);
  if (filter.status !== undefined) add((p) => `status = ${p()}`, filter.status);
  if (filter.since !== undefined) add((p) => `created_at >= ${p()}`, filter.since);
  if (filter.until !== undefined) add((p) => `created_at < ${p()}`, filter.until);
  if (filter.eventId !== undefined) {
    add(
      (p) =>
        `(${d.deliveryEvent.is(p())} OR id IN (SELECT delivery_id FROM delivery_batch_events WHERE account_id = $1 AND event_id = ${p()}))`,
      filter.eventId,
      filter.eventId,
    );
  }
  if (filter.eventType !== undefined) {
    add((p) => {
      const type = p();
      const where = `(name = ${type} OR type_id = ${type})`;
      const ofType = `SELECT id FROM events WHERE account_id = $1 AND ${where}`;
      return `(${d.deliveryEvent.among(where)} OR id IN (SELECT delivery_id FROM delivery_batch_events WHERE account_id = $1 AND event_id IN (${ofType})))`;
    }, filter.eventType);
  }
  if (page.before !== null) add((p) => `id < ${p()}`, page.before);
  params.push(page.limit);
  return {
    sql: `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  };
}

/**
 * An account's latest events (`$1`), newest first, at most `$2`; with `byUser`, one user's
 * (`$3`) only. The index on ingested_at reads from the newest end.
 */
export const latestEvents = (byUser: boolean) =>
  `SELECT * FROM events WHERE account_id = $1${byUser ? ' AND user_id = $3' : ''}
   ORDER BY ingested_at DESC, id DESC LIMIT $2`;

/** The stored events among a list of ids (`$2`) of one account (`$1`). */
export const eventsAmong = (d: SqlDialect) =>
  `SELECT * FROM events WHERE account_id = $1 AND ${d.inList('id', '$2')}`;

/**
 * Retention, one batch: the finished deliveries created before `$1` (at most `$2`), which the
 * three deletions then take with their attempts, and the events ingested before `$1` that no
 * delivery refers to any more.
 */
export const retentionSql = (d: SqlDialect) => ({
  finishedDeliveries: `SELECT id FROM deliveries WHERE created_at < $1 AND status IN ('succeeded', 'failed', 'cancelled')
    LIMIT $2${d.lockSkipLocked}`,
  deleteAttempts: `DELETE FROM attempts WHERE ${d.inList('delivery_id', '$1')}`,
  deleteBatchEvents: `DELETE FROM delivery_batch_events WHERE ${d.inList('delivery_id', '$1')}`,
  deleteDeliveries: `DELETE FROM deliveries WHERE ${d.inList('id', '$1')}`,
  deleteEvents: `DELETE FROM events WHERE (account_id, id) IN (
    SELECT account_id, id FROM events e WHERE ingested_at < $1
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE ${d.deliveryEvent.joins('d', 'e')})
      AND NOT EXISTS (SELECT 1 FROM delivery_batch_events b WHERE b.account_id = e.account_id AND b.event_id = e.id)
    LIMIT $2)`,
});

/**
 * A webhook update that writes only the named fields, returning the row as committed. The
 * enabled flag's companions are computed from the row as it is when the write runs: disabling
 * keeps an automatic disable's reason, and enabling a disabled webhook clears its failure streak.
 */
export function updateWebhookSql(
  accountId: string,
  id: string,
  changes: WebhookChanges,
  now: number,
): { sql: string; params: unknown[] } {
  const columns: [string, unknown][] = [];
  if (changes.name !== undefined) columns.push(['name', changes.name]);
  if (changes.url !== undefined) columns.push(['url', changes.url]);
  if (changes.events !== undefined) columns.push(['events', JSON.stringify(changes.events)]);
  if (changes.filters !== undefined) {
    const ids = changes.filters.contentIds;
    columns.push(['content_ids', ids === null ? null : JSON.stringify(ids)]);
    const match = changes.filters.match;
    if (match !== undefined) columns.push(['match_filter', match === null ? null : JSON.stringify(match)]);
  }
  if (changes.template !== undefined) {
    columns.push(['template', changes.template === null ? null : JSON.stringify(changes.template)]);
  }
  if (changes.format !== undefined) columns.push(['format', changes.format]);
  if (changes.batchWindowMs !== undefined) columns.push(['batch_window_ms', changes.batchWindowMs]);
  if (changes.headers !== undefined) columns.push(['headers', JSON.stringify(changes.headers)]);
  if (changes.trigger !== undefined) {
    columns.push(['trigger_spec', changes.trigger === null ? null : JSON.stringify(changes.trigger)]);
  }
  columns.push(['updated_at', now]);
  const set = columns.map(([column], i) => `${column} = $${i + 1}`);
  const params = columns.map(([, value]) => value);
  if (changes.enabled === true) {
    // Every right-hand side reads the row as it was before this update.
    params.push(true);
    set.push(
      `failing_since = CASE WHEN enabled = $${params.length} THEN failing_since ELSE NULL END`,
      `consecutive_failures = CASE WHEN enabled = $${params.length} THEN consecutive_failures ELSE 0 END`,
      `enabled = $${params.length}`,
      'disabled_reason = NULL',
    );
  } else if (changes.enabled === false) {
    params.push(false, 'disabled by an admin');
    set.push(
      `enabled = $${params.length - 1}`,
      `disabled_reason = COALESCE(disabled_reason, $${params.length})`,
    );
  }
  params.push(accountId, id);
  return {
    sql: `UPDATE webhooks SET ${set.join(', ')} WHERE account_id = $${params.length - 1} AND id = $${params.length}
      RETURNING *`,
    params,
  };
}

/**
 * The webhooks of a result batch that may yield operational events: those with a failure, and
 * those failing before as far as their claim knew (a success may be their recovery).
 */
export function watchedWebhooks(results: readonly AttemptRecord[]): string[] {
  return [
    ...new Set(
      results.filter((r) => r.verdict !== 'succeeded' || r.webhookFailing).map((r) => r.attempt.webhookId),
    ),
  ].sort();
}

/** The write of a webhook's streak as an attempt outcome plans it. */
export function streakWrite({ webhookId, streak }: WebhookOutcome): { sql: string; params: unknown[] } {
  return streak.ended
    ? { sql: SQL.endStreak, params: [webhookId] }
    : { sql: SQL.continueStreak, params: [streak.since, webhookId, streak.restart] };
}

/** The disable an attempt outcome plans, if any: it changes a row only if the webhook is enabled. */
export function disableWrite({
  webhookId,
  at,
  disable,
}: WebhookOutcome): { sql: string; params: unknown[] } | null {
  if (!disable) return null;
  return {
    sql: SQL.disableWebhook,
    params: [disable.reason, at, webhookId, disable.always, disable.ifFailingSince],
  };
}
