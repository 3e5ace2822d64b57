import type { StoreParts } from '../assembled-store.ts';
import { apiKeyValues, rootKeyValues, toAccount, toApiKey } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { ConfigCache } from './config-cache.ts';
import type { PgConnection } from './connection.ts';

/** Accounts and API keys; keys are looked up on every request, so kept (config-cache.ts). */
export function pgAccounts(db: PgConnection, config: ConfigCache): StoreParts['accounts'] {
  return {
    async createAccount(account) {
      await db.query(SQL.insertAccount, [account.id, account.name, account.createdAt]);
    },

    async getAccount(id) {
      const { rows } = await db.query(SQL.account, [id]);
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async insertApiKey(key, hash) {
      await db.query(SQL.insertApiKey, apiKeyValues(key, hash));
    },

    async insertRootKeyIfNone(key, hash) {
      const { rowCount } = await db.query(SQL.insertRootKeyIfNone, rootKeyValues(key, hash));
      return (rowCount ?? 0) > 0;
    },

    replaceRootKey(key, hash) {
      return config.changing(() =>
        db.transaction(async (client) => {
          const { rowCount } = await client.query(SQL.replaceRootKey, rootKeyValues(key, hash));
          if ((rowCount ?? 0) === 0) await client.query(SQL.insertRootKey, rootKeyValues(key, hash));
        }),
      );
    },

    findApiKeyByHash(hash) {
      return config.apiKey(hash, async () => {
        const { rows } = await db.query(SQL.apiKeyByHash, [hash]);
        return rows[0] ? toApiKey(rows[0]) : null;
      });
    },

    async listApiKeys(accountId) {
      const { rows } = await db.query(SQL.apiKeysOf, [accountId]);
      return rows.map(toApiKey);
    },

    async revokeApiKey(accountId, id, now) {
      const { rowCount } = await config.changing(() => db.query(SQL.revokeApiKey, [now, accountId, id]));
      return (rowCount ?? 0) > 0;
    },

    async updateKeyPolicy(accountId, id, policy) {
      const { rows } = await config.changing(() =>
        db.query(SQL.updateKeyPolicy, [JSON.stringify(policy), accountId, id]),
      );
      return rows[0] ? toApiKey(rows[0]) : null;
    },
  };
}
