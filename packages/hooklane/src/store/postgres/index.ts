import { AssembledStore } from '../assembled-store.ts';
import type { StoreNotifications } from '../store.ts';
import { pgAccounts } from './accounts.ts';
import { pgClaim } from './claim.ts';
import { ConfigCache } from './config-cache.ts';
import { PgConnection } from './connection.ts';
import { pgDeliveries } from './deliveries.ts';
import { pgIngest } from './ingest.ts';
import { pgNotifications } from './notifications.ts';
import { pgPortalSessions } from './portal-sessions.ts';
import { pgRecordAttempts } from './record-attempts.ts';
import { pgRetention } from './retention.ts';
import { pgWebhooks } from './webhooks.ts';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  readonly poolSize: number;
  /** Attempts a new delivery gets: the retry schedule's length + 1. */
  readonly deliveryAttempts: number;
  /**
   * Longest a kept API key or webhook list is used (default 1 s), announced change or not: the
   * bound if announcements are lost (a LISTEN behind a transaction-mode pooler hears nothing).
   */
  readonly configKeepMs?: number;
  /** Results this process writes between two vacuums of the queue (default 10,000). */
  readonly vacuumEvery?: number;
}

/**
 * The PostgreSQL store, for any number of API and worker processes on any number of
 * hosts. Claims are `FOR UPDATE SKIP LOCKED` under an advisory lock, new work and
 * ingested events are announced with NOTIFY, writes go in bulk with `unnest`.
 *
 * @example
 * const store = new PostgresStore({ connectionString, poolSize: 10, deliveryAttempts: 8 });
 * await store.migrate();
 */
export class PostgresStore extends AssembledStore {
  readonly backend = 'postgres' as const;
  readonly notifications: StoreNotifications;

  constructor(options: PostgresStoreOptions) {
    const db = new PgConnection(options.connectionString, options.poolSize);
    const config = new ConfigCache(options.configKeepMs);
    const claim = pgClaim(db);
    const ingest = pgIngest(db, config, options.deliveryAttempts);
    const recordAttempts = pgRecordAttempts(db, config, claim, ingest.ingestWithin, options.vacuumEvery);
    super({
      connection: {
        migrate: () => db.migrate(),
        ping: () => db.ping(),
        async close() {
          await recordAttempts.idle();
          await db.end();
        },
      },
      accounts: pgAccounts(db, config),
      webhooks: pgWebhooks(db, config),
      ingest,
      claim,
      recordAttempts,
      deliveries: pgDeliveries(db),
      retention: pgRetention(db),
      portalSessions: pgPortalSessions(db, config),
    });
    this.notifications = pgNotifications(db, config);
  }
}
