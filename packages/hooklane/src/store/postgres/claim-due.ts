// The delivery engine's statements on PostgreSQL: the claim, the lookups after it, the results.

import type { ClaimRequest } from '../store.ts';

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

/**
 * Finished attempts, in one statement: `hooklane_record_attempts` (functions/record-attempts.sql) inserts the
 * attempts, settles their deliveries (which ends their leases) and marks healthy the webhooks
 * whose last attempt succeeded. The webhook may have been deleted or disabled while the
 * attempt was in flight: a cancelled delivery stays cancelled, and a disabled (or deleted)
 * webhook gets no retry. Like a lease, a result needs no fsync of its own: one lost in a
 * crash means a repeated send.
 */
export const recordAttemptsSql = `SELECT hooklane_record_attempts(${params(1, 18)})`;

/**
 * The same write, then the claim (`$19`-`$22` as `claimDueSql`'s `$1`-`$4`), in one call and
 * one transaction: the claim sees the leases the write ended. The rows are the claim's.
 */
export const recordAndClaimSql = `SELECT * FROM hooklane_record_and_claim(${params(1, 22)})`;

function params(from: number, to: number): string {
  return Array.from({ length: to - from + 1 }, (_, index) => `$${from + index}`).join(', ');
}
