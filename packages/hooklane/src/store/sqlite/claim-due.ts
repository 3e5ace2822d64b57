import type { StoredEvent } from '../../core/model.ts';

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
 * as the claim's own steps). A batched delivery's events are read apart (no event here).
 */
export const claimedRowsSql = `
SELECT d.*, e.id AS e_id, e.name AS e_name, e.type_id AS e_type_id, e.user_id AS e_user_id,
  e.content_id AS e_content_id, e.occurred_at AS e_occurred_at, e.ingested_at AS e_ingested_at, e.body AS e_body
FROM json_each(?) AS k
JOIN deliveries d ON d.id = k.value
LEFT JOIN events e ON d.batch_user_id IS NULL AND e.account_id = d.account_id AND e.id = d.event_id`;

/** The event of a claimedRowsSql row, or null (a batched delivery, or the event was pruned). */
export function joinedEvent(row: Record<string, unknown>): StoredEvent | null {
  if (row.e_id === null || row.e_id === undefined) return null;
  return {
    accountId: String(row.account_id),
    id: String(row.e_id),
    name: String(row.e_name),
    typeId: row.e_type_id === null ? null : String(row.e_type_id),
    userId: String(row.e_user_id),
    contentId: row.e_content_id === null ? null : String(row.e_content_id),
    occurredAt: Number(row.e_occurred_at),
    ingestedAt: Number(row.e_ingested_at),
    body: String(row.e_body),
  };
}
