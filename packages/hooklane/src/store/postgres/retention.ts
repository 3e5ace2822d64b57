import type { StoreParts } from '../assembled-store.ts';
import { retentionSql } from '../shared-sql.ts';
import { PG_DIALECT, type PgConnection } from './connection.ts';

const SQL = retentionSql(PG_DIALECT);

/** Retention: old finished deliveries and the events nothing refers to any more, a batch at a time. */
export function pgRetention(db: PgConnection): StoreParts['retention'] {
  return {
    pruneBefore(cutoff, batchSize) {
      return db.transaction(async (client) => {
        const { rows } = await client.query<{ id: string }>(SQL.finishedDeliveries, [cutoff, batchSize]);
        const ids = rows.map((row) => row.id);
        await client.query(SQL.deleteAttempts, [ids]);
        await client.query(SQL.deleteBatchEvents, [ids]);
        const deliveries = await client.query(SQL.deleteDeliveries, [ids]);
        const events = await client.query(SQL.deleteEvents, [cutoff, batchSize]);
        return (deliveries.rowCount ?? 0) + (events.rowCount ?? 0);
      });
    },
  };
}
