/**
 * The embedded store's claims (leases), kept in memory. One process owns the SQLite file and
 * its exclusive lock, and a crash of that process ends every claim it held, so a lease needs
 * no row: claiming is a read, and the only write per attempt is its result. Each lease still
 * expires after the claim's lease time, as on PostgreSQL.
 */
export class Leases {
  readonly #byId = new Map<string, { readonly webhookId: string; readonly until: number }>();

  /** Whether `id` is claimed and its lease has not expired at `now`. */
  held(id: string, now: number): boolean {
    const lease = this.#byId.get(id);
    return lease !== undefined && lease.until > now;
  }

  /** The live leases by webhook (expired ones are dropped on the way). */
  byWebhook(now: number): Map<string, Set<string>> {
    const result = new Map<string, Set<string>>();
    for (const [id, lease] of this.#byId) {
      if (lease.until <= now) {
        this.#byId.delete(id);
        continue;
      }
      let ids = result.get(lease.webhookId);
      if (!ids) {
        ids = new Set();
        result.set(lease.webhookId, ids);
      }
      ids.add(id);
    }
    return result;
  }

  get size(): number {
    return this.#byId.size;
  }

  take(id: string, webhookId: string, until: number): void {
    this.#byId.set(id, { webhookId, until });
  }

  release(id: string): void {
    this.#byId.delete(id);
  }
}
