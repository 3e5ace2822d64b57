import type { QueryResultRow } from 'pg';
import type { StoredEvent, StoredSecret, Webhook } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { toClaimedEvent, toDelivery, toSecret, toWebhook } from '../rows.ts';
import type { ClaimedDelivery, ClaimRequest } from '../store.ts';
import type { PgConnection } from './connection.ts';
import { eventsOfMany } from './deliveries.ts';

/**
 * The PostgreSQL queue claim, run by any number of workers at once: one call of the
 * `hooklane_claim_due` function (`functions/claim-due*.sql` hold it and explain the query),
 * which takes the claim lock, leases up to `$4` due deliveries (at most `$3` in flight per
 * webhook across all processes) until `$2`, and returns them with what sending needs: each
 * one's event (`event_*`; batched deliveries load theirs apart) and, on the first row of each
 * webhook, the webhook with its signing secrets (`webhook`: `{row, secrets}`). One round trip.
 */
export const claimDueSql = 'SELECT * FROM hooklane_claim_due($1, $2, $3, $4)';

/** `claimDueSql`'s parameters. */
export function claimParams(request: ClaimRequest): [number, number, number, number] {
  return [request.now, request.now + request.leaseMs, request.perWebhookCap, request.limit];
}

/** The queue: leases of due deliveries, across every process. */
export function pgClaim(db: PgConnection): StoreParts['claim'] {
  return {
    async claimDue(request) {
      const { rows } = await db.query(claimDueSql, claimParams(request), db.pool, 'hooklane_claim_due');
      return handOut(db, rows, request);
    },

    async releaseClaims(deliveryIds) {
      if (deliveryIds.length === 0) return;
      await db.query('UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1)', [deliveryIds]);
    },

    async nextDueAt(now) {
      const { rows } = await db.query(
        `SELECT next_attempt_at FROM deliveries WHERE status = 'pending' AND lease_until <= $1
         ORDER BY next_attempt_at LIMIT 1`,
        [now],
      );
      return rows[0] ? Number(rows[0].next_attempt_at) : null;
    },
  };
}

/** Claimed rows → what the engine sends, giving the rows' leases back if that fails. */
export async function handOut(
  db: PgConnection,
  rows: readonly QueryResultRow[],
  request: ClaimRequest,
): Promise<ClaimedDelivery[]> {
  try {
    return await claimed(db, rows);
  } catch (error) {
    // Nothing of this claim reaches the engine: give it back as soon as the database answers
    // again, rather than leaving it (and its webhooks' in-flight slots) leased for a whole lease.
    const leased = rows.map((row) => String(row.id));
    if (leased.length > 0) giveBack(db, leased, request.now + request.leaseMs, request.leaseMs);
    throw error;
  }
}

/** Releases claims nobody will send (only while still ours: same lease), retrying for up to `retryForMs`. */
function giveBack(db: PgConnection, ids: readonly string[], leaseUntil: number, retryForMs: number): void {
  const deadline = Date.now() + retryForMs;
  const attempt = () => {
    db.query('UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1) AND lease_until = $2', [
      ids,
      leaseUntil,
    ]).catch(() => {
      if (Date.now() < deadline) setTimeout(attempt, 250).unref();
    });
  };
  attempt();
}

async function claimed(db: PgConnection, rows: readonly QueryResultRow[]): Promise<ClaimedDelivery[]> {
  if (rows.length === 0) return [];
  const webhooks = new Map<string, Webhook>();
  const secrets = new Map<string, StoredSecret[]>();
  const events = new Map<string, StoredEvent[]>();
  for (const row of rows) {
    const sendable = row.webhook as {
      row: Record<string, unknown>;
      secrets: Record<string, unknown>[];
    } | null;
    if (sendable) {
      webhooks.set(String(row.webhook_id), toWebhook(sendable.row));
      secrets.set(String(row.webhook_id), sendable.secrets.map(toSecret));
    }
    const event = toClaimedEvent(row);
    if (event) events.set(String(row.id), [event]);
  }
  const deliveries = rows
    .map(toDelivery)
    .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || (a.id < b.id ? -1 : 1));
  const batched = deliveries.filter((d) => d.batchUserId !== null);
  if (batched.length > 0) {
    for (const [id, list] of await eventsOfMany(db, batched)) events.set(id, list);
  }
  const result: ClaimedDelivery[] = [];
  const orphans: string[] = [];
  for (const delivery of deliveries) {
    const webhook = webhooks.get(delivery.webhookId);
    if (!webhook) {
      orphans.push(delivery.id);
      continue;
    }
    result.push({
      delivery,
      webhook,
      secrets: secrets.get(webhook.id) ?? [],
      events: events.get(delivery.id) ?? [],
    });
  }
  if (orphans.length > 0) {
    // The webhook vanished under a claimed delivery: nothing can be sent.
    await db.query(
      `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_until = 0 WHERE id = ANY($1)`,
      [orphans],
    );
  }
  return result;
}
