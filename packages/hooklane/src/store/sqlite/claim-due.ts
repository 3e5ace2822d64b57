/**
 * The SQLite queue claim, in three indexed steps that never scan past a saturated
 * webhook's backlog: the webhooks that have pending deliveries (a loose index scan, one
 * seek per webhook), how many deliveries each has leased (in flight), and for each webhook
 * with free slots its oldest due deliveries, up to those slots. The caller merges them in
 * due order and leases the first `limit`. One process owns an embedded store and the
 * driver is synchronous, so the steps run without interleaving and need no row locks.
 */
export const webhooksWithPendingSql = `
WITH RECURSIVE hooks(webhook_id) AS (
  SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending'
  UNION ALL
  SELECT (SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending' AND webhook_id > hooks.webhook_id)
  FROM hooks WHERE hooks.webhook_id IS NOT NULL
)
SELECT webhook_id FROM hooks WHERE webhook_id IS NOT NULL`;

export const leasedPerWebhookSql = `
SELECT webhook_id, COUNT(*) AS n FROM deliveries
WHERE lease_until > 0 AND lease_until > ? AND status = 'pending'
GROUP BY webhook_id`;

export const dueOfWebhookSql = `
SELECT id, next_attempt_at FROM deliveries
WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
ORDER BY next_attempt_at, id
LIMIT ?`;

export const leaseSql = `
UPDATE deliveries SET lease_until = ?
WHERE id IN (SELECT value FROM json_each(?))
RETURNING *`;
