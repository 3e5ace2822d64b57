import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import type { SqlDialect } from '../shared-sql.ts';
import { StoreUnavailableError } from '../store.ts';
import { migratePostgres } from './migrate.ts';

/** The pool, or a client checked out of it for a transaction. */
export type Queryable = Pool | PoolClient;

/** Lists bind as arrays. */
export const PG_DIALECT: SqlDialect = {
  inList: (column, param) => `${column} = ANY(${param})`,
  lockSkipLocked: ' FOR UPDATE SKIP LOCKED',
  deliveryEvent: {
    is: (param) => `event_id = ${param}`,
    among: (where) => `event_id IN (SELECT id FROM events WHERE account_id = $1 AND ${where})`,
    joins: (d, e) => `${d}.account_id = ${e}.account_id AND ${d}.event_id = ${e}.id`,
  },
};

/** Connection failures (refused, reset, server shutting down, class 08) become 503s, not 500s. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * The store's pool of connections to PostgreSQL: statements on it or in one transaction, with
 * a lost database reported as StoreUnavailableError.
 */
export class PgConnection {
  readonly pool: Pool;
  readonly connectionString: string;
  /**
   * The backend process ids of this pool's connections. Work they announce is not handed to
   * `work` listeners (notifications.ts): in one process with the API and the engine, each
   * ingest's echo woke the engine for a claim of its own after the in-process wake-up's. Were
   * an id ever mistaken for ours, that work would wait for the next poll.
   */
  readonly ownBackends = new Set<number>();

  constructor(connectionString: string, poolSize: number) {
    this.connectionString = connectionString;
    this.pool = new pg.Pool({
      connectionString,
      max: poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => {
      const backend = (client as PoolClient & { processID: number }).processID;
      this.ownBackends.add(backend);
      client.once('end', () => this.ownBackends.delete(backend));
    });
  }

  /**
   * `name`: a hot query of the delivery engine as a named prepared statement, parsed and
   * planned once per connection. Workers connect to PostgreSQL directly
   * (docs/deployment.md), so it needs nothing of a connection pooler.
   */
  async query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    on: Queryable = this.pool,
    name?: string,
  ) {
    try {
      return await on.query<R>(
        name === undefined ? { text: sql, values: params } : { name, text: sql, values: params },
      );
    } catch (error) {
      throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
    }
  }

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
    // A checked-out client has no pool listener: its connection dying (a server restart)
    // would be an unhandled 'error' that kills the process. The failing query reports it.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  async migrate(): Promise<number> {
    try {
      return await migratePostgres(this.pool);
    } catch (error) {
      throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}
