import type { StoredSecret, Webhook } from '../../core/model.ts';
import { toWebhook } from '../rows.ts';
import type { SqliteConnection } from './connection.ts';
import { secretsOf } from './webhooks.ts';

/**
 * The webhooks claims send to, with their valid secrets, until `validUntil` (the first secret
 * expiry). Every write to a webhook or its secrets goes through this store (one process owns
 * the file), and each clears what is kept.
 */
export class SendableWebhooks {
  readonly #kept = new Map<string, { webhook: Webhook; secrets: StoredSecret[]; validUntil: number }>();
  readonly #db: SqliteConnection;

  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  /** The webhook `id` and its secrets valid at `now`, or null when it is gone. */
  get(id: string, now: number): { webhook: Webhook; secrets: StoredSecret[] } | null {
    const kept = this.#kept.get(id);
    if (kept && kept.validUntil > now) return kept;
    const row = this.#db.get('SELECT * FROM webhooks WHERE id = $1', [id]);
    if (!row) return null;
    const secrets = secretsOf(this.#db, id, now);
    const validUntil = Math.min(...secrets.map((secret) => secret.expiresAt ?? Number.POSITIVE_INFINITY));
    const entry = { webhook: toWebhook(row), secrets, validUntil };
    this.#kept.set(id, entry);
    return entry;
  }

  /** The webhook `id` changed. */
  forget(id: string): void {
    this.#kept.delete(id);
  }

  /** Webhooks or secrets changed. */
  clear(): void {
    this.#kept.clear();
  }
}
