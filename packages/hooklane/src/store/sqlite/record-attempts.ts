import type { StoreParts } from '../assembled-store.ts';
import { statusAfter } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { AttemptRecord } from '../store.ts';
import type { SendableWebhooks } from './config-cache.ts';
import type { SqliteConnection } from './connection.ts';
import type { Leases } from './leases.ts';
import { failPending } from './webhooks.ts';

/** The result writer: attempts, their deliveries, and what they mean for their webhooks. */
export function sqliteRecordAttempts(
  db: SqliteConnection,
  leases: Leases,
  sendable: SendableWebhooks,
  { claimDue }: StoreParts['claim'],
): StoreParts['recordAttempts'] {
  const recordAttempt = (
    { attempt, verdict, nextAttemptAt, disableIfFailingSince }: AttemptRecord,
    healthy: Set<string>,
    batch: readonly AttemptRecord[],
  ): void => {
    db.run(
      `INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
         request_headers, response_status, response_headers, response_body, error, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
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
      ],
    );
    const now = attempt.startedAt + attempt.durationMs;
    // The webhook may have been deleted or disabled while the attempt was in flight: a
    // cancelled delivery stays cancelled, and a disabled (or deleted) webhook gets no retry.
    // Decided in the UPDATE itself, which reads the row anyway (a SELECT first cost more
    // than the UPDATE and the INSERT together).
    db.run(
      `UPDATE deliveries SET
         status = CASE
           WHEN status = 'cancelled' THEN 'cancelled'
           WHEN $1 = 'pending' AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.enabled = 1)
             THEN 'failed'
           ELSE $1 END,
         next_attempt_at = CASE
           WHEN status <> 'cancelled' AND $1 = 'pending'
             AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.enabled = 1)
             THEN $2 END,
         attempt_count = $3, attempts_left = MAX(attempts_left - 1, 0), last_status = $4, last_error = $5,
         updated_at = $6
       WHERE id = $7`,
      [
        statusAfter(verdict),
        nextAttemptAt,
        attempt.number,
        attempt.responseStatus,
        attempt.error,
        now,
        attempt.deliveryId,
      ],
    );
    if (verdict === 'succeeded') {
      // Once per webhook and batch: after the first success its failing_since is NULL already.
      if (healthy.has(attempt.webhookId)) return;
      healthy.add(attempt.webhookId);
      const healed = db.run(
        'UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
        [attempt.webhookId],
      );
      if (healed.changes > 0) sendable.forget(attempt.webhookId);
      return;
    }
    healthy.delete(attempt.webhookId);
    sendable.forget(attempt.webhookId);
    db.run(SQL.startStreak, [attempt.startedAt, attempt.webhookId]);
    const gone = verdict === 'gone';
    const disabled = db.run(SQL.disableWebhook, [
      gone ? 'the endpoint answered 410 Gone' : 'the endpoint kept failing',
      now,
      attempt.webhookId,
      gone,
      disableIfFailingSince,
    ]);
    // The batch's own deliveries went back to pending above: they fail too, this one included.
    if (disabled.changes > 0) {
      const finished = new Set(batch.map((result) => result.attempt.deliveryId));
      failPending(db, leases, attempt.webhookId, 'webhook disabled', now, finished);
    }
  };

  return {
    async recordAttempts(results, next) {
      if (results.length > 0) {
        db.relaxed(() =>
          db.transaction(() => {
            const healthy = new Set<string>();
            for (const result of results) recordAttempt(result, healthy, results);
          }),
        );
        for (const result of results) leases.release(result.attempt.deliveryId);
      }
      // The results are written: a failing claim must not fail the write (the engine would write
      // them again); it claimed nothing, and the engine's own claims report the failure.
      return next ? claimDue(next).catch(() => []) : [];
    },
  };
}
