import type { StoreParts } from '../assembled-store.ts';
import { apiKeyValues, rootKeyValues, toAccount, toApiKey } from '../rows.ts';
import { SQL } from '../shared-sql.ts';
import type { SqliteConnection } from './connection.ts';

/** Accounts and API keys. */
export function sqliteAccounts(db: SqliteConnection): StoreParts['accounts'] {
  return {
    async createAccount(account) {
      db.run(SQL.insertAccount, [account.id, account.name, account.createdAt]);
    },

    async getAccount(id) {
      const row = db.get(SQL.account, [id]);
      return row ? toAccount(row) : null;
    },

    async insertApiKey(key, hash) {
      db.run(SQL.insertApiKey, apiKeyValues(key, hash));
    },

    async insertRootKeyIfNone(key, hash) {
      return db.run(SQL.insertRootKeyIfNone, rootKeyValues(key, hash)).changes > 0;
    },

    async replaceRootKey(key, hash) {
      db.transaction(() => {
        if (db.run(SQL.replaceRootKey, rootKeyValues(key, hash)).changes === 0) {
          db.run(SQL.insertRootKey, rootKeyValues(key, hash));
        }
      });
    },

    async findApiKeyByHash(hash) {
      const row = db.get(SQL.apiKeyByHash, [hash]);
      return row ? toApiKey(row) : null;
    },

    async listApiKeys(accountId) {
      return db.all(SQL.apiKeysOf, [accountId]).map(toApiKey);
    },

    async revokeApiKey(accountId, id, now) {
      return db.run(SQL.revokeApiKey, [now, accountId, id]).changes > 0;
    },

    async updateKeyPolicy(accountId, id, policy) {
      const row = db.get(SQL.updateKeyPolicy, [JSON.stringify(policy), accountId, id]);
      return row ? toApiKey(row) : null;
    },
  };
}
