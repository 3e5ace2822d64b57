import type { StoreParts } from '../assembled-store.ts';
import { toClaimedEvent, toDelivery } from '../rows.ts';
import type { ClaimedDelivery, ClaimRequest } from '../store.ts';
import type { SendableWebhooks } from './config-cache.ts';
import type { SqliteConnection } from './connection.ts';
import { eventsOf } from './deliveries.ts';
import type { Leases } from './leases.ts';

/**
 * The SQLite queue claim, in indexed steps that never scan past a saturated webhook's
 * backlog: the webhooks that have pending deliveries (a loose index scan, one seek per
 * webhook), then for each webhook with free slots (its cap minus its leases, which live in
 * memory: leases.ts) its oldest due deliveries, up to those slots plus the ones it holds.
 * The caller drops held ones, merges in due order and leases the first `limit`. One process
 * owns an embedded store and the driver is synchronous, so the steps run without
 * interleaving and need no row locks.
 */
const webhooksWithPendingSql = `
WITH RECURSIVE hooks(webhook_id) AS (
  SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending'
  UNION ALL
  SELECT (SELECT MIN(webhook_id) FROM deliveries WHERE status = 'pending' AND webhook_id > hooks.webhook_id)
  FROM hooks WHERE hooks.webhook_id IS NOT NULL
)
SELECT webhook_id FROM hooks WHERE webhook_id IS NOT NULL`;

const dueOfWebhookSql = `
SELECT id, next_attempt_at FROM deliveries
WHERE webhook_id = $1 AND status = 'pending' AND next_attempt_at <= $2
ORDER BY next_attempt_at, id
LIMIT $3`;

/**
 * The claimed deliveries by id, each with its event in the same row (one statement for both:
 * a second query for the events, keyed by a JSON list of (account, id) pairs, had cost as much
 * as the claim's own steps), named as rows.ts's `toClaimedEvent` reads them. A batched
 * delivery's events are read apart (no event here). The event is found by its integer key.
 */
const claimedRowsSql = `
SELECT d.*, e.name AS event_name, e.type_id AS event_type_id, e.user_id AS event_user_id,
  e.content_id AS event_content_id, e.occurred_at AS event_occurred_at, e.ingested_at AS event_ingested_at,
  e.body AS event_body
FROM json_each($1) AS k
JOIN deliveries d ON d.id = k.value
LEFT JOIN events e ON d.batch_user_id IS NULL AND e.seq = d.event_seq`;

/** The queue: leases of due deliveries, kept in this process's memory (leases.ts). */
export function sqliteClaim(
  db: SqliteConnection,
  leases: Leases,
  sendable: SendableWebhooks,
): StoreParts['claim'] {
  const claimDue = (request: ClaimRequest): ClaimedDelivery[] => {
    const { now, perWebhookCap } = request;
    const held = leases.byWebhook(now);
    const due: { id: string; at: number }[] = [];
    for (const row of db.statement(webhooksWithPendingSql).all()) {
      const webhookId = String(row.webhook_id);
      const mine = held.get(webhookId);
      const inFlight = mine?.size ?? 0;
      const free = Math.min(perWebhookCap - inFlight, request.limit);
      if (free <= 0) continue;
      // Held deliveries are still pending (and usually the oldest): read past them.
      let taken = 0;
      for (const candidate of db.statement(dueOfWebhookSql).all(webhookId, now, free + inFlight)) {
        const id = String(candidate.id);
        if (mine?.has(id)) continue;
        due.push({ id, at: Number(candidate.next_attempt_at) });
        if (++taken === free) break;
      }
    }
    if (due.length === 0) return [];
    due.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    const ids = due.slice(0, request.limit).map((item) => item.id);
    const rows = db
      .statement(claimedRowsSql)
      .all(JSON.stringify(ids))
      .map((row) => ({ delivery: toDelivery(row), event: toClaimedEvent(row) }))
      .sort(
        (a, b) =>
          (a.delivery.nextAttemptAt ?? 0) - (b.delivery.nextAttemptAt ?? 0) ||
          (a.delivery.id < b.delivery.id ? -1 : 1),
      );
    for (const { delivery } of rows) leases.take(delivery.id, delivery.webhookId, now + request.leaseMs);
    const claimed: ClaimedDelivery[] = [];
    for (const { delivery, event } of rows) {
      const entry = sendable.get(delivery.webhookId, now);
      if (entry === null) {
        // The webhook vanished under a claimed delivery: nothing can be sent.
        db.run(`UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE id = $1`, [
          delivery.id,
        ]);
        leases.release(delivery.id);
        continue;
      }
      const events = delivery.batchUserId !== null ? eventsOf(db, delivery) : event === null ? [] : [event];
      claimed.push({ delivery, webhook: entry.webhook, secrets: entry.secrets, events });
    }
    return claimed;
  };

  return {
    async claimDue(request) {
      return db.relaxed(() => claimDue(request));
    },

    async releaseClaims(deliveryIds) {
      for (const id of deliveryIds) leases.release(id);
    },

    async nextDueAt(now) {
      // The first due row nobody holds: at most every held one comes before it.
      for (const row of db.all(
        `SELECT id, next_attempt_at FROM deliveries WHERE status = 'pending'
         ORDER BY next_attempt_at, id LIMIT $1`,
        [leases.size + 1],
      )) {
        if (!leases.held(String(row.id), now)) return Number(row.next_attempt_at);
      }
      return null;
    },
  };
}
