import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { ID_PREFIX, newId } from '../../core/ids.ts';
import { isBatched, webhooksFor } from '../../core/matching.ts';
import type {
  Account,
  ApiKey,
  Attempt,
  Delivery,
  StoredEvent,
  StoredSecret,
  Webhook,
} from '../../core/model.ts';
import {
  statusAfter,
  toAccount,
  toApiKey,
  toAttempt,
  toClaimedEvent,
  toDelivery,
  toEvent,
  toSecret,
  toWebhook,
  WEBHOOK_COLUMNS,
  webhookChangeSet,
  webhookValues,
} from '../rows.ts';
import {
  type AttemptRecord,
  type ClaimedDelivery,
  type ClaimRequest,
  type DeliveryFilter,
  type IngestOutcome,
  type NewEvent,
  type NotificationHandlers,
  type Page,
  type Store,
  type StoreNotifications,
  StoreUnavailableError,
  type WebhookChanges,
} from '../store.ts';
import { claimDueSql, claimParams, recordAndClaimSql, recordAttemptsSql } from './claim-due.ts';
import { CONFIG_CHANNEL, EVENTS_CHANNEL, ingestSql, WORK_CHANNEL } from './ingest-sql.ts';
import { migratePostgres } from './migrate.ts';

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

const MAX_BATCH_EVENTS = 1000;
/** Ingest transactions running at once per process; each carries every request queued meanwhile. */
const INGEST_FLUSHES = 4;
/**
 * While an ingest transaction is in flight, another starts only for at least this many queued
 * events; fewer wait for it to end and share the next one. A batch request, or a queue that
 * has grown under load, still starts its own at once.
 */
const GROUP_WHILE_BUSY = 50;
/** Results a process writes between two vacuums of the queue (PostgresStoreOptions.vacuumEvery). */
const DEFAULT_VACUUM_EVERY = 10_000;
/** How long a kept API key or webhook list is used at most (PostgresStoreOptions.configKeepMs). */
const DEFAULT_CONFIG_KEEP_MS = 1000;
/** Most API keys, and most accounts' webhook lists, kept at once (beyond, all are dropped). */
const CONFIG_CACHE_LIMIT = 10_000;
const MAX_EVENTS_PER_FLUSH = 5000;

interface PendingIngest {
  readonly accountId: string;
  readonly events: readonly NewEvent[];
  readonly now: number;
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}
/** NOTIFY payloads must stay under 8000 bytes. */
const NOTIFY_PAYLOAD_LIMIT = 7000;

type Queryable = Pool | PoolClient;

/** Connection failures (refused, reset, server shutting down, class 08) become 503s, not 500s. */
function isUnavailable(error: unknown): boolean {
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
 * The PostgreSQL store, for any number of API and worker processes on any number of
 * hosts. Claims are `FOR UPDATE SKIP LOCKED` under an advisory lock, new work and
 * ingested events are announced with NOTIFY, writes go in bulk with `unnest`.
 */
export class PostgresStore implements Store {
  readonly backend = 'postgres' as const;
  readonly notifications: StoreNotifications;
  readonly #pool: Pool;
  readonly #options: PostgresStoreOptions;
  readonly #ingestQueue: PendingIngest[] = [];
  #ingestFlushes = 0;
  /**
   * What every request (its API key) and every ingest (the account's enabled webhooks) looks
   * up, kept only while this process listens for changes (CONFIG_CHANNEL, announced by
   * triggers in every process's writes) and dropped at each one, and at most for
   * `configKeepMs`. A lookup that a change overtook (`#configGeneration` moved on meanwhile)
   * is used but not kept.
   */
  readonly #keysByHash = new Map<string, ApiKey>();
  readonly #enabledWebhooks = new Map<string, Webhook[]>();
  #configGeneration = 0;
  #configListening = false;
  #keptSince = 0;
  /**
   * The backend process ids of this store's pooled connections. Work they announce is not
   * handed to `work` listeners (NotificationHandlers): in one process with the API and the
   * engine, each ingest's echo woke the engine for a claim of its own after the in-process
   * wake-up's. Were an id ever mistaken for ours, that work would wait for the next poll.
   */
  readonly #ownBackends = new Set<number>();
  /** Results written since this process last vacuumed the queue, and the vacuum running. */
  #settledSinceVacuum = 0;
  #vacuuming: Promise<void> | null = null;

  constructor(options: PostgresStoreOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server must not crash the process; the pool replaces it.
    this.#pool.on('error', () => {});
    this.#pool.on('connect', (client) => {
      const backend = (client as PoolClient & { processID: number }).processID;
      this.#ownBackends.add(backend);
      client.once('end', () => this.#ownBackends.delete(backend));
    });
    this.notifications = { subscribe: (handlers) => this.#subscribe(handlers) };
  }

  /**
   * `name`: a hot query of the delivery engine as a named prepared statement, parsed and
   * planned once per connection. Workers connect to PostgreSQL directly
   * (docs/deployment.md), so it needs nothing of a connection pooler.
   */
  async #query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    on: Queryable = this.#pool,
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

  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
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
      return await migratePostgres(this.#pool);
    } catch (error) {
      throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
    }
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#vacuuming;
    await this.#pool.end();
  }

  /** Config may have changed: forget what was kept (see `#keysByHash`). */
  #configChanged(): void {
    this.#configGeneration++;
    this.#keysByHash.clear();
    this.#enabledWebhooks.clear();
  }

  /**
   * A write of this process that changes config: what was kept is dropped when it ends (the
   * trigger's announcement reaches the other processes, and this one, a moment later).
   */
  async #changingConfig<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.#configChanged();
    }
  }

  /** Drops what was kept once it is older than `configKeepMs`. */
  #expireKept(): void {
    const now = Date.now();
    if (now - this.#keptSince < (this.#options.configKeepMs ?? DEFAULT_CONFIG_KEEP_MS)) return;
    this.#configChanged();
    this.#keptSince = now;
  }

  /** Whether a lookup that started at `generation` may be kept. */
  #keepable(generation: number, cache: Map<string, unknown>): boolean {
    if (!this.#configListening || generation !== this.#configGeneration) return false;
    if (cache.size >= CONFIG_CACHE_LIMIT) cache.clear();
    return true;
  }

  /** A dedicated LISTEN connection that reconnects by itself with backoff. */
  async #subscribe(handlers: NotificationHandlers) {
    const { work, events } = handlers;
    // Config changes are heard by every process: each keeps keys and webhooks (see #keysByHash).
    const channels = [...(work ? [WORK_CHANNEL] : []), ...(events ? [EVENTS_CHANNEL] : []), CONFIG_CHANNEL];
    let client: pg.Client | null = null;
    let closed = false;
    let delay = 100;
    const connect = async (): Promise<void> => {
      if (closed) return;
      const next = new pg.Client({ connectionString: this.#options.connectionString });
      next.on('error', () => {});
      next.on('end', () => {
        // Changes are no longer heard: nothing may be kept until they are again.
        if (client === next) {
          this.#configListening = false;
          this.#configChanged();
        }
        if (!closed) setTimeout(() => void connect(), delay).unref();
      });
      next.on('notification', (message) => {
        if (message.channel === CONFIG_CHANNEL) this.#configChanged();
        else if (message.channel === WORK_CHANNEL) {
          // This process's own writes announced their work in-process already.
          if (!this.#ownBackends.has(message.processId)) work?.();
        } else if (message.channel === EVENTS_CHANNEL && message.payload && events) {
          const { a, e } = JSON.parse(message.payload) as { a: string; e: string[] };
          events(a, e);
        }
      });
      try {
        await next.connect();
        for (const channel of channels) await next.query(`LISTEN ${channel}`);
        client = next;
        // Changes made while not listening were missed: start from nothing.
        this.#configChanged();
        this.#configListening = true;
        delay = 100;
        // Work may have been created while we were not listening.
        work?.();
      } catch {
        await next.end().catch(() => {});
        delay = Math.min(delay * 2, 5000);
      }
    };
    await connect();
    return async () => {
      closed = true;
      this.#configListening = false;
      this.#configChanged();
      await client?.end().catch(() => {});
    };
  }

  // Accounts and keys

  async createAccount(account: Account): Promise<void> {
    await this.#query('INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)', [
      account.id,
      account.name,
      account.createdAt,
    ]);
  }

  async getAccount(id: string): Promise<Account | null> {
    const { rows } = await this.#query('SELECT * FROM accounts WHERE id = $1', [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async insertApiKey(key: ApiKey, hash: string): Promise<void> {
    await this.#query(
      'INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [key.id, key.accountId, key.role, key.name, key.prefix, hash, key.createdAt],
    );
  }

  async insertRootKeyIfNone(key: ApiKey, hash: string): Promise<boolean> {
    const { rowCount } = await this.#query(
      `INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at)
       VALUES ($1, NULL, 'root', $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [key.id, key.name, key.prefix, hash, key.createdAt],
    );
    return (rowCount ?? 0) > 0;
  }

  async replaceRootKey(key: ApiKey, hash: string): Promise<void> {
    // An UPDATE, so that the api_keys trigger tells every process to forget the old key.
    await this.#changingConfig(() =>
      this.#transaction(async (client) => {
        const { rowCount } = await client.query(
          `UPDATE api_keys SET id = $1, name = $2, prefix = $3, hash = $4, created_at = $5, revoked_at = NULL
           WHERE role = 'root'`,
          [key.id, key.name, key.prefix, hash, key.createdAt],
        );
        if ((rowCount ?? 0) === 0) {
          await client.query(
            `INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at)
             VALUES ($1, NULL, 'root', $2, $3, $4, $5)`,
            [key.id, key.name, key.prefix, hash, key.createdAt],
          );
        }
      }),
    );
  }

  async findApiKeyByHash(hash: string): Promise<ApiKey | null> {
    this.#expireKept();
    const kept = this.#keysByHash.get(hash);
    if (kept) return kept;
    const generation = this.#configGeneration;
    const { rows } = await this.#query('SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [
      hash,
    ]);
    const key = rows[0] ? toApiKey(rows[0]) : null;
    // Only keys that exist are kept: a key created elsewhere works at once.
    if (key && this.#keepable(generation, this.#keysByHash)) this.#keysByHash.set(hash, key);
    return key;
  }

  async listApiKeys(accountId: string): Promise<ApiKey[]> {
    const { rows } = await this.#query('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id', [
      accountId,
    ]);
    return rows.map(toApiKey);
  }

  async revokeApiKey(accountId: string, id: string, now: number): Promise<boolean> {
    const { rowCount } = await this.#changingConfig(() =>
      this.#query(
        'UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL',
        [now, accountId, id],
      ),
    );
    return (rowCount ?? 0) > 0;
  }

  // Webhooks and secrets

  async insertWebhook(webhook: Webhook, secret: StoredSecret | null): Promise<void> {
    await this.#changingConfig(() => this.#insertWebhook(webhook, secret));
  }

  async #insertWebhook(webhook: Webhook, secret: StoredSecret | null): Promise<void> {
    await this.#transaction(async (client) => {
      const placeholders = webhookValues(webhook)
        .map((_, i) => `$${i + 1}`)
        .join(', ');
      await client.query(
        `INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (${placeholders})`,
        pgWebhookValues(webhook),
      );
      if (secret) await this.#insertSecret(client, webhook.id, secret);
    });
  }

  async #insertSecret(on: Queryable, webhookId: string, secret: StoredSecret): Promise<void> {
    await on.query(
      'INSERT INTO webhook_secrets (webhook_id, sealed, created_at, expires_at) VALUES ($1, $2, $3, $4)',
      [webhookId, secret.sealed, secret.createdAt, secret.expiresAt],
    );
  }

  async getWebhook(accountId: string, id: string): Promise<Webhook | null> {
    const { rows } = await this.#query('SELECT * FROM webhooks WHERE account_id = $1 AND id = $2', [
      accountId,
      id,
    ]);
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  async listWebhooks(accountId: string, page: Page): Promise<Webhook[]> {
    const { rows } = await this.#query(
      'SELECT * FROM webhooks WHERE account_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3',
      [accountId, page.before, page.limit],
    );
    return rows.map(toWebhook);
  }

  async updateWebhook(
    accountId: string,
    id: string,
    changes: WebhookChanges,
    now: number,
  ): Promise<Webhook | null> {
    return this.#changingConfig(() => this.#updateWebhook(accountId, id, changes, now));
  }

  async #updateWebhook(
    accountId: string,
    id: string,
    changes: WebhookChanges,
    now: number,
  ): Promise<Webhook | null> {
    const { set, values } = webhookChangeSet(
      changes,
      now,
      (n) => `$${n}`,
      (on) => on,
    );
    return this.#transaction(async (client) => {
      const { rows } = await client.query(
        `UPDATE webhooks SET ${set} WHERE account_id = $${values.length + 1} AND id = $${values.length + 2}
         RETURNING *`,
        [...values, accountId, id],
      );
      if (!rows[0]) return null;
      const webhook = toWebhook(rows[0]);
      if (!webhook.enabled) await this.#failPending(client, webhook.id, 'webhook disabled', now);
      return webhook;
    });
  }

  async #failPending(on: Queryable, webhookId: string, reason: string, now: number): Promise<void> {
    await on.query(
      `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $1, updated_at = $2
       WHERE webhook_id = $3 AND status = 'pending' AND lease_until <= $2`,
      [reason, now, webhookId],
    );
  }

  async deleteWebhook(accountId: string, id: string, now: number): Promise<boolean> {
    return this.#changingConfig(() => this.#deleteWebhook(accountId, id, now));
  }

  async #deleteWebhook(accountId: string, id: string, now: number): Promise<boolean> {
    return this.#transaction(async (client) => {
      const deleted = await client.query('DELETE FROM webhooks WHERE account_id = $1 AND id = $2', [
        accountId,
        id,
      ]);
      if ((deleted.rowCount ?? 0) === 0) return false;
      await client.query('DELETE FROM webhook_secrets WHERE webhook_id = $1', [id]);
      await client.query(
        `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = 'webhook deleted', updated_at = $1
         WHERE webhook_id = $2 AND status = 'pending'`,
        [now, id],
      );
      return true;
    });
  }

  async listSecrets(webhookId: string, now: number): Promise<StoredSecret[]> {
    const { rows } = await this.#query(
      `SELECT * FROM webhook_secrets WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > $2)
       ORDER BY created_at DESC, seq DESC`,
      [webhookId, now],
    );
    return rows.map(toSecret);
  }

  async resealSecrets(reseal: (sealed: string) => string | null): Promise<number> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query('SELECT seq, sealed FROM webhook_secrets FOR UPDATE');
      let count = 0;
      for (const row of rows) {
        const next = reseal(String(row.sealed));
        if (next === null) continue;
        await client.query('UPDATE webhook_secrets SET sealed = $1 WHERE seq = $2', [next, row.seq]);
        count++;
      }
      return count;
    });
  }

  async resealWebhookHeaders(
    reseal: (headers: Readonly<Record<string, string>>) => Record<string, string> | null,
  ): Promise<number> {
    return this.#changingConfig(async () => {
      // No row locks: a webhook whose headers changed meanwhile (written sealed) is left as it is.
      const { rows } = await this.#query("SELECT id, headers FROM webhooks WHERE headers <> '{}'");
      let count = 0;
      for (const row of rows) {
        const next = reseal(JSON.parse(String(row.headers)) as Record<string, string>);
        if (next === null) continue;
        const { rowCount } = await this.#query(
          'UPDATE webhooks SET headers = $1 WHERE id = $2 AND headers = $3',
          [JSON.stringify(next), row.id, row.headers],
        );
        count += rowCount ?? 0;
      }
      return count;
    });
  }

  async replaceSecret(
    webhookId: string,
    secret: StoredSecret | null,
    graceUntil: number,
    now: number,
  ): Promise<void> {
    await this.#changingConfig(() => this.#replaceSecret(webhookId, secret, graceUntil, now));
  }

  async #replaceSecret(webhookId: string, secret: StoredSecret | null, graceUntil: number, now: number) {
    await this.#transaction(async (client) => {
      await client.query(
        `UPDATE webhook_secrets SET expires_at = LEAST(COALESCE(expires_at, $1), $1)
         WHERE webhook_id = $2 AND (expires_at IS NULL OR expires_at > $3)`,
        [graceUntil, webhookId, now],
      );
      if (secret) await this.#insertSecret(client, webhookId, secret);
      await client.query('UPDATE webhooks SET signed = $1, updated_at = $2 WHERE id = $3', [
        secret !== null,
        now,
        webhookId,
      ]);
    });
  }

  // Ingestion and fan-out

  ingest(accountId: string, events: readonly NewEvent[], now: number): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.#ingestQueue.push({ accountId, events, now, resolve, reject });
      this.#pumpIngest();
    });
  }

  /**
   * Group commit: at most INGEST_FLUSHES transactions run at once, and each takes every
   * request queued meanwhile, so under load one commit (and one set of round trips)
   * serves many 202s, while a lone request still commits at once. Small requests that come
   * while one commits wait for it (GROUP_WHILE_BUSY): at 1,000 single-event requests/s each
   * went alone into a transaction of its own, with its own announcement and its own wake-up
   * of the engine: about 1.25 events per commit.
   */
  #pumpIngest(): void {
    while (this.#ingestFlushes < INGEST_FLUSHES && this.#ingestQueue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < this.#ingestQueue.length && events < MAX_EVENTS_PER_FLUSH) {
        events += this.#ingestQueue[take]?.events.length ?? 0;
        take++;
      }
      if (this.#ingestFlushes > 0 && events < GROUP_WHILE_BUSY) return;
      const batch = this.#ingestQueue.splice(0, take);
      this.#ingestFlushes++;
      void this.#flushIngest(batch).finally(() => {
        this.#ingestFlushes--;
        this.#pumpIngest();
      });
    }
  }

  async #flushIngest(batch: readonly PendingIngest[]): Promise<void> {
    try {
      const outcomes =
        (await this.#ingestInOneStatement(batch)) ??
        (await this.#transaction((client) => this.#ingestMany(client, batch)));
      for (const [i, request] of batch.entries()) request.resolve(outcomes[i] as IngestOutcome);
    } catch (error) {
      if (batch.length === 1 || error instanceof StoreUnavailableError) {
        for (const request of batch) request.reject(error);
        return;
      }
      // One request's failure (or a deadlock between groups) must not fail the others.
      for (const request of batch) {
        try {
          const [outcome] = await this.#transaction((client) => this.#ingestMany(client, [request]));
          request.resolve(outcome as IngestOutcome);
        } catch (alone) {
          request.reject(alone);
        }
      }
    }
  }

  /** `#enabledWebhooksOf`, from what is kept where it can be (see `#keysByHash`). */
  async #enabledWebhooksKept(accounts: readonly string[]): Promise<Map<string, Webhook[]>> {
    this.#expireKept();
    const webhooksOf = new Map<string, Webhook[]>();
    const missing: string[] = [];
    for (const account of accounts) {
      const kept = this.#enabledWebhooks.get(account);
      if (kept) webhooksOf.set(account, kept);
      else missing.push(account);
    }
    if (missing.length === 0) return webhooksOf;
    const generation = this.#configGeneration;
    const found = await this.#enabledWebhooksOf(missing, this.#pool);
    const keep = this.#keepable(generation, this.#enabledWebhooks);
    for (const account of missing) {
      const list = found.get(account) ?? [];
      webhooksOf.set(account, list);
      if (keep) this.#enabledWebhooks.set(account, list);
    }
    return webhooksOf;
  }

  /** The enabled webhooks of these accounts, by account. */
  async #enabledWebhooksOf(accounts: readonly string[], on: Queryable): Promise<Map<string, Webhook[]>> {
    const webhooksOf = new Map<string, Webhook[]>();
    if (accounts.length === 0) return webhooksOf;
    const found = await this.#query(
      'SELECT * FROM webhooks WHERE account_id = ANY($1) AND enabled',
      [accounts],
      on,
    );
    for (const webhook of found.rows.map(toWebhook)) {
      webhooksOf.set(webhook.accountId, [...(webhooksOf.get(webhook.accountId) ?? []), webhook]);
    }
    return webhooksOf;
  }

  /**
   * The common ingest, in two round trips instead of seven: the accounts' webhooks, then
   * one statement that inserts the events, the deliveries of those that were new, and the
   * notifications (one statement is one transaction). Null when a matching webhook batches
   * per user (usetiful windows need row locks): the transaction path does those.
   */
  async #ingestInOneStatement(batch: readonly PendingIngest[]): Promise<IngestOutcome[] | null> {
    const webhooksOf = await this.#enabledWebhooksKept([
      ...new Set(batch.map((request) => request.accountId)),
    ]);
    if ([...webhooksOf.values()].some((list) => list.some(isBatched))) return null;
    const now = batch[0]?.now ?? Date.now();
    // The first of repeated ids in the group is the one that may be new; the rest are duplicates.
    const seen = new Set<string>();
    const events: {
      index: number;
      accountId: string;
      event: NewEvent;
      first: boolean;
      deliveries: number;
      now: number;
    }[] = [];
    const planned: { id: string; webhook: Webhook; eventId: string }[] = [];
    for (const [index, request] of batch.entries()) {
      for (const event of request.events) {
        const key = `${request.accountId}\u0000${event.id}`;
        const first = !seen.has(key);
        seen.add(key);
        let deliveries = 0;
        if (first) {
          for (const webhook of webhooksFor(webhooksOf.get(request.accountId) ?? [], event)) {
            planned.push({ id: newId(ID_PREFIX.delivery, now), webhook, eventId: event.id });
            deliveries++;
          }
        }
        events.push({ index, accountId: request.accountId, event, first, deliveries, now: request.now });
      }
    }
    // A named statement: planning it cost as much as running it for a small group. It reads no
    // table but through its inserts' unique indexes, so no generic plan can go astray.
    const { rows } = await this.#query<{ account_id: string; id: string }>(
      ingestSql,
      [
        ...eventColumns(events),
        planned.map((d) => d.id),
        planned.map((d) => d.webhook.accountId),
        planned.map((d) => d.webhook.id),
        planned.map((d) => d.eventId),
        planned.map((d) => d.webhook.format),
        planned.map((d) => d.webhook.name),
        this.#options.deliveryAttempts,
        now,
      ],
      this.#pool,
      'hooklane_ingest',
    );
    const fresh = new Set(rows.map((row) => `${row.account_id}\u0000${row.id}`));
    const outcomes = batch.map((request) => ({
      inserted: 0,
      duplicates: request.events.length,
      deliveriesCreated: 0,
    }));
    for (const item of events) {
      if (!item.first || !fresh.has(`${item.accountId}\u0000${item.event.id}`)) continue;
      const outcome = outcomes[item.index];
      if (!outcome) continue;
      outcome.inserted++;
      outcome.duplicates--;
      outcome.deliveriesCreated += item.deliveries;
    }
    return outcomes;
  }

  async #ingestMany(client: PoolClient, batch: readonly PendingIngest[]): Promise<IngestOutcome[]> {
    const rows = batch.flatMap((request) =>
      request.events.map((event) => ({ accountId: request.accountId, event, now: request.now })),
    );
    const inserted = await client.query<{ account_id: string; id: string }>(
      `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
         $8::bigint[], $9::text[])
       ON CONFLICT DO NOTHING RETURNING account_id, id`,
      eventColumns(rows),
    );
    const fresh = new Set(inserted.rows.map((row) => `${row.account_id}\u0000${row.id}`));
    const accounts = [...new Set(inserted.rows.map((row) => row.account_id))];
    const webhooksOf = await this.#enabledWebhooksOf(accounts, client);
    const plain: { webhook: Webhook; eventId: string }[] = [];
    const announced = new Map<string, string[]>();
    let created = 0;
    const outcomes: IngestOutcome[] = [];
    for (const { accountId, events, now } of batch) {
      let insertedCount = 0;
      let deliveriesCreated = 0;
      for (const event of events) {
        if (!fresh.delete(`${accountId}\u0000${event.id}`)) continue;
        insertedCount++;
        announced.set(accountId, [...(announced.get(accountId) ?? []), event.id]);
        for (const webhook of webhooksFor(webhooksOf.get(accountId) ?? [], event)) {
          deliveriesCreated++;
          if (!isBatched(webhook)) {
            plain.push({ webhook, eventId: event.id });
            continue;
          }
          if (await this.#appendToOpenBatch(client, webhook, event, now)) continue;
          const [id] = await this.#insertDeliveries(
            client,
            [{ webhook, eventId: event.id }],
            event.userId,
            now + webhook.batchWindowMs,
            now,
          );
          await client.query(
            'INSERT INTO delivery_batch_events (delivery_id, position, account_id, event_id) VALUES ($1, 0, $2, $3)',
            [id, accountId, event.id],
          );
        }
      }
      created += deliveriesCreated;
      outcomes.push({
        inserted: insertedCount,
        duplicates: events.length - insertedCount,
        deliveriesCreated,
      });
    }
    const now = batch[0]?.now ?? Date.now();
    if (plain.length > 0) await this.#insertDeliveries(client, plain, null, now, now);
    if (created > 0) await client.query(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
    for (const [accountId, ids] of announced) await this.#announceEvents(client, accountId, ids);
    return outcomes;
  }

  /** Tells `listen` streams in every process which events arrived (ids only: payloads are capped). */
  async #announceEvents(client: PoolClient, accountId: string, ids: readonly string[]): Promise<void> {
    let chunk: string[] = [];
    let size = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      await client.query('SELECT pg_notify($1, $2)', [
        EVENTS_CHANNEL,
        JSON.stringify({ a: accountId, e: chunk }),
      ]);
      chunk = [];
      size = 0;
    };
    for (const id of ids) {
      if (size + id.length + accountId.length + 20 > NOTIFY_PAYLOAD_LIMIT) await flush();
      chunk.push(id);
      size += id.length + 3;
    }
    await flush();
  }

  /** Serialised per (webhook, user) with an advisory lock, so batches hold across API processes. */
  async #appendToOpenBatch(
    client: PoolClient,
    webhook: Webhook,
    event: NewEvent,
    now: number,
  ): Promise<boolean> {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `${webhook.id}/${event.userId}`,
    ]);
    const { rows } = await client.query(
      `SELECT d.id, (SELECT COUNT(*) FROM delivery_batch_events b WHERE b.delivery_id = d.id) AS size
       FROM deliveries d
       WHERE d.webhook_id = $1 AND d.batch_user_id = $2 AND d.status = 'pending' AND d.attempt_count = 0
         AND d.next_attempt_at > $3 AND d.lease_until <= $3
       ORDER BY d.id DESC LIMIT 1 FOR UPDATE`,
      [webhook.id, event.userId, now],
    );
    const open = rows[0];
    if (!open || Number(open.size) >= MAX_BATCH_EVENTS) return false;
    await client.query(
      'INSERT INTO delivery_batch_events (delivery_id, position, account_id, event_id) VALUES ($1, $2, $3, $4)',
      [open.id, Number(open.size), webhook.accountId, event.id],
    );
    return true;
  }

  async #insertDeliveries(
    client: PoolClient,
    items: readonly { webhook: Webhook; eventId: string }[],
    batchUserId: string | null,
    dueAt: number,
    now: number,
  ): Promise<string[]> {
    const ids = items.map(() => newId(ID_PREFIX.delivery, now));
    await client.query(
      `INSERT INTO deliveries (id, account_id, webhook_id, event_id, status, format, webhook_name, batch_user_id,
         attempts_left, next_attempt_at, created_at, updated_at)
       SELECT d.id, d.account_id, d.webhook_id, d.event_id, 'pending', d.format, d.webhook_name, $7, $8, $9, $10, $10
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         AS d(id, account_id, webhook_id, event_id, format, webhook_name)`,
      [
        ids,
        items.map((i) => i.webhook.accountId),
        items.map((i) => i.webhook.id),
        items.map((i) => i.eventId),
        items.map((i) => i.webhook.format),
        items.map((i) => i.webhook.name),
        batchUserId,
        this.#options.deliveryAttempts,
        dueAt,
        now,
      ],
    );
    return ids;
  }

  async insertTestDelivery(webhook: Webhook, event: NewEvent, now: number): Promise<Delivery> {
    return this.#transaction(async (client) => {
      await client.query(
        `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          webhook.accountId,
          event.id,
          event.name,
          event.typeId,
          event.userId,
          event.contentId,
          event.occurredAt,
          now,
          event.body,
        ],
      );
      const [id] = await this.#insertDeliveries(client, [{ webhook, eventId: event.id }], null, now, now);
      await client.query(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
      const { rows } = await client.query('SELECT * FROM deliveries WHERE id = $1', [id]);
      return toDelivery(rows[0] ?? {});
    });
  }

  // The queue

  async claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const { rows } = await this.#query(claimDueSql, claimParams(request), this.#pool, 'hooklane_claim_due');
    return this.#handOut(rows, request);
  }

  /** `#claimed`, giving the rows' leases back if it fails. */
  async #handOut(rows: readonly QueryResultRow[], request: ClaimRequest): Promise<ClaimedDelivery[]> {
    try {
      return await this.#claimed(rows);
    } catch (error) {
      // Nothing of this claim reaches the engine: give it back as soon as the database answers
      // again, rather than leaving it (and its webhooks' in-flight slots) leased for a whole lease.
      const leased = rows.map((row) => String(row.id));
      if (leased.length > 0) this.#giveBack(leased, request.now + request.leaseMs, request.leaseMs);
      throw error;
    }
  }

  /** Releases claims nobody will send (only while still ours: same lease), retrying for up to `retryForMs`. */
  #giveBack(ids: readonly string[], leaseUntil: number, retryForMs: number): void {
    const deadline = Date.now() + retryForMs;
    const attempt = () => {
      this.#query('UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1) AND lease_until = $2', [
        ids,
        leaseUntil,
      ]).catch(() => {
        if (Date.now() < deadline) setTimeout(attempt, 250).unref();
      });
    };
    attempt();
  }

  /** Claimed rows → what the engine sends. */
  async #claimed(rows: readonly QueryResultRow[]): Promise<ClaimedDelivery[]> {
    if (rows.length === 0) return [];
    const webhooks = new Map<string, Webhook>();
    const secrets = new Map<string, StoredSecret[]>();
    const events = new Map<string, StoredEvent[]>();
    for (const row of rows) {
      const sendable = row.webhook as {
        row: Record<string, unknown>;
        secrets: Record<string, unknown>[];
      } | null;
      if (sendable) {
        webhooks.set(String(row.webhook_id), toWebhook(sendable.row));
        secrets.set(String(row.webhook_id), sendable.secrets.map(toSecret));
      }
      const event = toClaimedEvent(row);
      if (event) events.set(String(row.id), [event]);
    }
    const deliveries = rows
      .map(toDelivery)
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || (a.id < b.id ? -1 : 1));
    const batched = deliveries.filter((d) => d.batchUserId !== null);
    if (batched.length > 0) {
      for (const [id, list] of await this.#eventsOfMany(batched)) events.set(id, list);
    }
    const claimed: ClaimedDelivery[] = [];
    const orphans: string[] = [];
    for (const delivery of deliveries) {
      const webhook = webhooks.get(delivery.webhookId);
      if (!webhook) {
        orphans.push(delivery.id);
        continue;
      }
      claimed.push({
        delivery,
        webhook,
        secrets: secrets.get(webhook.id) ?? [],
        events: events.get(delivery.id) ?? [],
      });
    }
    if (orphans.length > 0) {
      // The webhook vanished under a claimed delivery: nothing can be sent.
      await this.#query(
        `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_until = 0 WHERE id = ANY($1)`,
        [orphans],
      );
    }
    return claimed;
  }

  /** The events of many deliveries in two queries, keyed by delivery id, in batch order. */
  async #eventsOfMany(deliveries: readonly Delivery[]): Promise<Map<string, StoredEvent[]>> {
    const result = new Map<string, StoredEvent[]>();
    const single = deliveries.filter((d) => d.batchUserId === null);
    const batched = deliveries.filter((d) => d.batchUserId !== null);
    if (single.length > 0) {
      const sql = `SELECT e.*, k.delivery_id FROM unnest($1::text[], $2::text[], $3::text[]) AS k(delivery_id, account_id, event_id)
         JOIN events e ON e.account_id = k.account_id AND e.id = k.event_id`;
      const values = [single.map((d) => d.id), single.map((d) => d.accountId), single.map((d) => d.eventId)];
      const { rows } = await this.#query(sql, values);
      for (const row of rows) result.set(String(row.delivery_id), [toEvent(row)]);
    }
    if (batched.length > 0) {
      const { rows } = await this.#query(
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

  async recordAttempts(results: readonly AttemptRecord[], next?: ClaimRequest): Promise<ClaimedDelivery[]> {
    if (results.length === 0) return next ? this.claimDue(next) : [];
    this.#countSettled(results.length);
    const attempts = results.map((r) => r.attempt);
    // A webhook's streak: the last outcome in this batch decides, as it would one by one.
    const last = new Map<string, AttemptRecord>();
    const firstFailure = new Map<string, number>();
    for (const record of results) {
      last.set(record.attempt.webhookId, record);
      if (record.verdict !== 'succeeded') {
        const known = firstFailure.get(record.attempt.webhookId);
        firstFailure.set(
          record.attempt.webhookId,
          Math.min(known ?? record.attempt.startedAt, record.attempt.startedAt),
        );
      }
    }
    const values = [
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
      results.map((r) => statusAfter(r.verdict)),
      results.map((r) => (r.verdict === 'retry' ? r.nextAttemptAt : null)),
      attempts.map((a) => a.startedAt + a.durationMs),
      [...last.values()].filter((r) => r.verdict === 'succeeded').map((r) => r.attempt.webhookId),
    ];
    if (firstFailure.size === 0) {
      // The common case, every attempt a success: one statement, one round trip, with the claim.
      if (next) {
        const { rows } = await this.#query(
          recordAndClaimSql,
          [...values, ...claimParams(next)],
          this.#pool,
          'hooklane_record_and_claim',
        );
        return claimAfterWrite(this.#handOut(rows, next));
      }
      await this.#query(recordAttemptsSql, values, this.#pool, 'hooklane_record_attempts');
      return [];
    }
    await this.#transaction(async (client) => {
      // The failing webhooks' rows first, in id order, before the write reads whether each is
      // still enabled: a disable committing meanwhile (it fails pending deliveries but those in
      // flight) is then waited for and seen, so the retry of a delivery in flight cannot outlive
      // it. Rows locked in one order (two result batches may be written at once, and a disable
      // locks its webhook before its deliveries) cannot deadlock.
      await client.query('SELECT 1 FROM webhooks WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE', [
        [...firstFailure.keys()],
      ]);
      await this.#query(recordAttemptsSql, values, client);
      const byWebhookId = [...last.values()].sort((a, b) =>
        a.attempt.webhookId < b.attempt.webhookId ? -1 : a.attempt.webhookId > b.attempt.webhookId ? 1 : 0,
      );
      for (const record of byWebhookId) {
        if (record.verdict === 'succeeded') continue;
        const webhookId = record.attempt.webhookId;
        const now = record.attempt.startedAt + record.attempt.durationMs;
        await client.query('UPDATE webhooks SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL', [
          firstFailure.get(webhookId),
          webhookId,
        ]);
        const gone = results.some((r) => r.verdict === 'gone' && r.attempt.webhookId === webhookId);
        const disabled = await client.query(
          `UPDATE webhooks SET enabled = false, disabled_reason = $1, updated_at = $2
           WHERE id = $3 AND enabled AND ($4 OR failing_since <= $5)`,
          [
            gone ? 'the endpoint answered 410 Gone' : 'the endpoint kept failing',
            now,
            webhookId,
            gone,
            record.disableIfFailingSince,
          ],
        );
        if ((disabled.rowCount ?? 0) > 0) {
          this.#configChanged();
          await this.#failPending(client, webhookId, 'webhook disabled', now);
        }
      }
    });
    return next ? claimAfterWrite(this.claimDue(next)) : [];
  }

  /**
   * Every lease and every result leaves a dead version of a delivery row, and its index
   * entries, which each claim then reads past until a vacuum removes them; autovacuum may be
   * off, and by default wakes once a minute, while one busy webhook leaves thousands a second
   * (measured: end to end fell 2,886 → 2,597 ev/s over four 20,000-event runs, and rose to
   * 3,437 with a ~100 ms VACUUM between runs). So each process vacuums `deliveries` itself
   * after every `vacuumEvery` results it writes, in the background; SKIP_LOCKED leaves the
   * table to a vacuum already running (another process's, or autovacuum's).
   */
  #countSettled(count: number): void {
    this.#settledSinceVacuum += count;
    if (this.#settledSinceVacuum < (this.#options.vacuumEvery ?? DEFAULT_VACUUM_EVERY) || this.#vacuuming)
      return;
    this.#settledSinceVacuum = 0;
    this.#vacuuming = this.#query('VACUUM (SKIP_LOCKED) deliveries')
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.#vacuuming = null;
      });
  }

  async releaseClaims(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.#query('UPDATE deliveries SET lease_until = 0 WHERE id = ANY($1)', [deliveryIds]);
  }

  async nextDueAt(now: number): Promise<number | null> {
    const { rows } = await this.#query(
      `SELECT next_attempt_at FROM deliveries WHERE status = 'pending' AND lease_until <= $1
       ORDER BY next_attempt_at LIMIT 1`,
      [now],
    );
    return rows[0] ? Number(rows[0].next_attempt_at) : null;
  }

  // The operator's view

  async listDeliveries(accountId: string, filter: DeliveryFilter, page: Page): Promise<Delivery[]> {
    const where = ['account_id = $1'];
    const params: unknown[] = [accountId];
    const add = (clause: (n: () => string) => string, ...values: unknown[]) => {
      where.push(
        clause(() => {
          params.push(values.shift());
          return `$${params.length}`;
        }),
      );
    };
    if (filter.webhookId !== undefined) add((p) => `webhook_id = ${p()}`, filter.webhookId);
    if (filter.status !== undefined) add((p) => `status = ${p()}`, filter.status);
    if (filter.since !== undefined) add((p) => `created_at >= ${p()}`, filter.since);
    if (filter.until !== undefined) add((p) => `created_at < ${p()}`, filter.until);
    if (filter.eventId !== undefined) {
      add(
        (p) =>
          `(event_id = ${p()} OR id IN (SELECT delivery_id FROM delivery_batch_events WHERE account_id = $1 AND event_id = ${p()}))`,
        filter.eventId,
        filter.eventId,
      );
    }
    if (page.before !== null) add((p) => `id < ${p()}`, page.before);
    params.push(page.limit);
    const { rows } = await this.#query(
      `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDelivery);
  }

  async getDelivery(accountId: string, id: string): Promise<Delivery | null> {
    return this.#getDelivery(accountId, id, this.#pool);
  }

  async #getDelivery(accountId: string, id: string, on: Queryable): Promise<Delivery | null> {
    const { rows } = await this.#query(
      'SELECT * FROM deliveries WHERE account_id = $1 AND id = $2',
      [accountId, id],
      on,
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    return this.#listAttempts(deliveryId, this.#pool);
  }

  async #listAttempts(deliveryId: string, on: Queryable): Promise<Attempt[]> {
    const { rows } = await this.#query(
      'SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY number, started_at',
      [deliveryId],
      on,
    );
    return rows.map(toAttempt);
  }

  async getDeliveryWithAttempts(
    accountId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[] } | null> {
    // One snapshot for both reads: in two, an attempt written between them showed a delivery
    // still pending with no attempt made beside the attempt that had settled it.
    return this.#transaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const delivery = await this.#getDelivery(accountId, id, client);
      if (!delivery) return null;
      return { delivery, attempts: await this.#listAttempts(id, client) };
    });
  }

  async eventsOfDelivery(delivery: Delivery): Promise<StoredEvent[]> {
    return (await this.#eventsOfMany([delivery])).get(delivery.id) ?? [];
  }

  async retryDelivery(accountId: string, id: string, now: number): Promise<Delivery | null> {
    const { rows } = await this.#query(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1,
         attempts_left = CASE WHEN status = 'pending' THEN GREATEST(attempts_left, 1) ELSE 1 END
       WHERE account_id = $2 AND id = $3 AND lease_until <= $1 RETURNING *`,
      [now, accountId, id],
    );
    if (rows[0]) {
      await this.#query(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
      return toDelivery(rows[0]);
    }
    return this.getDelivery(accountId, id);
  }

  async recoverDeliveries(
    accountId: string,
    webhookId: string,
    since: number,
    until: number,
    now: number,
  ): Promise<number> {
    const { rowCount } = await this.#query(
      `UPDATE deliveries SET status = 'pending', attempts_left = 1, next_attempt_at = $1, updated_at = $1
       WHERE account_id = $2 AND webhook_id = $3 AND status = 'failed' AND created_at >= $4 AND created_at < $5`,
      [now, accountId, webhookId, since, until],
    );
    if ((rowCount ?? 0) > 0) await this.#query(`SELECT pg_notify('${WORK_CHANNEL}', '')`);
    return rowCount ?? 0;
  }

  async queueStats(): Promise<{ pending: number; oldestPendingAt: number | null }> {
    const { rows } = await this.#query(
      `SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM deliveries WHERE status = 'pending'`,
    );
    const row = rows[0];
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingAt: row?.oldest == null ? null : Number(row.oldest),
    };
  }

  async getEvents(accountId: string, ids: readonly string[]): Promise<StoredEvent[]> {
    const { rows } = await this.#query('SELECT * FROM events WHERE account_id = $1 AND id = ANY($2)', [
      accountId,
      ids,
    ]);
    const byId = new Map(rows.map((row) => [String(row.id), toEvent(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async pruneBefore(cutoff: number, batchSize: number): Promise<number> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM deliveries WHERE created_at < $1 AND status IN ('succeeded', 'failed', 'cancelled')
         LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [cutoff, batchSize],
      );
      const ids = rows.map((row) => row.id);
      await client.query('DELETE FROM attempts WHERE delivery_id = ANY($1)', [ids]);
      await client.query('DELETE FROM delivery_batch_events WHERE delivery_id = ANY($1)', [ids]);
      const deliveries = await client.query('DELETE FROM deliveries WHERE id = ANY($1)', [ids]);
      const events = await client.query(
        `DELETE FROM events WHERE (account_id, id) IN (
           SELECT account_id, id FROM events e WHERE ingested_at < $1
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id)
             AND NOT EXISTS (SELECT 1 FROM delivery_batch_events b WHERE b.account_id = e.account_id AND b.event_id = e.id)
           LIMIT $2)`,
        [cutoff, batchSize],
      );
      return (deliveries.rowCount ?? 0) + (events.rowCount ?? 0);
    });
  }
}

/**
 * The claim that follows a result write which has committed: if it fails, the write must not
 * (the engine would write the results again, and their attempts exist); it claimed nothing,
 * and its leases, if any, are being given back.
 */
function claimAfterWrite(claim: Promise<ClaimedDelivery[]>): Promise<ClaimedDelivery[]> {
  return claim.catch(() => []);
}

/** Events as the nine column arrays both ingest paths insert (`unnest($1 … $9)`). */
function eventColumns(rows: readonly { accountId: string; event: NewEvent; now: number }[]): unknown[][] {
  return [
    rows.map((r) => r.accountId),
    rows.map((r) => r.event.id),
    rows.map((r) => r.event.name),
    rows.map((r) => r.event.typeId),
    rows.map((r) => r.event.userId),
    rows.map((r) => r.event.contentId),
    rows.map((r) => r.event.occurredAt),
    rows.map((r) => r.now),
    rows.map((r) => r.event.body),
  ];
}

/** PostgreSQL wants booleans where SQLite stores 0/1. */
function pgWebhookValues(webhook: Webhook): unknown[] {
  const values: unknown[] = webhookValues(webhook);
  values[9] = webhook.enabled;
  values[12] = webhook.signed;
  return values;
}

/** PostgreSQL text cannot hold NUL bytes; a response body may. */
function stripNul(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\uFFFD');
}
