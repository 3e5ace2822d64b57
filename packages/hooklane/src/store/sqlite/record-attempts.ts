import { needsEnabledWebhooks, planAttemptOutcomes, WEBHOOK_DISABLED } from '../../core/attempt-outcome.ts';
import { planOperationalEvents } from '../../core/operational-events.ts';
import type { StoreParts } from '../assembled-store.ts';
import { toWebhookBefore } from '../rows.ts';
import { disableWrite, SQL, streakWrite, watchedWebhooks } from '../shared-sql.ts';
import type { AttemptRecord } from '../store.ts';
import type { SendableWebhooks } from './config-cache.ts';
import type { SqliteConnection } from './connection.ts';
import type { IngestWithin } from './ingest.ts';
import type { Leases } from './leases.ts';
import { failPending } from './webhooks.ts';

const insertAttemptSql = `INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms,
  url, request_headers, response_status, response_headers, response_body, error, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;

/** A delivery as its attempt's outcome leaves it; a cancelled delivery stays cancelled. */
const settleDeliverySql = `UPDATE deliveries SET
  status = CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE $1 END,
  next_attempt_at = CASE WHEN status = 'cancelled' THEN NULL ELSE $2 END,
  attempt_count = $3, attempts_left = MAX(attempts_left - 1, 0), last_status = $4, last_error = $5, updated_at = $6
  WHERE id = $7`;

/**
 * The result writer: attempts, and what core/attempt-outcome.ts makes of their deliveries and
 * webhooks, in one transaction without an fsync of its own (connection.ts: `relaxed`).
 */
export function sqliteRecordAttempts(
  db: SqliteConnection,
  leases: Leases,
  sendable: SendableWebhooks,
  { claimDue }: StoreParts['claim'],
  ingestWithin: IngestWithin,
): StoreParts['recordAttempts'] {
  const write = (results: readonly AttemptRecord[]): void => {
    // The webhooks that may yield operational events, as they are before this write.
    const watched = watchedWebhooks(results);
    const before = new Map(
      watched.length === 0
        ? []
        : db
            .all(
              `SELECT ${SQL.webhookBeforeColumns} FROM webhooks WHERE id IN (SELECT value FROM json_each($1))`,
              [watched],
            )
            .map((row) => [String(row.id), toWebhookBefore(row)] as const),
    );
    const ids = [...new Set(results.map((r) => r.attempt.webhookId))];
    const enabled = needsEnabledWebhooks(results)
      ? new Set(
          db
            .all('SELECT id FROM webhooks WHERE enabled AND id IN (SELECT value FROM json_each($1))', [ids])
            .map((row) => String(row.id)),
        )
      : new Set<string>();
    const plan = planAttemptOutcomes(results, enabled);
    for (const [i, { attempt }] of results.entries()) {
      db.statement(insertAttemptSql).run(
        attempt.id,
        attempt.deliveryId,
        attempt.accountId,
        attempt.webhookId,
        attempt.number,
        attempt.startedAt,
        attempt.durationMs,
        attempt.url,
        JSON.stringify(attempt.requestHeaders),
        attempt.responseStatus,
        attempt.responseHeaders === null ? null : JSON.stringify(attempt.responseHeaders),
        attempt.responseBody,
        attempt.error,
        attempt.nextAttemptAt,
      );
      const d = plan.deliveries[i];
      if (!d) continue;
      db.statement(settleDeliverySql).run(
        d.status,
        d.nextAttemptAt,
        d.attemptCount,
        d.lastStatus,
        d.lastError,
        d.updatedAt,
        d.deliveryId,
      );
    }
    // The batch's own deliveries are no longer in flight: a disable fails them too.
    const finished = new Set(results.map((r) => r.attempt.deliveryId));
    const disabled = new Set<string>();
    for (const outcome of plan.webhooks) {
      const { webhookId } = outcome;
      const streak = streakWrite(outcome);
      // What claims keep of the webhook carries its streak.
      if (db.run(streak.sql, streak.params).changes > 0) sendable.forget(webhookId);
      const disable = disableWrite(outcome);
      if (!disable || db.run(disable.sql, disable.params).changes === 0) continue;
      disabled.add(webhookId);
      sendable.forget(webhookId);
      failPending(db, leases, webhookId, WEBHOOK_DISABLED, outcome.at, finished);
    }
    if (before.size === 0) return;
    const now = Math.max(...results.map((r) => r.attempt.startedAt + r.attempt.durationMs));
    const operational = planOperationalEvents(results, plan, before, disabled, now);
    for (const [webhookId, count] of operational.consecutiveFailures) {
      db.run(SQL.setConsecutiveFailures, [count, webhookId]);
    }
    if (operational.events.length > 0) ingestWithin(operational.events, now);
  };

  return {
    async recordAttempts(results, next) {
      if (results.length > 0) {
        // Operational events' deliveries are due now: the claim below, or the next poll, takes them.
        db.relaxed(() => db.transaction(() => write(results)));
        for (const result of results) leases.release(result.attempt.deliveryId);
      }
      // The results are written: a failing claim must not fail the write (the engine would write
      // them again); it claimed nothing, and the engine's own claims report the failure.
      return next ? claimDue(next).catch(() => []) : [];
    },
  };
}
