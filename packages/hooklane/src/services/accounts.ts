import { HooklaneError, notFound } from '../core/errors.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { Account, AccountRole, ApiKey } from '../core/model.ts';
import {
  DEFAULT_RATE_LIMIT,
  normaliseOrigin,
  type PublishablePolicy,
  type PublishableRateLimit,
} from '../core/publishable.ts';
import { generateApiKey, hashApiKey } from '../core/secrets.ts';
import { rotateRootKey } from './auth.ts';
import type { ServiceContext } from './context.ts';

/** What an admin sets on a publishable key; on a change, a field left out stays as it was. */
export interface PolicyInput {
  readonly origins?: readonly string[] | undefined;
  readonly events?: readonly string[] | null | undefined;
  readonly rateLimit?: Partial<PublishableRateLimit> | undefined;
}

/** A publishable key's policy from an admin's input over the current one (or the defaults). */
function policyOf(input: PolicyInput, current: PublishablePolicy | null): PublishablePolicy {
  const origins = input.origins ?? current?.origins;
  if (origins === undefined || origins.length === 0) {
    throw new HooklaneError(
      'validation_failed',
      'A publishable key needs `origins`: the pages that may use it.',
      {
        field: 'origins',
      },
    );
  }
  const normalised = origins.map((origin, index) => {
    const normal = normaliseOrigin(origin);
    if (normal === undefined || normal !== origin.replace(/\/$/, '').toLowerCase()) {
      throw new HooklaneError(
        'validation_failed',
        `origins[${index}] is not an origin: write it as a browser sends it, such as https://app.example.com (scheme, host and port; no path).`,
        { field: `origins/${index}` },
      );
    }
    return normal;
  });
  const rateLimit = {
    perKey: input.rateLimit?.perKey ?? current?.rateLimit.perKey ?? DEFAULT_RATE_LIMIT.perKey,
    perClient: input.rateLimit?.perClient ?? current?.rateLimit.perClient ?? DEFAULT_RATE_LIMIT.perClient,
  };
  const events = input.events === undefined ? (current?.events ?? null) : input.events;
  return {
    origins: [...new Set(normalised)],
    events: events === null ? null : [...new Set(events)],
    rateLimit,
  };
}

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
      policy?: PolicyInput,
    ): Promise<{ apiKey: ApiKey; key: string }> {
      const hasPolicy = policy !== undefined && Object.values(policy).some((value) => value !== undefined);
      if (role !== 'publishable' && hasPolicy) {
        throw new HooklaneError(
          'validation_failed',
          '`origins`, `events` and `rate_limit` are settings of publishable keys only.',
        );
      }
      const checked = role === 'publishable' ? policyOf(policy ?? {}, null) : null;
      if (!(await store.getAccount(accountId))) throw notFound('Account');
      const key = generateApiKey(role === 'publishable' ? 'publishable' : 'account');
      const apiKey: ApiKey = {
        id: newId(ID_PREFIX.key, now()),
        accountId,
        role,
        name,
        prefix: key.slice(0, 8),
        createdAt: now(),
        revokedAt: null,
        policy: checked,
      };
      await store.insertApiKey(apiKey, hashApiKey(key));
      return { apiKey, key };
    },

    listKeys(accountId: string): Promise<ApiKey[]> {
      return store.listApiKeys(accountId);
    },

    /** Changes a publishable key's origins, events or rate limit (the other fields stay). */
    async updateKey(accountId: string, keyId: string, input: PolicyInput): Promise<ApiKey> {
      const current = (await store.listApiKeys(accountId)).find(
        (apiKey) => apiKey.id === keyId && apiKey.revokedAt === null,
      );
      if (!current) throw notFound('Key');
      if (current.role !== 'publishable') {
        throw new HooklaneError(
          'conflict',
          'Only a publishable key has origins, events and a rate limit to change.',
        );
      }
      const updated = await store.updateKeyPolicy(accountId, keyId, policyOf(input, current.policy ?? null));
      if (!updated) throw notFound('Key');
      return updated;
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
