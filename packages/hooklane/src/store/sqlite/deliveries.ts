import type { Delivery, StoredEvent } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { toAccountActivity, toAttempt, toDelivery, toEvent, toQueueStats } from '../rows.ts';
import { deliveriesPage, eventsAmong, latestEvents, SQL } from '../shared-sql.ts';
import { SQLITE_DIALECT, type SqliteConnection } from './connection.ts';
import type { Leases } from './leases.ts';

/** The operator's view of deliveries and attempts, and the operator's retries. */
export function sqliteDeliveries(db: SqliteConnection, leases: Leases): StoreParts['deliveries'] {
  const getDelivery = (accountId: string, id: string) => {
    const row = db.get(SQL.deliveryOf, [accountId, id]);
    return row ? toDelivery(row) : null;
  };
  const listAttempts = (deliveryId: string) => db.all(SQL.attemptsOf, [deliveryId]).map(toAttempt);
  return {
    async listDeliveries(accountId, filter, page) {
      const { sql, params } = deliveriesPage(SQLITE_DIALECT, accountId, filter, page);
      return db.all(sql, params).map(toDelivery);
    },

    getDelivery: async (accountId, id) => getDelivery(accountId, id),
    listAttempts: async (deliveryId) => listAttempts(deliveryId),

    async getDeliveryWithAttempts(accountId, id) {
      // Both reads in one synchronous run: nothing is written between them.
      const delivery = getDelivery(accountId, id);
      return delivery ? { delivery, attempts: listAttempts(id) } : null;
    },

    async eventsOfDelivery(delivery) {
      return eventsOf(db, delivery);
    },

    async retryDelivery(accountId, id, now) {
      // An attempt in flight decides for itself.
      if (leases.held(id, now)) return getDelivery(accountId, id);
      const row = db.get(SQL.retryDelivery, [now, accountId, id]);
      return row ? toDelivery(row) : getDelivery(accountId, id);
    },

    async recoverDeliveries(accountId, webhookId, since, until, now) {
      return Number(db.run(SQL.recoverDeliveries, [now, accountId, webhookId, since, until]).changes);
    },

    async countRecoverable(accountId, webhookId, since, until) {
      return Number(db.get(SQL.countRecoverable, [accountId, webhookId, since, until])?.n ?? 0);
    },

    async accountActivity(accountId, { since, until, bucketMs }) {
      // The three reads in one synchronous run: one moment's numbers.
      return toAccountActivity(
        db.all(SQL.deliveryCounts, [accountId, since, until, bucketMs]),
        db.all(SQL.lastDeliveries, [accountId]),
        db.get(SQL.oldestPendingOf, [accountId]),
      );
    },

    async queueStats() {
      const row = db.get(SQL.queueStats);
      return toQueueStats(row);
    },

    async latestEvents(accountId, { limit, userId }) {
      const params = userId === undefined ? [accountId, limit] : [accountId, limit, userId];
      return db.all(latestEvents(userId !== undefined), params).map(toEvent);
    },

    async getEvents(accountId, ids) {
      const found = db.all(eventsAmong(SQLITE_DIALECT), [accountId, ids]).map(toEvent);
      const byId = new Map(found.map((event) => [event.id, event]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  };
}

/** A delivery's events: its own, or its batch's in batch order. */
export function eventsOf(db: SqliteConnection, delivery: Delivery): StoredEvent[] {
  if (delivery.batchUserId !== null) {
    return db
      .all(
        `SELECT e.* FROM delivery_batch_events b JOIN events e ON e.account_id = b.account_id AND e.id = b.event_id
         WHERE b.delivery_id = $1 ORDER BY b.position`,
        [delivery.id],
      )
      .map(toEvent);
  }
  return db
    .all('SELECT * FROM events WHERE account_id = $1 AND id = $2', [delivery.accountId, delivery.eventId])
    .map(toEvent);
}
