/**
 * The PostgreSQL queue claim, run by any number of workers at once. An advisory
 * transaction lock serialises claims (each takes a few milliseconds) so that the
 * per-webhook cap, counted from leased rows, holds across processes; `FOR UPDATE SKIP
 * LOCKED` keeps the claim from waiting on rows that ingest or an operator holds.
 */
export const CLAIM_LOCK = 7_320_451_982;

export const claimDueSql = `
WITH busy AS (
  SELECT webhook_id, COUNT(*) AS n FROM deliveries
  WHERE lease_until > 0 AND lease_until > $1 AND status = 'pending'
  GROUP BY webhook_id
),
due AS (
  SELECT id, webhook_id, next_attempt_at FROM deliveries
  WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1
    AND webhook_id NOT IN (SELECT webhook_id FROM busy WHERE n >= $4)
  ORDER BY next_attempt_at, id
  LIMIT $3
  FOR UPDATE SKIP LOCKED
),
ranked AS (
  SELECT id, webhook_id, next_attempt_at,
    ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, id) AS position
  FROM due
),
picked AS (
  SELECT ranked.id FROM ranked LEFT JOIN busy ON busy.webhook_id = ranked.webhook_id
  WHERE ranked.position <= $4 - COALESCE(busy.n, 0)
  ORDER BY ranked.next_attempt_at, ranked.id
  LIMIT $5
)
UPDATE deliveries SET lease_until = $2
FROM picked WHERE deliveries.id = picked.id
RETURNING deliveries.*`;
