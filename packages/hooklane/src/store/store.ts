import type { Outcome } from '../core/account-stats.ts';
import type { AttemptVerdict, JudgedAttempt } from '../core/attempt-outcome.ts';
import type {
  Account,
  ApiKey,
  Attempt,
  Delivery,
  DeliveryStatus,
  PortalSession,
  StoredEvent,
  StoredSecret,
  Webhook,
} from '../core/model.ts';

/** The editable fields of a webhook, already validated; a field left out is not written. */
export type WebhookChanges = Partial<
  Pick<
    Webhook,
    'name' | 'url' | 'events' | 'filters' | 'format' | 'batchWindowMs' | 'headers' | 'enabled' | 'template'
  >
> & { readonly trigger?: Webhook['trigger'] };

/**
 * The Store port: everything Hooklane keeps, behind one interface. Each backend folder
 * (`sqlite/`, `postgres/`) implements it with the same files in the same roles (connection,
 * accounts, webhooks, ingest, claim, record-attempts, deliveries, retention), which its
 * `index.ts` assembles (assembled-store.ts); statements alike on both live in shared-sql.ts.
 * What the stores persist is decided in core (fan-out.ts, attempt-outcome.ts), and one
 * contract suite (`test/store/store.contract.test.ts`) runs against every backend.
 */
export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Cross-process notifications (new work, ingested events), or null when the store has
   * a single owner process and in-process notifications suffice.
   */
  readonly notifications: StoreNotifications | null;
  /** Applies pending numbered migrations, returning how many; safe to call from several processes. */
  migrate(): Promise<number>;
  /** Throws when the database cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;

  createAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | null>;

  insertApiKey(key: ApiKey, hash: string): Promise<void>;
  /** Stores a generated root key unless the store already has one: the first process wins. */
  insertRootKeyIfNone(key: ApiKey, hash: string): Promise<boolean>;
  /**
   * Makes `key` the store's root key: the one stored before (a store keeps one) stops
   * working at once, in every process.
   */
  replaceRootKey(key: ApiKey, hash: string): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKey | null>;
  listApiKeys(accountId: string): Promise<ApiKey[]>;
  revokeApiKey(accountId: string, id: string, now: number): Promise<boolean>;
  /** Replaces a live publishable key's policy; null when the account has no such key. */
  updateKeyPolicy(
    accountId: string,
    id: string,
    policy: NonNullable<ApiKey['policy']>,
  ): Promise<ApiKey | null>;

  insertWebhook(webhook: Webhook, secret: StoredSecret | null): Promise<void>;
  getWebhook(accountId: string, id: string): Promise<Webhook | null>;
  listWebhooks(accountId: string, page: Page): Promise<Webhook[]>;
  /**
   * Writes only the fields `changes` names, and returns the webhook as committed (null when
   * there is none): a field left out keeps the value it has when the write commits, even if
   * it changed since the caller read the webhook (a failure streak, an automatic disable).
   * Disabling fails its pending deliveries; enabling a disabled webhook clears its streak.
   */
  updateWebhook(accountId: string, id: string, changes: WebhookChanges, now: number): Promise<Webhook | null>;
  /** Deletes a webhook and cancels its pending deliveries. */
  deleteWebhook(accountId: string, id: string, now: number): Promise<boolean>;
  /** Valid secrets (not expired at `now`), newest first. */
  listSecrets(webhookId: string, now: number): Promise<StoredSecret[]>;
  /** Re-encrypts stored secrets: `reseal` returns the new sealed form, or null to leave one as is. */
  resealSecrets(reseal: (sealed: string) => string | null): Promise<number>;
  /**
   * Rewrites webhooks' static headers as stored (their values are sealed like secrets):
   * `reseal` returns the new headers, or null to leave a webhook's as they are.
   */
  resealWebhookHeaders(
    reseal: (headers: Readonly<Record<string, string>>) => Record<string, string> | null,
  ): Promise<number>;
  /** Adds a new newest secret; the others stay valid until `graceUntil`. A null secret removes signing. */
  replaceSecret(
    webhookId: string,
    secret: StoredSecret | null,
    graceUntil: number,
    now: number,
  ): Promise<void>;

  /**
   * Stores events and their deliveries in one durable transaction (the 202 follows it).
   * Events whose id the account already has are skipped, with no new deliveries.
   */
  ingest(accountId: string, events: readonly NewEvent[], now: number): Promise<IngestOutcome>;
  /** Stores a sample event and one delivery for just this webhook (the `test` action). */
  insertTestDelivery(webhook: Webhook, event: NewEvent, now: number): Promise<Delivery>;

  /**
   * Leases due deliveries in due order. A leased delivery is in flight, whichever process
   * holds it, so a webhook never has more than `perWebhookCap` leased at once.
   */
  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Records finished attempts and their consequences in one transaction. With `next`, then
   * claims as `claimDue(next)` would, in the same round trip where the backend can (the
   * leases the results end are free for it), and returns what it claimed; without, nothing.
   * Rejects only when the results were not written: a claim that fails after they were
   * returns nothing (its leases are given back).
   */
  recordAttempts(results: readonly AttemptRecord[], next?: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Gives claims back (graceful shutdown) so another process can take them at once. */
  releaseClaims(deliveryIds: readonly string[]): Promise<void>;
  /** When the next pending delivery becomes due, or null when none is pending. */
  nextDueAt(now: number): Promise<number | null>;

  listDeliveries(accountId: string, filter: DeliveryFilter, page: Page): Promise<Delivery[]>;
  getDelivery(accountId: string, id: string): Promise<Delivery | null>;
  listAttempts(deliveryId: string): Promise<Attempt[]>;
  /**
   * A delivery and its attempts as of one moment, so that its attempt count and status always
   * match the attempts listed (an attempt and its delivery's update are written together).
   */
  getDeliveryWithAttempts(
    accountId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[] } | null>;
  eventsOfDelivery(delivery: Delivery): Promise<StoredEvent[]>;
  /** Makes a delivery due now with one more attempt. */
  retryDelivery(accountId: string, id: string, now: number): Promise<Delivery | null>;
  /** Re-queues a webhook's failed deliveries created in [since, until); returns how many. */
  recoverDeliveries(
    accountId: string,
    webhookId: string,
    since: number,
    until: number,
    now: number,
  ): Promise<number>;

  /** How many failed deliveries `recoverDeliveries` would re-queue now (its dry run). */
  countRecoverable(accountId: string, webhookId: string, since: number, until: number): Promise<number>;
  /**
   * An account's deliveries created in a window, counted by webhook, bucket and outcome; when
   * each webhook last got a delivery; the account's oldest pending delivery.
   */
  accountActivity(accountId: string, window: StatsWindow): Promise<AccountActivity>;

  insertPortalSession(session: PortalSession, hash: string): Promise<void>;
  /** The session with this token hash, expired or not (the caller compares `expiresAt`). */
  findPortalSessionByHash(hash: string): Promise<PortalSession | null>;
  /**
   * Deletes an account's portal sessions: all of them (revocation, at once in every process),
   * or, with `expiredAt`, those expired by then.
   */
  deletePortalSessions(accountId: string, expiredAt?: number): Promise<number>;

  queueStats(): Promise<{ pending: number; oldestPendingAt: number | null }>;
  /** The account's latest events, newest first, at most `limit`; only `userId`'s when given. */
  latestEvents(
    accountId: string,
    query: { limit: number; userId?: string | undefined },
  ): Promise<StoredEvent[]>;
  /** The stored events among `ids`, in the order of `ids`. */
  getEvents(accountId: string, ids: readonly string[]): Promise<StoredEvent[]>;
  /**
   * Retention: deletes up to `batchSize` finished deliveries (with their attempts) created
   * before `cutoff`, and events ingested before it that no delivery refers to any more.
   * Returns how many rows went; call again until it returns less than `batchSize`.
   */
  pruneBefore(cutoff: number, batchSize: number): Promise<number>;
}

export interface StoreNotifications {
  /**
   * Calls `work` when any process creates due work and `events` when any process ingests. A
   * process hears only what it passes a handler for (a worker has no use for ingested events,
   * an API process none for work), so nobody is sent what it would drop.
   */
  subscribe(handlers: NotificationHandlers): Promise<() => Promise<void>>;
}

export interface NotificationHandlers {
  /**
   * Another process announced new work. A process's own writes are not echoed: its services
   * announce them in-process (EventBus.workAvailable).
   */
  readonly work?: () => void;
  readonly events?: (accountId: string, eventIds: readonly string[]) => void;
}

/** The database cannot be reached: the API answers 503 and callers retry. */
export class StoreUnavailableError extends Error {
  readonly code = 'ERR_STORE_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StoreUnavailableError';
  }
}

export interface Page {
  /** Exclusive: return objects whose id sorts before this one (ids sort by creation time). */
  readonly before: string | null;
  readonly limit: number;
}

/** A stats window [since, until) cut into buckets of `bucketMs`, counted from `since`. */
export interface StatsWindow {
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
}

export interface DeliveryCount {
  readonly webhookId: string;
  /** The bucket's index in the window: its start is `since + bucket * bucketMs`. */
  readonly bucket: number;
  /** Its status, or `retrying` for a pending delivery already attempted. */
  readonly outcome: Outcome;
  readonly count: number;
}

export interface AccountActivity {
  readonly counts: readonly DeliveryCount[];
  /** When each of the account's webhooks last got a delivery (webhooks that never did are left out). */
  readonly lastDeliveryAt: ReadonlyMap<string, number>;
  readonly oldestPending: Delivery | null;
}

export interface DeliveryFilter {
  readonly webhookId?: string | undefined;
  readonly eventId?: string | undefined;
  /** An event name or catalog type id: deliveries of such events (batched ones included). */
  readonly eventType?: string | undefined;
  readonly status?: DeliveryStatus | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
}

/** An event as ingest hands it to the store: the store adds the account and `ingested_at`. */
export type NewEvent = Omit<StoredEvent, 'accountId' | 'ingestedAt'>;

export interface IngestOutcome {
  readonly inserted: number;
  readonly duplicates: number;
  readonly deliveriesCreated: number;
}

export interface ClaimRequest {
  readonly now: number;
  readonly limit: number;
  readonly leaseMs: number;
  readonly perWebhookCap: number;
}

export interface ClaimedDelivery {
  readonly delivery: Delivery;
  readonly webhook: Webhook;
  readonly secrets: readonly StoredSecret[];
  readonly events: readonly StoredEvent[];
}

export type { AttemptVerdict };

/** A finished attempt and its verdict; what it does is decided by core/attempt-outcome.ts. */
export interface AttemptRecord extends JudgedAttempt {
  readonly attempt: Attempt;
  /** The event its delivery carries (the first of a batch), for operational events. */
  readonly eventId?: string | undefined;
  /**
   * Whether the webhook was failing as far as the claim knew: a success may then be its
   * recovery, which a store checks in the write's transaction.
   */
  readonly webhookFailing?: boolean | undefined;
}
