import { timingSafeEqual } from 'node:crypto';
import { type Capability, viewRoleOf } from '../core/capabilities.ts';
import { HooklaneError } from '../core/errors.ts';
import { ID_PREFIX, newId } from '../core/ids.ts';
import type { ApiKey, Role } from '../core/model.ts';
import type { PublishablePolicy } from '../core/publishable.ts';
import { generateApiKey, hashApiKey, KEY_PREFIXES } from '../core/secrets.ts';
import type { Store } from '../store/store.ts';

/** Who is calling: the root key, or a key of one account with one role. */
export interface Principal {
  readonly role: Role;
  readonly accountId: string | null;
  readonly keyId: string;
  /** The key's label, if it was given one. */
  readonly name: string | null;
  /** A publishable key's origins, events and rate limit. */
  readonly policy?: PublishablePolicy | null;
  /**
   * Set for a portal session's token: what it may do (http/auth.ts checks each route against
   * core/capabilities.ts) and until when. Its `role` is the view it gets (`viewRoleOf`).
   */
  readonly portal?: { readonly capabilities: readonly Capability[]; readonly expiresAt: number };
}

/**
 * Turns a bearer key into a principal. The configured root key (HOOKLANE_ROOT_KEY) is
 * compared by hash in constant time; every other key is looked up by its hash, and a portal
 * token (`hls_`) among the portal sessions, until it expires.
 */
export function createAuthenticator(
  store: Store,
  configuredRootKey: string | null,
  now: () => number = Date.now,
) {
  const rootHash = configuredRootKey === null ? null : Buffer.from(hashApiKey(configuredRootKey), 'hex');
  return async function authenticate(key: string): Promise<Principal | null> {
    if (key.length < 10 || key.length > 200) return null;
    const hash = hashApiKey(key);
    if (rootHash !== null && timingSafeEqual(rootHash, Buffer.from(hash, 'hex'))) {
      return { role: 'root', accountId: null, keyId: 'root', name: null };
    }
    if (key.startsWith(KEY_PREFIXES.portal)) {
      const session = await store.findPortalSessionByHash(hash);
      if (!session || session.expiresAt <= now()) return null;
      return {
        role: viewRoleOf(session.capabilities),
        accountId: session.accountId,
        keyId: session.id,
        name: session.name,
        portal: { capabilities: session.capabilities, expiresAt: session.expiresAt },
      };
    }
    const found = await store.findApiKeyByHash(hash);
    if (!found) return null;
    // A generated root key stops counting once HOOKLANE_ROOT_KEY is set.
    if (found.role === 'root' && rootHash !== null) return null;
    return {
      role: found.role,
      accountId: found.accountId,
      keyId: found.id,
      name: found.name,
      policy: found.policy ?? null,
    };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

function newRootKey(now: number, name: string): { apiKey: ApiKey; key: string } {
  const key = generateApiKey('root');
  const apiKey: ApiKey = {
    id: newId(ID_PREFIX.key, now),
    accountId: null,
    role: 'root',
    name,
    prefix: key.slice(0, 8),
    createdAt: now,
    revokedAt: null,
  };
  return { apiKey, key };
}

/**
 * Replaces the generated root key with a new one and returns it (to show once): the old one
 * stops working at once. A root key set by HOOKLANE_ROOT_KEY is changed there, not here.
 */
export async function rotateRootKey(
  store: Store,
  configuredRootKey: string | null,
  now: number,
): Promise<string> {
  if (configuredRootKey !== null) {
    throw new HooklaneError(
      'conflict',
      'The root key is set by HOOKLANE_ROOT_KEY: change that variable and restart the server.',
    );
  }
  const { apiKey, key } = newRootKey(now, 'rotated root key');
  await store.replaceRootKey(apiKey, hashApiKey(key));
  return key;
}

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
  const { apiKey, key } = newRootKey(now, 'generated root key');
  const created = await store.insertRootKeyIfNone(apiKey, hashApiKey(key));
  return created ? key : null;
}
