import type { ApiKey, PortalSession, Webhook } from '../../core/model.ts';

/** How long a kept API key or webhook list is used at most (PostgresStoreOptions.configKeepMs). */
export const DEFAULT_CONFIG_KEEP_MS = 1000;
/** Most API keys, and most accounts' webhook lists, kept at once (beyond, all are dropped). */
const CONFIG_CACHE_LIMIT = 10_000;

/**
 * What every request (its API key) and every ingest (the account's enabled webhooks) looks
 * up, kept only while this process listens for changes (CONFIG_CHANNEL, announced by
 * triggers in every process's writes: notifications.ts) and dropped at each one, and at most
 * for `keepMs`. A lookup that a change overtook (the generation moved on meanwhile) is used
 * but not kept.
 */
export class ConfigCache {
  readonly #keysByHash = new Map<string, ApiKey>();
  readonly #portalSessionsByHash = new Map<string, PortalSession>();
  readonly #enabledWebhooks = new Map<string, Webhook[]>();
  readonly #keepMs: number;
  #generation = 0;
  #keptSince = 0;
  /** Whether changes are heard: nothing may be kept while they are not. */
  listening = false;

  constructor(keepMs = DEFAULT_CONFIG_KEEP_MS) {
    this.#keepMs = keepMs;
  }

  /** Config may have changed: forget what was kept. */
  changed(): void {
    this.#generation++;
    this.#keysByHash.clear();
    this.#portalSessionsByHash.clear();
    this.#enabledWebhooks.clear();
  }

  /**
   * A write of this process that changes config: what was kept is dropped when it ends (the
   * trigger's announcement reaches the other processes, and this one, a moment later).
   */
  async changing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.changed();
    }
  }

  /** The key with this hash, from what is kept or else `lookup`; only keys that exist are kept. */
  async apiKey(hash: string, lookup: () => Promise<ApiKey | null>): Promise<ApiKey | null> {
    this.#expire();
    const kept = this.#keysByHash.get(hash);
    if (kept) return kept;
    const generation = this.#generation;
    const key = await lookup();
    // A key created elsewhere works at once: a missing one is asked for again.
    if (key && this.#keepable(generation, this.#keysByHash)) this.#keysByHash.set(hash, key);
    return key;
  }

  /** The portal session with this hash, kept as API keys are (only sessions that exist). */
  async portalSession(
    hash: string,
    lookup: () => Promise<PortalSession | null>,
  ): Promise<PortalSession | null> {
    this.#expire();
    const kept = this.#portalSessionsByHash.get(hash);
    if (kept) return kept;
    const generation = this.#generation;
    const session = await lookup();
    if (session && this.#keepable(generation, this.#portalSessionsByHash)) {
      this.#portalSessionsByHash.set(hash, session);
    }
    return session;
  }

  /** The accounts' enabled webhooks, from what is kept, and `lookup` for the others. */
  async enabledWebhooks(
    accounts: readonly string[],
    lookup: (missing: readonly string[]) => Promise<Map<string, Webhook[]>>,
  ): Promise<Map<string, Webhook[]>> {
    this.#expire();
    const webhooksOf = new Map<string, Webhook[]>();
    const missing: string[] = [];
    for (const account of accounts) {
      const kept = this.#enabledWebhooks.get(account);
      if (kept) webhooksOf.set(account, kept);
      else missing.push(account);
    }
    if (missing.length === 0) return webhooksOf;
    const generation = this.#generation;
    const found = await lookup(missing);
    const keep = this.#keepable(generation, this.#enabledWebhooks);
    for (const account of missing) {
      const list = found.get(account) ?? [];
      webhooksOf.set(account, list);
      if (keep) this.#enabledWebhooks.set(account, list);
    }
    return webhooksOf;
  }

  /** Drops what was kept once it is older than `keepMs`. */
  #expire(): void {
    const now = Date.now();
    if (now - this.#keptSince < this.#keepMs) return;
    this.changed();
    this.#keptSince = now;
  }

  /** Whether a lookup that started at `generation` may be kept. */
  #keepable(generation: number, cache: Map<string, unknown>): boolean {
    if (!this.listening || generation !== this.#generation) return false;
    if (cache.size >= CONFIG_CACHE_LIMIT) cache.clear();
    return true;
  }
}
