import { useState } from 'preact/hooks';
import { type ApiKeyInfo, api, type Page } from '../api.ts';
import { accountPath, me } from '../session.ts';
import { Time } from '../time.tsx';
import { Badge, Confirm, CopyButton, ErrorNote, Field, Loadable, useAction, useLoad } from '../ui.tsx';

const ROLES = [
  ['admin', 'Admin: manage webhooks and keys, read everything'],
  ['viewer', 'Viewer: read only, never secrets'],
  ['ingest', 'Ingest: send events only (safe in a browser)'],
] as const;

export function KeysScreen() {
  const state = useLoad(() => api<Page<ApiKeyInfo>>('GET', accountPath('/keys')), []);
  const [role, setRole] = useState('viewer');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKeyInfo | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const create = useAction();
  const revoke = useAction();

  const onCreate = async (event: Event) => {
    event.preventDefault();
    const key = await create.run(() =>
      api<ApiKeyInfo>('POST', accountPath('/keys'), { role, ...(name.trim() ? { name: name.trim() } : {}) }),
    );
    if (key) {
      setCreated(key);
      setName('');
      state.reload();
    }
  };
  const onRevoke = async (key: ApiKeyInfo) => {
    setRevoking(null);
    await revoke.run(() => api('DELETE', accountPath(`/keys/${key.id}`)));
    state.reload();
  };

  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <form class="card" onSubmit={onCreate}>
        <h2>Create a key</h2>
        <div class="grid-2">
          <Field label="Role">
            {(props) => (
              <select {...props} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                {ROLES.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Name (optional)">
            {(props) => (
              <input
                {...props}
                maxLength={200}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
        <button type="submit" disabled={create.busy}>
          Create key
        </button>
        {create.error ? <ErrorNote error={create.error} /> : null}
        {created?.key ? (
          <div class="once" role="status">
            <p>
              <strong>Copy this {created.role} key now:</strong> it is shown only once.
            </p>
            <p class="secret-row">
              <code class="secret" data-testid="new-key">
                {created.key}
              </code>
              <CopyButton text={created.key} />
            </p>
          </div>
        ) : null}
      </form>
      {revoke.error ? <ErrorNote error={revoke.error} /> : null}
      <Loadable state={state} isEmpty={(page) => page.data.length === 0} empty="No keys.">
        {(page) => (
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((key) => (
                <tr key={key.id}>
                  <td data-label="Name">{key.name ?? <span class="muted">unnamed</span>}</td>
                  <td data-label="Role">{key.role}</td>
                  <td data-label="Starts with">
                    <code>{key.prefix}…</code>
                  </td>
                  <td data-label="Created">
                    <Time at={key.created_at} />
                  </td>
                  <td data-label="State">
                    {key.revoked_at ? (
                      <span>
                        <Badge tone="muted">revoked</Badge> <Time at={key.revoked_at} />
                      </span>
                    ) : key.id === me.value?.key_id ? (
                      <Badge tone="ok">this key</Badge>
                    ) : (
                      <Badge tone="ok">active</Badge>
                    )}
                  </td>
                  <td>
                    {key.revoked_at || key.id === me.value?.key_id ? null : (
                      <button type="button" class="danger small" onClick={() => setRevoking(key)}>
                        Revoke {key.name ?? key.prefix}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      <Confirm
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        danger
        onConfirm={() => revoking && onRevoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>
          Requests with the key <code>{revoking?.prefix}…</code> are refused from now on. This cannot be
          undone.
        </p>
      </Confirm>
    </>
  );
}
