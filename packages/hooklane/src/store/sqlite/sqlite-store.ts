import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
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
import type {
  AttemptRecord,
  ClaimedDelivery,
  ClaimRequest,
  DeliveryFilter,
  IngestOutcome,
  NewEvent,
  Page,
  Store,
  WebhookChanges,
} from '../store.ts';
import { claimedRowsSql, dueOfWebhookSql, webhooksWithPendingSql } from './claim-due.ts';
import { Leases } from './leases.ts';
import { migrateSqlite } from './migrate.ts';
import { openDatabase } from './open-database.ts';

export interface SqliteStoreOptions {
  /** The database file, or ':memory:'. */
  readonly path: string;
  /** Attempts a new delivery gets: the retry schedule's length + 1. */
  readonly deliveryAttempts: number;
  /** Least time between the starts of two ingest commits (default `INGEST_COMMIT_GAP_MS`). */
  readonly ingestCommitGapMs?: number;
}

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

/** The largest usetiful batch; a busier user's events start a new one. */
const MAX_BATCH_EVENTS = 1000;

interface IngestRequest {
  readonly accountId: string;
  readonly events: readonly NewEvent[];
  readonly now: number;
  readonly resolve: (outcome: IngestOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The embedded store on `node:sqlite`. The driver is synchronous and the connection is
 * exclusive to this process, so every method body runs atomically with respect to the
 * rest of the process; concurrent ingest requests share one transaction (group commit)
 * so that each fsync serves many 202s.
 */
export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  readonly notifications = null;
  readonly #db: DatabaseSync;
  readonly #deliveryAttempts: number;
  readonly #statements = new Map<string, StatementSync>();
  readonly #leases = new Leases();
  /**
   * The webhooks claims send to, with their valid secrets, until `validUntil` (the first
   * secret expiry). Every write to a webhook or its secrets goes through this store (one
   * process owns the file), and each clears the cache.
   */
  readonly #sendable = new Map<string, { webhook: Webhook; secrets: StoredSecret[]; validUntil: number }>();
  readonly #ingestCommitGapMs: number;
  #ingestQueue: IngestRequest[] = [];
  #flushScheduled = false;
  /** When the last ingest commit started (`performance.now()`). */
  #lastFlushAt = Number.NEGATIVE_INFINITY;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    this.#db = db;
    this.#deliveryAttempts = options.deliveryAttempts;
    this.#ingestCommitGapMs = options.ingestCommitGapMs ?? INGEST_COMMIT_GAP_MS;
  }

  /**
   * Opens (or creates) the store and migrates it. A previous owner's claims died with it
   * (they were in its memory): holding the file's exclusive lock proves that owner is gone.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const store = new SqliteStore(openDatabase(options.path), options);
    migrateSqlite(store.#db);
    return store;
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs engine bookkeeping (attempt results, pruning) without its own fsync. In WAL mode
   * such a commit is durable once any later FULL commit (every ingest) syncs the log; a
   * crash before that loses only results, whose deliveries are sent again:
   * at-least-once holds, and the engine does not pay an fsync per finished request.
   */
  #relaxed<T>(work: () => T): T {
    this.#db.exec('PRAGMA synchronous = NORMAL');
    try {
      return work();
    } finally {
      this.#db.exec('PRAGMA synchronous = FULL');
    }
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async migrate(): Promise<number> {
    return migrateSqlite(this.#db);
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#ingestQueue.length > 0) this.#flushIngest();
    if (this.#db.isOpen) this.#db.close();
  }

  // Accounts and keys

  async createAccount(account: Account): Promise<void> {
    this.#sql('INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)').run(
      account.id,
      account.name,
      account.createdAt,
    );
  }

  async getAccount(id: string): Promise<Account | null> {
    const row = this.#sql('SELECT * FROM accounts WHERE id = ?').get(id);
    return row ? toAccount(row) : null;
  }

  async insertApiKey(key: ApiKey, hash: string): Promise<void> {
    this.#sql(
      'INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(key.id, key.accountId, key.role, key.name, key.prefix, hash, key.createdAt);
  }

  async insertRootKeyIfNone(key: ApiKey, hash: string): Promise<boolean> {
    const result = this.#sql(
      `INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at)
       VALUES (?, NULL, 'root', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(key.id, key.name, key.prefix, hash, key.createdAt);
    return result.changes > 0;
  }

  async replaceRootKey(key: ApiKey, hash: string): Promise<void> {
    this.#transaction(() => {
      const replaced = this.#sql(
        `UPDATE api_keys SET id = ?, name = ?, prefix = ?, hash = ?, created_at = ?, revoked_at = NULL
         WHERE role = 'root'`,
      ).run(key.id, key.name, key.prefix, hash, key.createdAt);
      if (replaced.changes === 0) {
        this.#sql(
          `INSERT INTO api_keys (id, account_id, role, name, prefix, hash, created_at)
           VALUES (?, NULL, 'root', ?, ?, ?, ?)`,
        ).run(key.id, key.name, key.prefix, hash, key.createdAt);
      }
    });
  }

  async findApiKeyByHash(hash: string): Promise<ApiKey | null> {
    const row = this.#sql('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL').get(hash);
    return row ? toApiKey(row) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKey[]> {
    return this.#sql('SELECT * FROM api_keys WHERE account_id = ? ORDER BY id').all(accountId).map(toApiKey);
  }

  async revokeApiKey(accountId: string, id: string, now: number): Promise<boolean> {
    const result = this.#sql(
      'UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL',
    ).run(now, accountId, id);
    return result.changes > 0;
  }

  // Webhooks and secrets

  async insertWebhook(webhook: Webhook, secret: StoredSecret | null): Promise<void> {
    this.#sendable.clear();
    this.#transaction(() => {
      this.#sql(
        `INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (${WEBHOOK_COLUMNS.replace(/\w+/g, '?')})`,
      ).run(...webhookValues(webhook));
      if (secret) this.#insertSecret(webhook.id, secret);
    });
  }

  #insertSecret(webhookId: string, secret: StoredSecret): void {
    this.#sql(
      'INSERT INTO webhook_secrets (webhook_id, sealed, created_at, expires_at) VALUES (?, ?, ?, ?)',
    ).run(webhookId, secret.sealed, secret.createdAt, secret.expiresAt);
  }

  async getWebhook(accountId: string, id: string): Promise<Webhook | null> {
    const row = this.#sql('SELECT * FROM webhooks WHERE account_id = ? AND id = ?').get(accountId, id);
    return row ? toWebhook(row) : null;
  }

  async listWebhooks(accountId: string, page: Page): Promise<Webhook[]> {
    return this.#sql('SELECT * FROM webhooks WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(accountId, page.before ?? '\uffff', page.limit)
      .map(toWebhook);
  }

  async updateWebhook(
    accountId: string,
    id: string,
    changes: WebhookChanges,
    now: number,
  ): Promise<Webhook | null> {
    this.#sendable.clear();
    const { set, values } = webhookChangeSet(
      changes,
      now,
      (n) => `?${n}`,
      (on) => (on ? 1 : 0),
    );
    const accountAt = values.length + 1;
    return this.#transaction(() => {
      const row = this.#sql(
        `UPDATE webhooks SET ${set} WHERE account_id = ?${accountAt} AND id = ?${accountAt + 1} RETURNING *`,
      ).get(...(values as SQLInputValue[]), accountId, id);
      if (!row) return null;
      const webhook = toWebhook(row);
      if (!webhook.enabled) this.#failPending(webhook.id, 'webhook disabled', now);
      return webhook;
    });
  }

  /**
   * Fails a webhook's pending deliveries, except those in flight (their results decide). A
   * delivery whose result is being written (`finished`) is not in flight any more, though its
   * lease ends only after the write commits.
   */
  #failPending(webhookId: string, reason: string, now: number, finished?: ReadonlySet<string>): void {
    const inFlight = [...(this.#leases.byWebhook(now).get(webhookId) ?? [])].filter(
      (id) => !finished?.has(id),
    );
    this.#sql(
      `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = ?, updated_at = ?
       WHERE webhook_id = ? AND status = 'pending' AND id NOT IN (SELECT value FROM json_each(?))`,
    ).run(reason, now, webhookId, JSON.stringify(inFlight));
  }

  async deleteWebhook(accountId: string, id: string, now: number): Promise<boolean> {
    this.#sendable.clear();
    return this.#transaction(() => {
      const deleted = this.#sql('DELETE FROM webhooks WHERE account_id = ? AND id = ?').run(accountId, id);
      if (deleted.changes === 0) return false;
      this.#sql('DELETE FROM webhook_secrets WHERE webhook_id = ?').run(id);
      this.#sql(
        `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = 'webhook deleted', updated_at = ?
         WHERE webhook_id = ? AND status = 'pending'`,
      ).run(now, id);
      return true;
    });
  }

  async listSecrets(webhookId: string, now: number): Promise<StoredSecret[]> {
    return this.#secrets(webhookId, now);
  }

  #secrets(webhookId: string, now: number): StoredSecret[] {
    return this.#sql(
      `SELECT * FROM webhook_secrets WHERE webhook_id = ? AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY created_at DESC, rowid DESC`,
    )
      .all(webhookId, now)
      .map(toSecret);
  }

  async resealSecrets(reseal: (sealed: string) => string | null): Promise<number> {
    this.#sendable.clear();
    return this.#transaction(() => {
      let count = 0;
      for (const row of this.#sql('SELECT rowid, sealed FROM webhook_secrets').all()) {
        const next = reseal(String(row.sealed));
        if (next === null) continue;
        this.#sql('UPDATE webhook_secrets SET sealed = ? WHERE rowid = ?').run(next, Number(row.rowid));
        count++;
      }
      return count;
    });
  }

  async resealWebhookHeaders(
    reseal: (headers: Readonly<Record<string, string>>) => Record<string, string> | null,
  ): Promise<number> {
    this.#sendable.clear();
    return this.#transaction(() => {
      let count = 0;
      for (const row of this.#sql("SELECT id, headers FROM webhooks WHERE headers <> '{}'").all()) {
        const next = reseal(JSON.parse(String(row.headers)) as Record<string, string>);
        if (next === null) continue;
        this.#sql('UPDATE webhooks SET headers = ? WHERE id = ?').run(JSON.stringify(next), String(row.id));
        count++;
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
    this.#sendable.clear();
    this.#transaction(() => {
      this.#sql(
        `UPDATE webhook_secrets SET expires_at = MIN(COALESCE(expires_at, ?), ?)
         WHERE webhook_id = ? AND (expires_at IS NULL OR expires_at > ?)`,
      ).run(graceUntil, graceUntil, webhookId, now);
      if (secret) this.#insertSecret(webhookId, secret);
      this.#sql('UPDATE webhooks SET signed = ?, updated_at = ? WHERE id = ?').run(
        secret ? 1 : 0,
        now,
        webhookId,
      );
    });
  }

  // Ingestion and fan-out

  ingest(accountId: string, events: readonly NewEvent[], now: number): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.#ingestQueue.push({ accountId, events, now, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        const wait = this.#lastFlushAt + this.#ingestCommitGapMs - performance.now();
        if (wait > 0) setTimeout(() => this.#flushIngest(), wait);
        else setImmediate(() => this.#flushIngest());
      }
    });
  }

  /** Commits every queued ingest request in one transaction; on failure, each alone. */
  #flushIngest(): void {
    this.#flushScheduled = false;
    this.#lastFlushAt = performance.now();
    const batch = this.#ingestQueue;
    this.#ingestQueue = [];
    if (batch.length === 0) return;
    let outcomes: IngestOutcome[];
    try {
      const webhookCache = new Map<string, Webhook[]>();
      outcomes = this.#transaction(() => batch.map((request) => this.#ingestOne(request, webhookCache)));
    } catch {
      for (const request of batch) {
        try {
          request.resolve(this.#transaction(() => this.#ingestOne(request, new Map())));
        } catch (error) {
          request.reject(error);
        }
      }
      return;
    }
    for (const [i, request] of batch.entries()) request.resolve(outcomes[i] as IngestOutcome);
  }

  #ingestOne(request: IngestRequest, webhookCache: Map<string, Webhook[]>): IngestOutcome {
    const { accountId, now } = request;
    let webhooks = webhookCache.get(accountId);
    if (!webhooks) {
      webhooks = this.#sql('SELECT * FROM webhooks WHERE account_id = ? AND enabled = 1')
        .all(accountId)
        .map(toWebhook);
      webhookCache.set(accountId, webhooks);
    }
    let inserted = 0;
    let duplicates = 0;
    let deliveriesCreated = 0;
    for (const event of request.events) {
      const result = this.#insertEvent(accountId, event, now, 'ON CONFLICT DO NOTHING');
      if (result.changes === 0) {
        duplicates++;
        continue;
      }
      inserted++;
      for (const webhook of webhooksFor(webhooks, event)) {
        if (isBatched(webhook)) {
          if (this.#appendToOpenBatch(webhook, event, now)) continue;
          const id = this.#insertDelivery(webhook, event.id, event.userId, now + webhook.batchWindowMs, now);
          this.#insertBatchEvent(id, 0, accountId, event.id);
        } else {
          this.#insertDelivery(webhook, event.id, null, now, now);
        }
        deliveriesCreated++;
      }
    }
    return { inserted, duplicates, deliveriesCreated };
  }

  #insertEvent(accountId: string, event: NewEvent, now: number, onConflict: '' | 'ON CONFLICT DO NOTHING') {
    return this.#sql(
      `INSERT INTO events (account_id, id, name, type_id, user_id, content_id, occurred_at, ingested_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ${onConflict}`,
    ).run(
      accountId,
      event.id,
      event.name,
      event.typeId,
      event.userId,
      event.contentId,
      event.occurredAt,
      now,
      event.body,
    );
  }

  #appendToOpenBatch(webhook: Webhook, event: NewEvent, now: number): boolean {
    const open = this.#sql(
      `SELECT d.id, (SELECT COUNT(*) FROM delivery_batch_events b WHERE b.delivery_id = d.id) AS size
       FROM deliveries d
       WHERE d.webhook_id = ? AND d.batch_user_id = ? AND d.status = 'pending' AND d.attempt_count = 0
         AND d.next_attempt_at > ?
       ORDER BY d.id DESC LIMIT 1`,
    ).get(webhook.id, event.userId, now);
    if (!open || Number(open.size) >= MAX_BATCH_EVENTS || this.#leases.held(String(open.id), now))
      return false;
    this.#insertBatchEvent(String(open.id), Number(open.size), webhook.accountId, event.id);
    return true;
  }

  #insertBatchEvent(deliveryId: string, position: number, accountId: string, eventId: string): void {
    this.#sql(
      'INSERT INTO delivery_batch_events (delivery_id, position, account_id, event_id) VALUES (?, ?, ?, ?)',
    ).run(deliveryId, position, accountId, eventId);
  }

  #insertDelivery(
    webhook: Webhook,
    eventId: string,
    batchUserId: string | null,
    dueAt: number,
    now: number,
  ): string {
    const id = newId(ID_PREFIX.delivery, now);
    this.#sql(
      `INSERT INTO deliveries (id, account_id, webhook_id, event_id, status, format, webhook_name, batch_user_id,
         attempts_left, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      webhook.accountId,
      webhook.id,
      eventId,
      webhook.format,
      webhook.name,
      batchUserId,
      this.#deliveryAttempts,
      dueAt,
      now,
      now,
    );
    return id;
  }

  async insertTestDelivery(webhook: Webhook, event: NewEvent, now: number): Promise<Delivery> {
    return this.#transaction(() => {
      this.#insertEvent(webhook.accountId, event, now, '');
      const id = this.#insertDelivery(webhook, event.id, null, now, now);
      return toDelivery(this.#sql('SELECT * FROM deliveries WHERE id = ?').get(id) ?? {});
    });
  }

  // The queue

  async claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    return this.#relaxed(() => this.#claimDue(request));
  }

  #claimDue(request: ClaimRequest): ClaimedDelivery[] {
    const { now, perWebhookCap } = request;
    const held = this.#leases.byWebhook(now);
    const due: { id: string; at: number }[] = [];
    for (const row of this.#sql(webhooksWithPendingSql).all()) {
      const webhookId = String(row.webhook_id);
      const mine = held.get(webhookId);
      const inFlight = mine?.size ?? 0;
      const free = Math.min(perWebhookCap - inFlight, request.limit);
      if (free <= 0) continue;
      // Held deliveries are still pending (and usually the oldest): read past them.
      let taken = 0;
      for (const candidate of this.#sql(dueOfWebhookSql).all(webhookId, now, free + inFlight)) {
        const id = String(candidate.id);
        if (mine?.has(id)) continue;
        due.push({ id, at: Number(candidate.next_attempt_at) });
        if (++taken === free) break;
      }
    }
    if (due.length === 0) return [];
    due.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    const ids = due.slice(0, request.limit).map((item) => item.id);
    const rows = this.#sql(claimedRowsSql)
      .all(JSON.stringify(ids))
      .map((row) => ({ delivery: toDelivery(row), event: toClaimedEvent(row) }))
      .sort(
        (a, b) =>
          (a.delivery.nextAttemptAt ?? 0) - (b.delivery.nextAttemptAt ?? 0) ||
          (a.delivery.id < b.delivery.id ? -1 : 1),
      );
    for (const { delivery } of rows)
      this.#leases.take(delivery.id, delivery.webhookId, now + request.leaseMs);
    const claimed: ClaimedDelivery[] = [];
    for (const { delivery, event } of rows) {
      const entry = this.#sendableWebhook(delivery.webhookId, now);
      if (entry === null) {
        // The webhook vanished under a claimed delivery: nothing can be sent.
        this.#sql(`UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE id = ?`).run(
          delivery.id,
        );
        this.#leases.release(delivery.id);
        continue;
      }
      const events = delivery.batchUserId !== null ? this.#eventsOf(delivery) : event === null ? [] : [event];
      claimed.push({ delivery, webhook: entry.webhook, secrets: entry.secrets, events });
    }
    return claimed;
  }

  #sendableWebhook(id: string, now: number): { webhook: Webhook; secrets: StoredSecret[] } | null {
    const cached = this.#sendable.get(id);
    if (cached && cached.validUntil > now) return cached;
    const row = this.#sql('SELECT * FROM webhooks WHERE id = ?').get(id);
    if (!row) return null;
    const secrets = this.#secrets(id, now);
    const validUntil = Math.min(...secrets.map((secret) => secret.expiresAt ?? Number.POSITIVE_INFINITY));
    const entry = { webhook: toWebhook(row), secrets, validUntil };
    this.#sendable.set(id, entry);
    return entry;
  }

  async recordAttempts(results: readonly AttemptRecord[], next?: ClaimRequest): Promise<ClaimedDelivery[]> {
    if (results.length > 0) {
      this.#relaxed(() =>
        this.#transaction(() => {
          const healthy = new Set<string>();
          for (const result of results) this.#recordAttempt(result, healthy, results);
        }),
      );
      for (const result of results) this.#leases.release(result.attempt.deliveryId);
    }
    // The results are written: a failing claim must not fail the write (the engine would write
    // them again); it claimed nothing, and the engine's own claims report the failure.
    return next ? this.claimDue(next).catch(() => []) : [];
  }

  #recordAttempt(
    { attempt, verdict, nextAttemptAt, disableIfFailingSince }: AttemptRecord,
    healthy: Set<string>,
    batch: readonly AttemptRecord[],
  ): void {
    this.#sql(
      `INSERT INTO attempts (id, delivery_id, account_id, webhook_id, number, started_at, duration_ms, url,
         request_headers, response_status, response_headers, response_body, error, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      attempt.id,
      attempt.deliveryId,
      attempt.accountId,
      attempt.webhookId,
      attempt.number,
      attempt.startedAt,
      attempt.durationMs,
      attempt.url,
      JSON.stringify(attempt.requestHeaders),
      attempt.responseStatus,
      attempt.responseHeaders === null ? null : JSON.stringify(attempt.responseHeaders),
      attempt.responseBody,
      attempt.error,
      attempt.nextAttemptAt,
    );
    const now = attempt.startedAt + attempt.durationMs;
    // The webhook may have been deleted or disabled while the attempt was in flight: a
    // cancelled delivery stays cancelled, and a disabled (or deleted) webhook gets no retry.
    // Decided in the UPDATE itself, which reads the row anyway (a SELECT first cost more
    // than the UPDATE and the INSERT together).
    this.#sql(
      `UPDATE deliveries SET
         status = CASE
           WHEN status = 'cancelled' THEN 'cancelled'
           WHEN ?1 = 'pending' AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.enabled = 1)
             THEN 'failed'
           ELSE ?1 END,
         next_attempt_at = CASE
           WHEN status <> 'cancelled' AND ?1 = 'pending'
             AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id AND w.enabled = 1)
             THEN ?2 END,
         attempt_count = ?3, attempts_left = MAX(attempts_left - 1, 0), last_status = ?4, last_error = ?5,
         updated_at = ?6
       WHERE id = ?7`,
    ).run(
      statusAfter(verdict),
      nextAttemptAt,
      attempt.number,
      attempt.responseStatus,
      attempt.error,
      now,
      attempt.deliveryId,
    );
    if (verdict === 'succeeded') {
      // Once per webhook and batch: after the first success its failing_since is NULL already.
      if (healthy.has(attempt.webhookId)) return;
      healthy.add(attempt.webhookId);
      const healed = this.#sql(
        'UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL',
      ).run(attempt.webhookId);
      if (healed.changes > 0) this.#sendable.delete(attempt.webhookId);
      return;
    }
    healthy.delete(attempt.webhookId);
    this.#sendable.delete(attempt.webhookId);
    this.#sql('UPDATE webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL').run(
      attempt.startedAt,
      attempt.webhookId,
    );
    const disable = (reason: string, condition: string, ...params: SQLInputValue[]) => {
      const changed = this.#sql(
        `UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1 ${condition}`,
      ).run(reason, now, attempt.webhookId, ...params);
      // The batch's own deliveries went back to pending above: they fail too, this one included.
      if (changed.changes > 0)
        this.#failPending(
          attempt.webhookId,
          'webhook disabled',
          now,
          new Set(batch.map((result) => result.attempt.deliveryId)),
        );
    };
    if (verdict === 'gone') disable('the endpoint answered 410 Gone', '');
    else disable('the endpoint kept failing', 'AND failing_since <= ?', disableIfFailingSince);
  }

  async releaseClaims(deliveryIds: readonly string[]): Promise<void> {
    for (const id of deliveryIds) this.#leases.release(id);
  }

  async nextDueAt(now: number): Promise<number | null> {
    // The first due row nobody holds: at most every held one comes before it.
    for (const row of this.#sql(
      `SELECT id, next_attempt_at FROM deliveries WHERE status = 'pending'
       ORDER BY next_attempt_at, id LIMIT ?`,
    ).all(this.#leases.size + 1)) {
      if (!this.#leases.held(String(row.id), now)) return Number(row.next_attempt_at);
    }
    return null;
  }

  // The operator's view

  async listDeliveries(accountId: string, filter: DeliveryFilter, page: Page): Promise<Delivery[]> {
    const where = ['account_id = ?'];
    const params: SQLInputValue[] = [accountId];
    const add = (clause: string, ...values: SQLInputValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (filter.webhookId !== undefined) add('webhook_id = ?', filter.webhookId);
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.since !== undefined) add('created_at >= ?', filter.since);
    if (filter.until !== undefined) add('created_at < ?', filter.until);
    if (filter.eventId !== undefined) {
      add(
        '(event_id = ? OR id IN (SELECT delivery_id FROM delivery_batch_events WHERE account_id = ? AND event_id = ?))',
        filter.eventId,
        accountId,
        filter.eventId,
      );
    }
    if (page.before !== null) add('id < ?', page.before);
    return this.#sql(`SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
      .all(...params, page.limit)
      .map(toDelivery);
  }

  async getDelivery(accountId: string, id: string): Promise<Delivery | null> {
    const row = this.#sql('SELECT * FROM deliveries WHERE account_id = ? AND id = ?').get(accountId, id);
    return row ? toDelivery(row) : null;
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    return this.#sql('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number, started_at')
      .all(deliveryId)
      .map(toAttempt);
  }

  async getDeliveryWithAttempts(
    accountId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[] } | null> {
    // Both reads run before the first await returns: the driver is synchronous, so nothing is
    // written between them.
    const [delivery, attempts] = await Promise.all([this.getDelivery(accountId, id), this.listAttempts(id)]);
    return delivery ? { delivery, attempts } : null;
  }

  async eventsOfDelivery(delivery: Delivery): Promise<StoredEvent[]> {
    return this.#eventsOf(delivery);
  }

  #eventsOf(delivery: Delivery): StoredEvent[] {
    if (delivery.batchUserId !== null) {
      return this.#sql(
        `SELECT e.* FROM delivery_batch_events b JOIN events e ON e.account_id = b.account_id AND e.id = b.event_id
         WHERE b.delivery_id = ? ORDER BY b.position`,
      )
        .all(delivery.id)
        .map(toEvent);
    }
    return this.#sql('SELECT * FROM events WHERE account_id = ? AND id = ?')
      .all(delivery.accountId, delivery.eventId)
      .map(toEvent);
  }

  async retryDelivery(accountId: string, id: string, now: number): Promise<Delivery | null> {
    // An attempt in flight decides for itself.
    if (this.#leases.held(id, now)) return this.getDelivery(accountId, id);
    const row = this.#sql(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?,
         attempts_left = CASE WHEN status = 'pending' THEN MAX(attempts_left, 1) ELSE 1 END
       WHERE account_id = ? AND id = ? RETURNING *`,
    ).get(now, now, accountId, id);
    return row ? toDelivery(row) : this.getDelivery(accountId, id);
  }

  async recoverDeliveries(
    accountId: string,
    webhookId: string,
    since: number,
    until: number,
    now: number,
  ): Promise<number> {
    const result = this.#sql(
      `UPDATE deliveries SET status = 'pending', attempts_left = 1, next_attempt_at = ?, updated_at = ?
       WHERE account_id = ? AND webhook_id = ? AND status = 'failed' AND created_at >= ? AND created_at < ?`,
    ).run(now, now, accountId, webhookId, since, until);
    return Number(result.changes);
  }

  async getEvents(accountId: string, ids: readonly string[]): Promise<StoredEvent[]> {
    const found = this.#sql(
      'SELECT * FROM events WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))',
    )
      .all(accountId, JSON.stringify(ids))
      .map(toEvent);
    const byId = new Map(found.map((event) => [event.id, event]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async pruneBefore(cutoff: number, batchSize: number): Promise<number> {
    return this.#relaxed(() => this.#prune(cutoff, batchSize));
  }

  #prune(cutoff: number, batchSize: number): number {
    return this.#transaction(() => {
      const ids = JSON.stringify(
        this.#sql(
          `SELECT id FROM deliveries WHERE created_at < ? AND status IN ('succeeded', 'failed', 'cancelled') LIMIT ?`,
        )
          .all(cutoff, batchSize)
          .map((row) => row.id),
      );
      const inList = 'IN (SELECT value FROM json_each(?))';
      this.#sql(`DELETE FROM attempts WHERE delivery_id ${inList}`).run(ids);
      this.#sql(`DELETE FROM delivery_batch_events WHERE delivery_id ${inList}`).run(ids);
      const deliveries = this.#sql(`DELETE FROM deliveries WHERE id ${inList}`).run(ids).changes;
      const events = this.#sql(
        `DELETE FROM events WHERE (account_id, id) IN (
           SELECT account_id, id FROM events e WHERE ingested_at < ?
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.account_id = e.account_id AND d.event_id = e.id)
             AND NOT EXISTS (SELECT 1 FROM delivery_batch_events b WHERE b.account_id = e.account_id AND b.event_id = e.id)
           LIMIT ?)`,
      ).run(cutoff, batchSize).changes;
      return Number(deliveries) + Number(events);
    });
  }

  async queueStats(): Promise<{ pending: number; oldestPendingAt: number | null }> {
    const row = this.#sql(
      `SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM deliveries WHERE status = 'pending'`,
    ).get();
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingAt: row?.oldest == null ? null : Number(row.oldest),
    };
  }
}
