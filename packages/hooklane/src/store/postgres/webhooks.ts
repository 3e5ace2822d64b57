import { WEBHOOK_DISABLED } from '../../core/attempt-outcome.ts';
import type { StoreParts } from '../assembled-store.ts';
import { secretValues, toSecret, toWebhook, webhookValues } from '../rows.ts';
import { SQL, updateWebhookSql } from '../shared-sql.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection, Queryable } from './connection.ts';

/** Webhooks and their signing secrets. Every write here changes config (config-cache.ts). */
export function pgWebhooks(db: PgConnection, config: ConfigCache): StoreParts['webhooks'] {
  return {
    insertWebhook(webhook, secret) {
      return config.changing(() =>
        db.transaction(async (client) => {
          await client.query(SQL.insertWebhook, webhookValues(webhook));
          if (secret) await client.query(SQL.insertSecret, secretValues(webhook.id, secret));
        }),
      );
    },

    async getWebhook(accountId, id) {
      const { rows } = await db.query(SQL.webhook, [accountId, id]);
      return rows[0] ? toWebhook(rows[0]) : null;
    },

    async listWebhooks(accountId, page) {
      const { rows } = await db.query(SQL.webhooksPage, [accountId, page.before, page.limit]);
      return rows.map(toWebhook);
    },

    updateWebhook(accountId, id, changes, now) {
      const { sql, params } = updateWebhookSql(accountId, id, changes, now);
      return config.changing(() =>
        db.transaction(async (client) => {
          const { rows } = await client.query(sql, params);
          if (!rows[0]) return null;
          const webhook = toWebhook(rows[0]);
          if (!webhook.enabled) await failPending(client, webhook.id, WEBHOOK_DISABLED, now);
          return webhook;
        }),
      );
    },

    deleteWebhook(accountId, id, now) {
      return config.changing(() =>
        db.transaction(async (client) => {
          const deleted = await client.query(SQL.deleteWebhook, [accountId, id]);
          if ((deleted.rowCount ?? 0) === 0) return false;
          await client.query(SQL.deleteSecretsOf, [id]);
          await client.query(SQL.cancelPendingOf, [now, id]);
          return true;
        }),
      );
    },

    async listSecrets(webhookId, now) {
      const { rows } = await db.query(
        `SELECT * FROM webhook_secrets WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > $2)
         ORDER BY created_at DESC, seq DESC`,
        [webhookId, now],
      );
      return rows.map(toSecret);
    },

    resealSecrets(reseal) {
      return db.transaction(async (client) => {
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
    },

    resealWebhookHeaders(reseal) {
      return config.changing(async () => {
        // No row locks: a webhook whose headers changed meanwhile (written sealed) is left as it is.
        const { rows } = await db.query(SQL.webhooksWithHeaders);
        let count = 0;
        for (const row of rows) {
          const next = reseal(JSON.parse(String(row.headers)) as Record<string, string>);
          if (next === null) continue;
          const { rowCount } = await db.query(SQL.resealHeaders, [JSON.stringify(next), row.id, row.headers]);
          count += rowCount ?? 0;
        }
        return count;
      });
    },

    replaceSecret(webhookId, secret, graceUntil, now) {
      return config.changing(() =>
        db.transaction(async (client) => {
          await client.query(SQL.expireSecrets, [graceUntil, webhookId, now]);
          if (secret) await client.query(SQL.insertSecret, secretValues(webhookId, secret));
          await client.query(SQL.setSigned, [secret !== null, now, webhookId]);
        }),
      );
    },
  };
}

/**
 * Fails a webhook's pending deliveries, except those in flight (leased: their results decide).
 */
export async function failPending(
  on: Queryable,
  webhookId: string,
  reason: string,
  now: number,
): Promise<void> {
  await on.query(
    `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $1, updated_at = $2
     WHERE webhook_id = $3 AND status = 'pending' AND lease_until <= $2`,
    [reason, now, webhookId],
  );
}
