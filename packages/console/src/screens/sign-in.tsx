import { useState } from 'preact/hooks';
import { navigate } from '../router.tsx';
import { me, signIn } from '../session.ts';
import { ErrorNote, Field } from '../ui.tsx';

export function SignInScreen() {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
      if (me.value?.role === 'root' && !me.value.account_id) navigate('/accounts', true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} class="card">
        <h1 tabIndex={-1}>Sign in to Hooklane</h1>
        <p class="muted">
          Use an admin or viewer key of your account, or the root key. It is kept in this tab only and sent to
          this server alone.
        </p>
        <Field label="API key">
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="off"
              spellcheck={false}
              required
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
            />
          )}
        </Field>
        {error ? <ErrorNote error={error} /> : null}
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
