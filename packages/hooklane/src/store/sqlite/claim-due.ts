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

/**
 * The claimed deliveries by id, each with its event in the same row (one statement for both:
 * a second query for the events, keyed by a JSON list of (account, id) pairs, had cost as much
 * as the claim's own steps), named as rows.ts's `toClaimedEvent` reads them. A batched
 * delivery's events are read apart (no event here).
 */
export const claimedRowsSql = `
SELECT d.*, e.name AS event_name, e.type_id AS event_type_id, e.user_id AS event_user_id,
  e.content_id AS event_content_id, e.occurred_at AS event_occurred_at, e.ingested_at AS event_ingested_at,
  e.body AS event_body
FROM json_each(?) AS k
JOIN deliveries d ON d.id = k.value
LEFT JOIN events e ON d.batch_user_id IS NULL AND e.account_id = d.account_id AND e.id = d.event_id`;
