import { HooklaneError, notFound } from '../core/errors.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { Account, AccountRole, ApiKey } from '../core/model.ts';
import { generateApiKey, hashApiKey } from '../core/secrets.ts';
import { rotateRootKey } from './auth.ts';
import type { ServiceContext } from './context.ts';

/** Accounts (tenants), their API keys, and the root key. */
export function createAccountService({ store, now, config }: ServiceContext) {
  return {
    async create(name: string): Promise<Account> {
      const account = { id: newId(ID_PREFIX.account, now()), name, createdAt: now() };
      await store.createAccount(account);
      return account;
    },

    async get(id: string): Promise<Account> {
      const account = await store.getAccount(id);
      if (!account) throw notFound('Account');
      return account;
    },

    /** Creates a key; its value is returned this once and only its hash is kept. */
    async createKey(
      accountId: string,
      role: AccountRole,
      name: string | null,
    ): Promise<{ apiKey: ApiKey; key: string }> {
      if (!(await store.getAccount(accountId))) throw notFound('Account');
      const key = generateApiKey('account');
      const apiKey: ApiKey = {
        id: newId(ID_PREFIX.key, now()),
        accountId,
        role,
        name,
        prefix: key.slice(0, 8),
        createdAt: now(),
        revokedAt: null,
      };
      await store.insertApiKey(apiKey, hashApiKey(key));
      return { apiKey, key };
    },

    listKeys(accountId: string): Promise<ApiKey[]> {
      return store.listApiKeys(accountId);
    },

    async revokeKey(accountId: string, keyId: string, callerKeyId: string): Promise<void> {
      if (keyId === callerKeyId)
        throw new HooklaneError('conflict', 'A key cannot revoke itself; use another admin key.');
      if (!(await store.revokeApiKey(accountId, keyId, now()))) throw notFound('Key');
    },

    /** A new root key, returned this once; the old one stops working at once. */
    rotateRootKey(): Promise<string> {
      return rotateRootKey(store, config.rootKey, now());
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
