import { AssembledStore } from '../assembled-store.ts';
import { sqliteAccounts } from './accounts.ts';
import { sqliteClaim } from './claim.ts';
import { SendableWebhooks } from './config-cache.ts';
import { openDatabase, SqliteConnection } from './connection.ts';
import { sqliteDeliveries } from './deliveries.ts';
import { sqliteIngest } from './ingest.ts';
import { Leases } from './leases.ts';
import { migrateSqlite } from './migrate.ts';
import { sqlitePortalSessions } from './portal-sessions.ts';
import { sqliteRecordAttempts } from './record-attempts.ts';
import { sqliteRetention } from './retention.ts';
import { sqliteWebhooks } from './webhooks.ts';

export { INGEST_COMMIT_GAP_MS } from './ingest.ts';

export interface SqliteStoreOptions {
  /** The database file, or ':memory:'. */
  readonly path: string;
  /** Attempts a new delivery gets: the retry schedule's length + 1. */
  readonly deliveryAttempts: number;
  /** Least time between the starts of two ingest commits (default `INGEST_COMMIT_GAP_MS`). */
  readonly ingestCommitGapMs?: number;
}

/**
 * The embedded store on `node:sqlite`. The driver is synchronous and the connection is
 * exclusive to this process, so every method body runs atomically with respect to the
 * rest of the process; concurrent ingest requests share one transaction (group commit)
 * so that each fsync serves many 202s.
 *
 * @example
 * const store = SqliteStore.open({ path: 'data/hooklane.db', deliveryAttempts: 8 });
 */
export class SqliteStore extends AssembledStore {
  readonly backend = 'sqlite' as const;
  readonly notifications = null;

  private constructor(db: SqliteConnection, options: SqliteStoreOptions) {
    const leases = new Leases();
    const sendable = new SendableWebhooks(db);
    const ingest = sqliteIngest(db, leases, options.deliveryAttempts, options.ingestCommitGapMs);
    const claim = sqliteClaim(db, leases, sendable);
    super({
      connection: {
        migrate: async () => migrateSqlite(db.db),
        ping: async () => {
          db.get('SELECT 1');
        },
        async close() {
          await ingest.flush();
          if (db.db.isOpen) db.db.close();
        },
      },
      accounts: sqliteAccounts(db),
      webhooks: sqliteWebhooks(db, leases, sendable),
      ingest,
      claim,
      recordAttempts: sqliteRecordAttempts(db, leases, sendable, claim, ingest.ingestWithin),
      deliveries: sqliteDeliveries(db, leases),
      retention: sqliteRetention(db),
      portalSessions: sqlitePortalSessions(db),
    });
  }

  /**
   * Opens (or creates) the store and migrates it. A previous owner's claims died with it
   * (they were in its memory): holding the file's exclusive lock proves that owner is gone.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const db = openDatabase(options.path);
    migrateSqlite(db);
    return new SqliteStore(new SqliteConnection(db), options);
  }
}
