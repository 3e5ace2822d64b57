import { computed, signal } from '@preact/signals';
import { type Account, api, type Capability, type Me, type PortalSession, setKey } from './api.ts';
import { isPortal } from './mode.ts';
import { tabStorage } from './storage.ts';

const ACCOUNT = 'hooklane.account';
const KNOWN = 'hooklane.accounts';

/** The signed-in key's identity (GET /v1/me); null until known. */
export const me = signal<Me | null>(null);
/** The account the screens show: the key's own, or the one the root key opened. */
export const accountId = signal<string | null>(tabStorage.getItem(ACCOUNT));
/** Accounts the root key created or opened in this tab (the API has no list of accounts). */
export const knownAccounts = signal<Account[]>(JSON.parse(tabStorage.getItem(KNOWN) ?? '[]'));

export const role = computed(() => me.value?.role ?? null);
/** A portal session's capabilities (GET /v1/portal-session); null in the console. */
export const portalCapabilities = signal<Capability[] | null>(null);

const ALL: Capability[] = ['read', 'manage_webhooks', 'read_secrets', 'retry'];
/** What the screens may offer: a portal session's capabilities, or a key role's (root and admin: all; viewer: read). */
export const capabilities = computed<Capability[]>(() => {
  if (isPortal) return portalCapabilities.value ?? [];
  if (role.value === 'root' || role.value === 'admin') return ALL;
  return role.value === 'viewer' ? ['read'] : [];
});
/** Create, edit, delete, test webhooks. */
export const canEdit = computed(() => capabilities.value.includes('manage_webhooks'));
/** Signing secrets and static header values. */
export const canReadSecrets = computed(() => capabilities.value.includes('read_secrets'));
/** Retry a delivery, recover a webhook's failed deliveries. */
export const canRetry = computed(() => capabilities.value.includes('retry'));
/** Keys, accounts, the live event stream: API keys only, never a portal session. */
export const isKeyAdmin = computed(() => !isPortal && canEdit.value);

export function openAccount(account: Account | null): void {
  accountId.value = account?.id ?? null;
  if (account) {
    tabStorage.setItem(ACCOUNT, account.id);
    const others = knownAccounts.value.filter((known) => known.id !== account.id);
    knownAccounts.value = [account, ...others];
    tabStorage.setItem(KNOWN, JSON.stringify(knownAccounts.value));
  } else {
    tabStorage.removeItem(ACCOUNT);
  }
}

/** Learns a portal token's account and capabilities (GET /v1/portal-session). */
async function signInPortal(token: string): Promise<void> {
  const session = await api<PortalSession>('GET', '/v1/portal-session', undefined, { key: token });
  portalCapabilities.value = session.capabilities;
  accountId.value = session.account_id;
  me.value = {
    key_id: session.id,
    role: session.capabilities.includes('read_secrets') ? 'admin' : 'viewer',
    account_id: session.account_id,
    name: session.name,
  };
  setKey(token);
}

/** Checks a key with GET /v1/me, and keeps it only if it may use the console (an ingest key may not). */
export async function signIn(key: string): Promise<void> {
  if (isPortal) return signInPortal(key);
  const identity = await api<Me>('GET', '/v1/me', undefined, { key });
  if (identity.role === 'ingest') {
    throw new Error('An ingest key can only send events; sign in with an admin or viewer key.');
  }
  me.value = identity;
  if (identity.account_id) accountId.value = identity.account_id;
  setKey(key);
}

export function signOut(): void {
  setKey(null);
  me.value = null;
  openAccount(null);
  tabStorage.removeItem(KNOWN);
  knownAccounts.value = [];
}

/** `/v1/accounts/{acc}` + `path` for the current account. */
export const accountPath = (path = ''): string => `/v1/accounts/${accountId.value}${path}`;
