import { timingSafeEqual } from 'node:crypto';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { Role } from '../core/model.ts';
import { generateApiKey, hashApiKey } from '../core/secrets.ts';
import type { Store } from '../store/store.ts';

/** Who is calling: the root key, or a key of one account with one role. */
export interface Principal {
  readonly role: Role;
  readonly accountId: string | null;
  readonly keyId: string;
}

/**
 * Turns a bearer key into a principal. The configured root key (HOOKLANE_ROOT_KEY) is
 * compared by hash in constant time; every other key is looked up by its hash.
 */
export function createAuthenticator(store: Store, configuredRootKey: string | null) {
  const rootHash = configuredRootKey === null ? null : Buffer.from(hashApiKey(configuredRootKey), 'hex');
  return async function authenticate(key: string): Promise<Principal | null> {
    if (key.length < 10 || key.length > 200) return null;
    const hash = hashApiKey(key);
    if (rootHash !== null && timingSafeEqual(rootHash, Buffer.from(hash, 'hex'))) {
      return { role: 'root', accountId: null, keyId: 'root' };
    }
    const found = await store.findApiKeyByHash(hash);
    if (!found) return null;
    // A generated root key stops counting once HOOKLANE_ROOT_KEY is set.
    if (found.role === 'root' && rootHash !== null) return null;
    return { role: found.role, accountId: found.accountId, keyId: found.id };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

/**
 * Makes sure the store has a root key when none is configured: generates one at first
 * start and returns it (to print once); returns null when one exists already.
 */
export async function ensureRootKey(
  store: Store,
  configuredRootKey: string | null,
  now: number,
): Promise<string | null> {
  if (configuredRootKey !== null) return null;
  const key = generateApiKey('root');
  const created = await store.insertRootKeyIfNone(
    {
      id: newId(ID_PREFIX.key, now),
      accountId: null,
      role: 'root',
      name: 'generated root key',
      prefix: key.slice(0, 8),
      createdAt: now,
      revokedAt: null,
    },
    hashApiKey(key),
  );
  return created ? key : null;
}
