/**
 * The SQLite queue claim. One process owns an embedded store, so no row locking is
 * needed: the statement leases the due deliveries in due order, never more per webhook
 * than its free slots (`:cap` minus the deliveries already leased, i.e. in flight), and
 * skips webhooks that have none, so a slow endpoint's backlog never fills the batch of
 * the others.
 */
export const claimDueSql = `
WITH busy AS (
  SELECT webhook_id, COUNT(*) AS n FROM deliveries
  WHERE lease_until > :now AND status = 'pending'
  GROUP BY webhook_id
),
due AS (
  SELECT id, webhook_id, next_attempt_at FROM deliveries
  WHERE status = 'pending' AND next_attempt_at <= :now AND lease_until <= :now
    AND webhook_id NOT IN (SELECT webhook_id FROM busy WHERE n >= :cap)
  ORDER BY next_attempt_at, id
  LIMIT :scan
),
ranked AS (
  SELECT id, webhook_id, next_attempt_at,
    ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, id) AS position
  FROM due
),
picked AS (
  SELECT ranked.id FROM ranked LEFT JOIN busy ON busy.webhook_id = ranked.webhook_id
  WHERE ranked.position <= :cap - COALESCE(busy.n, 0)
  ORDER BY ranked.next_attempt_at, ranked.id
  LIMIT :limit
)
UPDATE deliveries SET lease_until = :lease
WHERE id IN (SELECT id FROM picked)
RETURNING *`;
