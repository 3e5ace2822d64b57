/**
 * The SQLite queue claim, in indexed steps that never scan past a saturated webhook's
 * backlog: the webhooks that have pending deliveries (a loose index scan, one seek per
 * webhook), then for each webhook with free slots (its cap minus its leases, which live in
 * memory: leases.ts) its oldest due deliveries, up to those slots plus the ones it holds.
 * The caller drops held ones, merges in due order and leases the first `limit`. One process
 * owns an embedded store and the driver is synchronous, so the steps run without
 * interleaving and need no row locks.
 */
export const webhooksWithPendingSql = `
WITH RECURSIVE hooks(webhook_id) AS (
  SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending'
  UNION ALL
  SELECT (SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending' AND webhook_id > hooks.webhook_id)
  FROM hooks WHERE hooks.webhook_id IS NOT NULL
)
SELECT webhook_id FROM hooks WHERE webhook_id IS NOT NULL`;

export const dueOfWebhookSql = `
SELECT id, next_attempt_at FROM deliveries
WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ?
ORDER BY next_attempt_at, id
LIMIT ?`;

export const deliveriesByIdSql = `
SELECT * FROM deliveries WHERE id IN (SELECT value FROM json_each(?))`;
