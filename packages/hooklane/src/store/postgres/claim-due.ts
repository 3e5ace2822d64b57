/**
 * The PostgreSQL queue claim, run by any number of workers at once. It never scans past a
 * saturated webhook's backlog: a loose index scan lists the webhooks that have pending
 * deliveries (one seek each), leased rows give each one's requests in flight across all
 * processes, and for each webhook with free slots a LATERAL seek takes its oldest due rows
 * up to those slots (`FOR UPDATE SKIP LOCKED`); the first `$4` in due order are leased.
 * An advisory transaction lock serialises claims (each takes a few milliseconds) so that
 * two workers never both take a webhook's last slot.
 */
export const CLAIM_LOCK = 7_320_451_982;

export const claimDueSql = `
WITH RECURSIVE hooks(webhook_id) AS (
  (SELECT webhook_id FROM deliveries WHERE status = 'pending' ORDER BY webhook_id LIMIT 1)
  UNION ALL
  SELECT (SELECT d.webhook_id FROM deliveries d
          WHERE d.status = 'pending' AND d.webhook_id > hooks.webhook_id
          ORDER BY d.webhook_id LIMIT 1)
  FROM hooks WHERE hooks.webhook_id IS NOT NULL
),
busy AS (
  SELECT webhook_id, COUNT(*) AS n FROM deliveries
  WHERE lease_until > 0 AND lease_until > $1 AND status = 'pending'
  GROUP BY webhook_id
),
candidates AS (
  SELECT hooks.webhook_id, LEAST($3 - COALESCE(busy.n, 0), $4) AS free
  FROM hooks LEFT JOIN busy ON busy.webhook_id = hooks.webhook_id
  WHERE hooks.webhook_id IS NOT NULL AND $3 - COALESCE(busy.n, 0) > 0
),
due AS (
  SELECT picked.id, picked.next_attempt_at
  FROM candidates CROSS JOIN LATERAL (
    SELECT d.id, d.next_attempt_at FROM deliveries d
    WHERE d.webhook_id = candidates.webhook_id AND d.status = 'pending'
      AND d.next_attempt_at <= $1 AND d.lease_until <= $1
    ORDER BY d.next_attempt_at, d.id
    LIMIT candidates.free
    FOR UPDATE SKIP LOCKED
  ) AS picked
),
chosen AS (
  SELECT id FROM due ORDER BY next_attempt_at, id LIMIT $4
)
UPDATE deliveries SET lease_until = $2
FROM chosen WHERE deliveries.id = chosen.id
RETURNING deliveries.*`;
