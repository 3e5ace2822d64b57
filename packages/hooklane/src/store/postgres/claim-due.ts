// The delivery engine's statements on PostgreSQL: the claim, the lookups after it, the results.

/**
 * The PostgreSQL queue claim, run by any number of workers at once: one call of the
 * `hooklane_claim_due` function (migrations 0002 and 0003 hold it and explain the query),
 * which takes the claim lock, leases up to `$4` due deliveries (at most `$3` in flight per
 * webhook across all processes) until `$2`, and returns them with what sending needs: each
 * one's event (`event_*`; batched deliveries load theirs apart) and, on the first row of each
 * webhook, the webhook with its signing secrets (`webhook`: `{row, secrets}`). One round trip.
 */
export const claimDueSql = 'SELECT * FROM hooklane_claim_due($1, $2, $3, $4)';

/**
 * Finished attempts, in one statement: the attempts inserted, their deliveries settled
 * (which ends their leases), the webhooks whose last attempt succeeded marked healthy.
 * The webhook may have been deleted or disabled while the attempt was in flight: a
 * cancelled delivery stays cancelled, and a disabled (or deleted) webhook gets no retry.
 * Like a lease, a result needs no fsync of its own: one lost in a crash means a repeated send.
 */
export const recordAttemptsSql = `
WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
recorded AS (
  INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
    request_headers, response_status, response_headers, response_body, error, next_attempt_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::int[],
    $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::bigint[])
),
settled AS (
  UPDATE deliveries d SET
    status = CASE
      WHEN d.status = 'cancelled' THEN 'cancelled'
      WHEN r.status = 'pending' AND NOT COALESCE((SELECT w.enabled FROM webhooks w WHERE w.id = d.webhook_id), false)
        THEN 'failed'
      ELSE r.status END,
    next_attempt_at = CASE
      WHEN d.status <> 'cancelled' AND r.status = 'pending'
        AND COALESCE((SELECT w.enabled FROM webhooks w WHERE w.id = d.webhook_id), false)
        THEN r.next_attempt_at END,
    attempt_count = r.number, attempts_left = GREATEST(d.attempts_left - 1, 0),
    lease_until = 0, last_status = r.last_status, last_error = r.last_error, updated_at = r.updated_at
  FROM unnest($2::text[], $15::text[], $5::int[], $16::bigint[], $10::int[], $13::text[], $17::bigint[])
    AS r(id, status, number, next_attempt_at, last_status, last_error, updated_at)
  WHERE d.id = r.id
),
healed AS (
  UPDATE webhooks SET failing_since = NULL WHERE id = ANY($18::text[]) AND failing_since IS NOT NULL
)
SELECT 1 FROM relaxed`;
