import type { StoreParts } from '../assembled-store.ts';
import { retentionSql } from '../shared-sql.ts';
import { SQLITE_DIALECT, type SqliteConnection } from './connection.ts';

const SQL = retentionSql(SQLITE_DIALECT);

/** Retention: old finished deliveries and the events nothing refers to any more, a batch at a time. */
export function sqliteRetention(db: SqliteConnection): StoreParts['retention'] {
  return {
    async pruneBefore(cutoff, batchSize) {
      return db.relaxed(() =>
        db.transaction(() => {
          const ids = db.all(SQL.finishedDeliveries, [cutoff, batchSize]).map((row) => row.id);
          db.run(SQL.deleteAttempts, [ids]);
          db.run(SQL.deleteBatchEvents, [ids]);
          const deliveries = db.run(SQL.deleteDeliveries, [ids]).changes;
          const events = db.run(SQL.deleteEvents, [cutoff, batchSize]).changes;
          return Number(deliveries) + Number(events);
        }),
      );
    },
  };
}
