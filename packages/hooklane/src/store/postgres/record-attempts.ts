import { type AttemptOutcomes, planAttemptOutcomes, WEBHOOK_DISABLED } from '../../core/attempt-outcome.ts';
import { planOperationalEvents } from '../../core/operational-events.ts';
import type { StoreParts } from '../assembled-store.ts';
import { toWebhookBefore } from '../rows.ts';
import { disableWrite, SQL, streakWrite, watchedWebhooks } from '../shared-sql.ts';
import type { AttemptRecord, ClaimedDelivery } from '../store.ts';
import { claimParams, handOut } from './claim.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection } from './connection.ts';
import type { PgIngestWithin } from './ingest.ts';
import { failPending } from './webhooks.ts';

/** Results a process writes between two vacuums of the queue (PostgresStoreOptions.vacuumEvery). */
export const DEFAULT_VACUUM_EVERY = 10_000;

/**
 * Finished attempts, in one statement: `hooklane_record_attempts` (functions/record-attempts.sql)
 * inserts the attempts, writes what the plan (core/attempt-outcome.ts) makes of their deliveries
 * (which ends their leases; a cancelled delivery stays cancelled) and clears the streak of the
 * webhooks whose last attempt succeeded. Like a lease, a result needs no fsync of its own: one
 * lost in a crash means a repeated send.
 */
const recordAttemptsSql = `SELECT hooklane_record_attempts(${params(1, 18)})`;

/**
 * The same write, then the claim (`$19`-`$22` as claim.ts's `claimDueSql`'s `$1`-`$4`), in one
 * call and one transaction: the claim sees the leases the write ended. The rows are the claim's.
 */
const recordAndClaimSql = `SELECT * FROM hooklane_record_and_claim(${params(1, 22)})`;

function params(from: number, to: number): string {
  return Array.from({ length: to - from + 1 }, (_, index) => `$${from + index}`).join(', ');
}

/** The result writer, and the vacuum of the queue it runs every `vacuumEvery` results. */
export function pgRecordAttempts(
  db: PgConnection,
  config: ConfigCache,
  { claimDue }: StoreParts['claim'],
  ingestWithin: PgIngestWithin,
  vacuumEvery = DEFAULT_VACUUM_EVERY,
): StoreParts['recordAttempts'] & { idle(): Promise<void> } {
  let settledSinceVacuum = 0;
  let vacuuming: Promise<void> | null = null;

  /**
   * Every lease and every result leaves a dead version of a delivery row, and its index
   * entries, which each claim then reads past until a vacuum removes them; autovacuum may be
   * off, and by default wakes once a minute, while one busy webhook leaves thousands a second
   * (measured: end to end fell 2,886 → 2,597 ev/s over four 20,000-event runs, and rose to
   * 3,437 with a ~100 ms VACUUM between runs). So each process vacuums `deliveries` itself
   * after every `vacuumEvery` results it writes, in the background; SKIP_LOCKED leaves the
   * table to a vacuum already running (another process's, or autovacuum's).
   */
  const countSettled = (count: number): void => {
    settledSinceVacuum += count;
    if (settledSinceVacuum < vacuumEvery || vacuuming) return;
    settledSinceVacuum = 0;
    vacuuming = db
      .query('VACUUM (SKIP_LOCKED) deliveries')
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        vacuuming = null;
      });
  };

  return {
    async idle() {
      await vacuuming;
    },

    async recordAttempts(results, next) {
      if (results.length === 0) return next ? claimDue(next) : [];
      countSettled(results.length);
      // The webhooks with a failure, and those failing as far as their claims knew (a success may
      // be their recovery): their rows are read and locked, for the plan and operational events.
      const watched = watchedWebhooks(results);
      if (watched.length === 0) {
        // The common case, every attempt a success of a healthy webhook: one statement, one round
        // trip, with the claim.
        const values = recordValues(results, planAttemptOutcomes(results, new Set()));
        if (next) {
          const { rows } = await db.query(
            recordAndClaimSql,
            [...values, ...claimParams(next)],
            db.pool,
            'hooklane_record_and_claim',
          );
          return claimAfterWrite(handOut(db, rows, next));
        }
        await db.query(recordAttemptsSql, values, db.pool, 'hooklane_record_attempts');
        return [];
      }
      await db.transaction(async (client) => {
        // The failing webhooks' rows first, in id order, before reading whether each is still
        // enabled: a disable committing meanwhile (it fails pending deliveries but those in
        // flight) is then waited for and seen, so the retry of a delivery in flight cannot outlive
        // it. Rows locked in one order (two result batches may be written at once, and a disable
        // locks its webhook before its deliveries) cannot deadlock.
        const { rows } = await client.query(
          `SELECT ${SQL.webhookBeforeColumns}, enabled FROM webhooks WHERE id = ANY($1) ORDER BY id
           FOR NO KEY UPDATE`,
          [watched],
        );
        const enabled = new Set(rows.filter((row) => row.enabled).map((row) => String(row.id)));
        const before = new Map(rows.map((row) => [String(row.id), toWebhookBefore(row)]));
        const plan = planAttemptOutcomes(results, enabled);
        await db.query(recordAttemptsSql, recordValues(results, plan), client);
        const disabled = new Set<string>();
        for (const outcome of plan.webhooks) {
          const streak = streakWrite(outcome);
          // A streak that ended was written by the function with the results.
          if (!outcome.streak.ended) await client.query(streak.sql, streak.params);
          const disable = disableWrite(outcome);
          if (!disable || ((await client.query(disable.sql, disable.params)).rowCount ?? 0) === 0) continue;
          disabled.add(outcome.webhookId);
          config.changed();
          await failPending(client, outcome.webhookId, WEBHOOK_DISABLED, outcome.at);
        }
        // Operational events are stored, with their deliveries, in the same transaction.
        const now = Math.max(...results.map((r) => r.attempt.startedAt + r.attempt.durationMs));
        const operational = planOperationalEvents(results, plan, before, disabled, now);
        for (const [webhookId, count] of operational.consecutiveFailures) {
          await client.query(SQL.setConsecutiveFailures, [count, webhookId]);
        }
        if (operational.events.length > 0) await ingestWithin(client, operational.events, now);
      });
      return next ? claimAfterWrite(claimDue(next)) : [];
    },
  };
}

/** `hooklane_record_attempts`'s 18 arrays: the attempts, then what the plan makes of them. */
function recordValues(results: readonly AttemptRecord[], plan: AttemptOutcomes): unknown[][] {
  const attempts = results.map((r) => r.attempt);
  return [
    attempts.map((a) => a.id),
    attempts.map((a) => a.deliveryId),
    attempts.map((a) => a.accountId),
    attempts.map((a) => a.webhookId),
    attempts.map((a) => a.number),
    attempts.map((a) => a.startedAt),
    attempts.map((a) => a.durationMs),
    attempts.map((a) => a.url),
    attempts.map((a) => JSON.stringify(a.requestHeaders)),
    attempts.map((a) => a.responseStatus),
    attempts.map((a) => (a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders))),
    attempts.map((a) => stripNul(a.responseBody)),
    attempts.map((a) => a.error),
    attempts.map((a) => a.nextAttemptAt),
    plan.deliveries.map((d) => d.status),
    plan.deliveries.map((d) => d.nextAttemptAt),
    plan.deliveries.map((d) => d.updatedAt),
    plan.webhooks.filter((w) => w.streak.ended).map((w) => w.webhookId),
  ];
}

/**
 * The claim that follows a result write which has committed: if it fails, the write must not
 * (the engine would write the results again, and their attempts exist); it claimed nothing,
 * and its leases, if any, are being given back.
 */
function claimAfterWrite(claim: Promise<ClaimedDelivery[]>): Promise<ClaimedDelivery[]> {
  return claim.catch(() => []);
}

/** PostgreSQL text cannot hold NUL bytes; a response body may. */
function stripNul(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\uFFFD');
}
