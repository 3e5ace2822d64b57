import { WEBHOOK_DISABLED } from '../../core/attempt-outcome.ts';
import type { StoredSecret } from '../../core/model.ts';
import type { StoreParts } from '../assembled-store.ts';
import { secretValues, toSecret, toWebhook, webhookValues } from '../rows.ts';
import { SQL, updateWebhookSql } from '../shared-sql.ts';
import type { SendableWebhooks } from './config-cache.ts';
import type { SqliteConnection } from './connection.ts';
import type { Leases } from './leases.ts';

/** Webhooks and their signing secrets. Every write here clears what claims keep of them. */
export function sqliteWebhooks(
  db: SqliteConnection,
  leases: Leases,
  sendable: SendableWebhooks,
): StoreParts['webhooks'] {
  return {
    async insertWebhook(webhook, secret) {
      sendable.clear();
      db.transaction(() => {
        db.run(SQL.insertWebhook, webhookValues(webhook));
        if (secret) db.run(SQL.insertSecret, secretValues(webhook.id, secret));
      });
    },

    async getWebhook(accountId, id) {
      const row = db.get(SQL.webhook, [accountId, id]);
      return row ? toWebhook(row) : null;
    },

    async listWebhooks(accountId, page) {
      return db.all(SQL.webhooksPage, [accountId, page.before, page.limit]).map(toWebhook);
    },

    async updateWebhook(accountId, id, changes, now) {
      sendable.clear();
      const { sql, params } = updateWebhookSql(accountId, id, changes, now);
      return db.transaction(() => {
        const row = db.get(sql, params);
        if (!row) return null;
        const webhook = toWebhook(row);
        if (!webhook.enabled) failPending(db, leases, webhook.id, WEBHOOK_DISABLED, now);
        return webhook;
      });
    },

    async deleteWebhook(accountId, id, now) {
      sendable.clear();
      return db.transaction(() => {
        if (db.run(SQL.deleteWebhook, [accountId, id]).changes === 0) return false;
        db.run(SQL.deleteSecretsOf, [id]);
        db.run(SQL.cancelPendingOf, [now, id]);
        return true;
      });
    },

    async listSecrets(webhookId, now) {
      return secretsOf(db, webhookId, now);
    },

    async resealSecrets(reseal) {
      sendable.clear();
      return db.transaction(() => {
        let count = 0;
        for (const row of db.all('SELECT rowid, sealed FROM webhook_secrets')) {
          const next = reseal(String(row.sealed));
          if (next === null) continue;
          db.run('UPDATE webhook_secrets SET sealed = $1 WHERE rowid = $2', [next, Number(row.rowid)]);
          count++;
        }
        return count;
      });
    },

    async resealWebhookHeaders(reseal) {
      sendable.clear();
      return db.transaction(() => {
        let count = 0;
        for (const row of db.all(SQL.webhooksWithHeaders)) {
          const next = reseal(JSON.parse(String(row.headers)) as Record<string, string>);
          if (next === null) continue;
          count += Number(db.run(SQL.resealHeaders, [JSON.stringify(next), row.id, row.headers]).changes);
        }
        return count;
      });
    },

    async replaceSecret(webhookId, secret, graceUntil, now) {
      sendable.clear();
      db.transaction(() => {
        db.run(SQL.expireSecrets, [graceUntil, webhookId, now]);
        if (secret) db.run(SQL.insertSecret, secretValues(webhookId, secret));
        db.run(SQL.setSigned, [secret !== null, now, webhookId]);
      });
    },
  };
}

/** A webhook's secrets valid at `now`, newest first. */
export function secretsOf(db: SqliteConnection, webhookId: string, now: number): StoredSecret[] {
  return db
    .all(
      `SELECT * FROM webhook_secrets WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > $2)
       ORDER BY created_at DESC, rowid DESC`,
      [webhookId, now],
    )
    .map(toSecret);
}

/**
 * Fails a webhook's pending deliveries, except those in flight (their results decide). A
 * delivery whose result is being written (`finished`) is not in flight any more, though its
 * lease ends only after the write commits.
 */
export function failPending(
  db: SqliteConnection,
  leases: Leases,
  webhookId: string,
  reason: string,
  now: number,
  finished?: ReadonlySet<string>,
): void {
  const inFlight = [...(leases.byWebhook(now).get(webhookId) ?? [])].filter((id) => !finished?.has(id));
  db.run(
    `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $1, updated_at = $2
     WHERE webhook_id = $3 AND status = 'pending' AND id NOT IN (SELECT value FROM json_each($4))`,
    [reason, now, webhookId, inFlight],
  );
}
