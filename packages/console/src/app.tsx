import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiKey, online, refused, setKey } from './api.ts';
import { BASE, isPortal } from './mode.ts';
import { portalLogo } from './portal.ts';
import { Link, match, navigate, route } from './router.tsx';
import { AccountsScreen } from './screens/accounts.tsx';
import { DeliveriesScreen, DeliveryScreen } from './screens/deliveries.tsx';
import { EventTypesScreen } from './screens/event-types.tsx';
import { EventsScreen } from './screens/events.tsx';
import { KeysScreen } from './screens/keys.tsx';
import { OverviewScreen } from './screens/overview.tsx';
import { SignInScreen } from './screens/sign-in.tsx';
import { WebhookScreen } from './screens/webhook-detail.tsx';
import { WebhookFormScreen } from './screens/webhook-form.tsx';
import { WebhooksScreen } from './screens/webhooks.tsx';
import { accountId, canEdit, isKeyAdmin, me, role, signIn, signOut } from './session.ts';
import { ErrorNote, Loading } from './ui.tsx';

/** The screens, by path; `admin` ones need the right to edit webhooks, `keys` ones an admin API key. */
const SCREENS: {
  path: string;
  render: (params: Record<string, string>) => preact.JSX.Element;
  admin?: boolean;
  keys?: boolean;
}[] = [
  { path: '/', render: () => <OverviewScreen /> },
  { path: '/webhooks', render: () => <WebhooksScreen /> },
  { path: '/webhooks/new', render: () => <WebhookFormScreen />, admin: true },
  { path: '/webhooks/:id', render: ({ id = '' }) => <WebhookScreen id={id} /> },
  { path: '/webhooks/:id/edit', render: ({ id = '' }) => <WebhookFormScreen id={id} />, admin: true },
  { path: '/deliveries', render: () => <DeliveriesScreen /> },
  { path: '/deliveries/:id', render: ({ id = '' }) => <DeliveryScreen id={id} /> },
  { path: '/events', render: () => <EventsScreen /> },
  { path: '/event-types', render: () => <EventTypesScreen /> },
  { path: '/keys', render: () => <KeysScreen />, keys: true },
];

function Screen() {
  const path = route.value.path;
  if (path === '/accounts') return role.value === 'root' && !isPortal ? <AccountsScreen /> : <NotFound />;
  if (!accountId.value) return <AccountsScreen />;
  for (const screen of SCREENS) {
    const params = match(screen.path, path);
    if (!params) continue;
    if ((screen.admin && !canEdit.value) || (screen.keys && !isKeyAdmin.value)) return <NotAllowed />;
    return screen.render(params);
  }
  return <NotFound />;
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        There is no page here. <Link href="/">Go to the overview</Link>.
      </p>
    </>
  );
}

function NotAllowed() {
  return (
    <>
      <h1 tabIndex={-1}>Not allowed</h1>
      <p>
        {isPortal
          ? 'This link can read these webhooks but not change them.'
          : 'A viewer key can read this account but not change it.'}
      </p>
    </>
  );
}

function Nav() {
  const isRoot = role.value === 'root' && !isPortal;
  const hasAccount = accountId.value !== null;
  return (
    <nav aria-label="Main">
      <ul>
        {isRoot ? (
          <li>
            <Link nav href="/accounts">
              Accounts
            </Link>
          </li>
        ) : null}
        {hasAccount ? (
          <>
            <li>
              <Link nav href="/">
                Overview
              </Link>
            </li>
            <li>
              <Link nav href="/webhooks">
                Webhooks
              </Link>
            </li>
            <li>
              <Link nav href="/deliveries">
                Deliveries
              </Link>
            </li>
            <li>
              <Link nav href="/events">
                Events
              </Link>
            </li>
            <li>
              <Link nav href="/event-types">
                Event types
              </Link>
            </li>
            {isKeyAdmin.value ? (
              <li>
                <Link nav href="/keys">
                  Keys
                </Link>
              </li>
            ) : null}
          </>
        ) : null}
      </ul>
    </nav>
  );
}

export function App() {
  const key = apiKey.value;
  const [checkError, setCheckError] = useState<unknown>(null);

  // A key kept from earlier in this tab: learn its role again.
  useEffect(() => {
    if (key && !me.value) {
      signIn(key).catch((error) => {
        // A key that no longer works goes back to sign-in; a lost server is reported, to retry.
        if (error instanceof ApiError && (error.status === 0 || error.status >= 500)) setCheckError(error);
        else {
          refused.value = true;
          setKey(null);
        }
      });
    }
    if (!key) me.value = null;
  }, [key]);

  const banner = online.value ? null : (
    <div class="banner" role="alert">
      The server cannot be reached. Retrying…
    </div>
  );

  if (!key && isPortal) {
    return (
      <main id="main" class="expired">
        {banner}
        <h1 tabIndex={-1}>
          {refused.value ? 'This link has expired or was revoked' : 'This page needs a portal link'}
        </h1>
        <p>
          {refused.value
            ? 'Portal links last a limited time. Open the page that sent you here again to get a new one.'
            : 'Open it from the page that embeds it: the link carries its own access.'}
        </p>
      </main>
    );
  }
  if (!key) {
    return (
      <>
        {banner}
        <SignInScreen />
      </>
    );
  }
  if (!me.value) {
    return (
      <main id="main">
        {banner}
        {checkError ? <ErrorNote error={checkError} retry={() => location.reload()} /> : <Loading />}
      </main>
    );
  }
  const identity = me.value;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {banner}
      <header class="top">
        {portalLogo.value ? <img class="logo" src={portalLogo.value} alt="" /> : null}
        <a
          class="brand"
          href={`${BASE}/`}
          onClick={(event) => {
            event.preventDefault();
            navigate(accountId.value ? '/' : '/accounts');
          }}
        >
          {isPortal ? (identity.name ?? 'Webhooks') : 'Hooklane'}
        </a>
        <Nav />
        <div class="who">
          {isPortal ? (
            <span class="badge badge-role">{canEdit.value ? 'can edit' : 'read only'}</span>
          ) : (
            <span title={identity.key_id}>
              {identity.name ?? identity.role} <span class={`badge badge-role`}>{identity.role}</span>
            </span>
          )}
          {accountId.value ? <code class="muted account-id">{accountId.value}</code> : null}
          {isPortal ? null : (
            <button
              type="button"
              class="secondary small"
              onClick={() => {
                signOut();
                navigate('/', true);
              }}
            >
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="main">
        <Screen />
      </main>
    </>
  );
}
