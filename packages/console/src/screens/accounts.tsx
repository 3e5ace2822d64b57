import { useState } from 'preact/hooks';
import { type Account, api } from '../api.ts';
import { navigate } from '../router.tsx';
import { accountId, knownAccounts, openAccount } from '../session.ts';
import { Time } from '../time.tsx';
import { Badge, CopyButton, ErrorNote, Field, useAction } from '../ui.tsx';

/** Root only: create accounts and open one by id (the API lists no accounts, so this tab remembers them). */
export function AccountsScreen() {
  const [name, setName] = useState('');
  const [openId, setOpenId] = useState('');
  const create = useAction();
  const open = useAction();
  const [created, setCreated] = useState<Account | null>(null);

  const onCreate = async (event: Event) => {
    event.preventDefault();
    const account = await create.run(() => api<Account>('POST', '/v1/accounts', { name: name.trim() }));
    if (account) {
      setCreated(account);
      setName('');
      openAccount(account);
    }
  };

  const onOpen = async (event: Event) => {
    event.preventDefault();
    const account = await open.run(() =>
      api<Account>('GET', `/v1/accounts/${encodeURIComponent(openId.trim())}`),
    );
    if (account) {
      openAccount(account);
      navigate('/');
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Accounts</h1>
      <p class="muted">
        The root key manages accounts. Each account holds its own webhooks, keys, events and deliveries.
      </p>
      <div class="grid-2">
        <form class="card" onSubmit={onCreate}>
          <h2>Create an account</h2>
          <Field label="Name">
            {(props) => (
              <input
                {...props}
                required
                maxLength={200}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          {create.error ? <ErrorNote error={create.error} /> : null}
          <button type="submit" disabled={create.busy || !name.trim()}>
            Create account
          </button>
          {created ? (
            <p role="status">
              Created <strong>{created.name}</strong> <code>{created.id}</code>{' '}
              <CopyButton text={created.id} label="Copy id" />
            </p>
          ) : null}
        </form>
        <form class="card" onSubmit={onOpen}>
          <h2>Open an account</h2>
          <Field label="Account id" hint="For example acc_…">
            {(props) => (
              <input {...props} required value={openId} onInput={(e) => setOpenId(e.currentTarget.value)} />
            )}
          </Field>
          {open.error ? <ErrorNote error={open.error} /> : null}
          <button type="submit" disabled={open.busy || !openId.trim()}>
            Open
          </button>
        </form>
      </div>
      <h2>Accounts in this session</h2>
      {knownAccounts.value.length === 0 ? (
        <p class="empty">None yet: create one, or open one by its id.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {knownAccounts.value.map((account) => (
              <tr key={account.id}>
                <td>{account.name}</td>
                <td>
                  <code>{account.id}</code>
                </td>
                <td>
                  <Time at={account.created_at} />
                </td>
                <td>
                  {accountId.value === account.id ? (
                    <Badge tone="ok">open now</Badge>
                  ) : (
                    <button
                      type="button"
                      class="secondary small"
                      onClick={() => {
                        openAccount(account);
                        navigate('/');
                      }}
                    >
                      Open {account.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
