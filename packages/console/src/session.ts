import { computed, signal } from '@preact/signals';
import { type Account, api, type Me, setKey } from './api.ts';

const ACCOUNT = 'hooklane.account';
const KNOWN = 'hooklane.accounts';

/** The signed-in key's identity (GET /v1/me); null until known. */
export const me = signal<Me | null>(null);
/** The account the screens show: the key's own, or the one the root key opened. */
export const accountId = signal<string | null>(sessionStorage.getItem(ACCOUNT));
/** Accounts the root key created or opened in this tab (the API has no list of accounts). */
export const knownAccounts = signal<Account[]>(JSON.parse(sessionStorage.getItem(KNOWN) ?? '[]'));

export const role = computed(() => me.value?.role ?? null);
/** Root and admin keys may change things and read secrets; a viewer only reads. */
export const canEdit = computed(() => role.value === 'root' || role.value === 'admin');

export function openAccount(account: Account | null): void {
  accountId.value = account?.id ?? null;
  if (account) {
    sessionStorage.setItem(ACCOUNT, account.id);
    const others = knownAccounts.value.filter((known) => known.id !== account.id);
    knownAccounts.value = [account, ...others];
    sessionStorage.setItem(KNOWN, JSON.stringify(knownAccounts.value));
  } else {
    sessionStorage.removeItem(ACCOUNT);
  }
}

/** Checks a key with GET /v1/me, and keeps it only if it may use the console (an ingest key may not). */
export async function signIn(key: string): Promise<void> {
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
  sessionStorage.removeItem(KNOWN);
  knownAccounts.value = [];
}

/** `/v1/accounts/{acc}` + `path` for the current account. */
export const accountPath = (path = ''): string => `/v1/accounts/${accountId.value}${path}`;
