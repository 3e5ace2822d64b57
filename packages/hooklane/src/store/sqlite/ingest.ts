import { batchHasRoom, fanOut, type PlannedDelivery } from '../../core/fan-out.ts';
import { ID_PREFIX, newId } from '../../core/ids.ts';
import type { Webhook } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { commitIsolating, type QueuedIngest } from '../queued-ingest.ts';
import { eventValues, toDelivery, toWebhook } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { IngestOutcome, NewEvent } from '../store.ts';
import type { SqliteConnection } from './connection.ts';
import type { Leases } from './leases.ts';

/**
 * An ingest commit starts at least this long after the previous one started; requests that
 * arrive meanwhile wait for it and share it. A commit blocks the event loop for its fsync
 * (~0.3 ms on the bench's machines) however few events it holds, so at a steady trickle of
 * single-event requests one commit per request took a third of the thread. A request after a
 * quiet spell is committed at once; otherwise its 202 waits this long at most (plus up to a
 * millisecond: timers fire on whole milliseconds). The server's `HOOKLANE_SQLITE_COMMIT_GAP`
 * (default this) trades that wait for fewer commits under a steady stream of small requests.
 */
export const INGEST_COMMIT_GAP_MS = 2;

/**
 * Stores events, with their deliveries, inside the transaction under way (a result write's, for
 * operational events); returns how many deliveries it created.
 */
export type IngestWithin = (events: readonly (NewEvent & { accountId: string })[], now: number) => number;

/**
 * Ingest with group commit: concurrent requests share one transaction, so that each fsync
 * serves many 202s. `flush` commits what is queued at once (on close).
 */
export function sqliteIngest(
  db: SqliteConnection,
  leases: Leases,
  deliveryAttempts: number,
  commitGapMs = INGEST_COMMIT_GAP_MS,
): StoreParts['ingest'] & { flush(): Promise<void>; ingestWithin: IngestWithin } {
  let queue: QueuedIngest[] = [];
  let flushScheduled = false;
  /** When the last ingest commit started (`performance.now()`). */
  let lastFlushAt = Number.NEGATIVE_INFINITY;

  /** Commits every queued request in one transaction (commitIsolating: a refused one fails alone). */
  const flush = (): Promise<void> => {
    flushScheduled = false;
    lastFlushAt = performance.now();
    const group = queue;
    queue = [];
    if (group.length === 0) return Promise.resolve();
    return commitIsolating(group, (part) => {
      const webhookCache = new Map<string, Webhook[]>();
      return db.transaction(() => part.map((request) => ingestOne(request, webhookCache)));
    });
  };

  const ingestOne = (request: QueuedIngest, webhookCache: Map<string, Webhook[]>): IngestOutcome => {
    const { accountId, now } = request;
    let webhooks = webhookCache.get(accountId);
    if (!webhooks) {
      webhooks = db
        .all('SELECT * FROM webhooks WHERE account_id = $1 AND enabled = 1', [accountId])
        .map(toWebhook);
      webhookCache.set(accountId, webhooks);
    }
    let inserted = 0;
    let duplicates = 0;
    let deliveriesCreated = 0;
    for (const event of request.events) {
      const stored = db.run(`${SQL.insertEvent} ON CONFLICT DO NOTHING`, eventValues(accountId, event, now));
      if (stored.changes === 0) {
        duplicates++;
        continue;
      }
      inserted++;
      const eventSeq = Number(stored.lastInsertRowid);
      for (const delivery of fanOut(webhooks, event, now)) {
        if (delivery.batch === null) insertDelivery(delivery, eventSeq, now);
        else if (!appendToOpenBatch(delivery, now)) {
          db.run(SQL.insertBatchEvent, [insertDelivery(delivery, eventSeq, now), 0, accountId, event.id]);
        }
        deliveriesCreated++;
      }
    }
    return { inserted, duplicates, deliveriesCreated };
  };

  const appendToOpenBatch = ({ webhook, batch, eventId }: PlannedDelivery, now: number): boolean => {
    const open = db.get(
      `SELECT d.id, (SELECT COUNT(*) FROM delivery_batch_events b WHERE b.delivery_id = d.id) AS size
       FROM deliveries d
       WHERE d.webhook_id = $1 AND d.batch_user_id = $2 AND d.status = 'pending' AND d.attempt_count = 0
         AND d.next_attempt_at > $3
       ORDER BY d.id DESC LIMIT 1`,
      [webhook.id, batch?.userId, now],
    );
    if (!open || !batchHasRoom(Number(open.size)) || leases.held(String(open.id), now)) return false;
    db.run(SQL.insertBatchEvent, [String(open.id), Number(open.size), webhook.accountId, eventId]);
    return true;
  };

  /** A new delivery of the event stored as `eventSeq` (events.seq, which queries join on). */
  const insertDelivery = (
    { webhook, eventId, batch, dueAt }: PlannedDelivery,
    eventSeq: number,
    now: number,
  ): string => {
    const id = newId(ID_PREFIX.delivery, now);
    db.run(
      `INSERT INTO deliveries (id, account_id, webhook_id, event_id, event_seq, status, format, webhook_name,
         batch_user_id, attempts_left, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $11, 'pending', $5, $6, $7, $8, $9, $10, $10)`,
      [
        id,
        webhook.accountId,
        webhook.id,
        eventId,
        webhook.format,
        webhook.name,
        batch?.userId ?? null,
        deliveryAttempts,
        dueAt,
        now,
        eventSeq,
      ],
    );
    return id;
  };

  return {
    flush,

    ingestWithin(events, now) {
      const webhookCache = new Map<string, Webhook[]>();
      let created = 0;
      for (const accountId of new Set(events.map((event) => event.accountId))) {
        const own = events.filter((event) => event.accountId === accountId);
        const outcome = ingestOne(
          { accountId, events: own, now, resolve: () => {}, reject: () => {} },
          webhookCache,
        );
        created += outcome.deliveriesCreated;
      }
      return created;
    },

    ingest(accountId, events, now) {
      return new Promise((resolve, reject) => {
        queue.push({ accountId, events, now, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          const wait = lastFlushAt + commitGapMs - performance.now();
          if (wait > 0) setTimeout(() => void flush(), wait);
          else setImmediate(() => void flush());
        }
      });
    },

    async insertTestDelivery(webhook, event, now) {
      return db.transaction(() => {
        const { lastInsertRowid } = db.run(SQL.insertEvent, eventValues(webhook.accountId, event, now));
        const id = insertDelivery(
          { webhook, eventId: event.id, batch: null, dueAt: now },
          Number(lastInsertRowid),
          now,
        );
        return toDelivery(db.get(SQL.delivery, [id]) ?? {});
      });
    },
  };
}
