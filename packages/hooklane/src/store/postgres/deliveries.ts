import type { Delivery, StoredEvent } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { toAccountActivity, toAttempt, toDelivery, toEvent, toQueueStats } from '../rows.ts';
import { deliveriesPage, eventsAmong, latestEvents, SQL } from '../shared-sql.ts';
import { PG_DIALECT, type PgConnection, type Queryable } from './connection.ts';
import { notifyWorkSql } from './notifications.ts';

/** The operator's view of deliveries and attempts, and the operator's retries. */
export function pgDeliveries(db: PgConnection): StoreParts['deliveries'] {
  const getDelivery = async (accountId: string, id: string, on: Queryable = db.pool) => {
    const { rows } = await db.query(SQL.deliveryOf, [accountId, id], on);
    return rows[0] ? toDelivery(rows[0]) : null;
  };
  const listAttempts = async (deliveryId: string, on: Queryable = db.pool) => {
    const { rows } = await db.query(SQL.attemptsOf, [deliveryId], on);
    return rows.map(toAttempt);
  };
  return {
    async listDeliveries(accountId, filter, page) {
      const { sql, params } = deliveriesPage(PG_DIALECT, accountId, filter, page);
      const { rows } = await db.query(sql, params);
      return rows.map(toDelivery);
    },

    getDelivery: (accountId, id) => getDelivery(accountId, id),
    listAttempts: (deliveryId) => listAttempts(deliveryId),

    getDeliveryWithAttempts(accountId, id) {
      // One snapshot for both reads: in two, an attempt written between them showed a delivery
      // still pending with no attempt made beside the attempt that had settled it.
      return db.transaction(async (client) => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const delivery = await getDelivery(accountId, id, client);
        if (!delivery) return null;
        return { delivery, attempts: await listAttempts(id, client) };
      });
    },

    async eventsOfDelivery(delivery) {
      return (await eventsOfMany(db, [delivery])).get(delivery.id) ?? [];
    },

    async retryDelivery(accountId, id, now) {
      const { rows } = await db.query(SQL.retryDelivery, [now, accountId, id]);
      if (!rows[0]) return getDelivery(accountId, id);
      await db.query(notifyWorkSql);
      return toDelivery(rows[0]);
    },

    async recoverDeliveries(accountId, webhookId, since, until, now) {
      const { rowCount } = await db.query(SQL.recoverDeliveries, [now, accountId, webhookId, since, until]);
      if ((rowCount ?? 0) > 0) await db.query(notifyWorkSql);
      return rowCount ?? 0;
    },

    async countRecoverable(accountId, webhookId, since, until) {
      const { rows } = await db.query(SQL.countRecoverable, [accountId, webhookId, since, until]);
      return Number(rows[0]?.n ?? 0);
    },

    accountActivity(accountId, { since, until, bucketMs }) {
      // One snapshot for the three reads: one moment's numbers.
      return db.transaction(async (client) => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const counts = await db.query(SQL.deliveryCounts, [accountId, since, until, bucketMs], client);
        const last = await db.query(SQL.lastDeliveries, [accountId], client);
        const oldest = await db.query(SQL.oldestPendingOf, [accountId], client);
        return toAccountActivity(counts.rows, last.rows, oldest.rows[0]);
      });
    },

    async queueStats() {
      return toQueueStats((await db.query(SQL.queueStats)).rows[0]);
    },

    async latestEvents(accountId, { limit, userId }) {
      const params = userId === undefined ? [accountId, limit] : [accountId, limit, userId];
      const { rows } = await db.query(latestEvents(userId !== undefined), params);
      return rows.map(toEvent);
    },

    async getEvents(accountId, ids) {
      const { rows } = await db.query(eventsAmong(PG_DIALECT), [accountId, ids]);
      const byId = new Map(rows.map((row) => [String(row.id), toEvent(row)]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  };
}

/** The events of many deliveries in two queries, keyed by delivery id, in batch order. */
export async function eventsOfMany(
  db: PgConnection,
  deliveries: readonly Delivery[],
): Promise<Map<string, StoredEvent[]>> {
  const result = new Map<string, StoredEvent[]>();
  const single = deliveries.filter((d) => d.batchUserId === null);
  const batched = deliveries.filter((d) => d.batchUserId !== null);
  if (single.length > 0) {
    const { rows } = await db.query(
      `SELECT e.*, k.delivery_id FROM unnest($1::text[], $2::text[], $3::text[]) AS k(delivery_id, account_id, event_id)
       JOIN events e ON e.account_id = k.account_id AND e.id = k.event_id`,
      [single.map((d) => d.id), single.map((d) => d.accountId), single.map((d) => d.eventId)],
    );
    for (const row of rows) result.set(String(row.delivery_id), [toEvent(row)]);
  }
  if (batched.length > 0) {
    const { rows } = await db.query(
      `SELECT e.*, b.delivery_id FROM delivery_batch_events b
       JOIN events e ON e.account_id = b.account_id AND e.id = b.event_id
       WHERE b.delivery_id = ANY($1) ORDER BY b.delivery_id, b.position`,
      [batched.map((d) => d.id)],
    );
    for (const row of rows) {
      const list = result.get(String(row.delivery_id)) ?? [];
      list.push(toEvent(row));
      result.set(String(row.delivery_id), list);
    }
  }
  return result;
}
