import { useState } from 'preact/hooks';
import { api, type Delivery, type Webhook } from '../api.ts';
import { loadEventTypes } from '../event-types.ts';
import { Link, navigate } from '../router.tsx';
import { accountPath, canEdit, canReadSecrets, canRetry } from '../session.ts';
import { exactTime, Time } from '../time.tsx';
import { Code, Confirm, CopyButton, ErrorNote, Field, Loadable, useAction, useLoad } from '../ui.tsx';
import { DeliveryList } from './deliveries.tsx';
import { WebhookStatus } from './webhooks.tsx';

/** The secret, hidden until an admin asks for it; rotation keeps the old one valid for a while. */
function SecretPanel({ webhook }: { webhook: Webhook }) {
  const [secret, setSecret] = useState<string | null | undefined>(undefined);
  const [graceUntil, setGraceUntil] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const reveal = () =>
    action.run(async () => {
      const body = await api<{ secret: string | null }>('GET', accountPath(`/webhooks/${webhook.id}/secret`));
      setSecret(body.secret);
    });
  const rotate = () =>
    action.run(async () => {
      setConfirming(false);
      const body = await api<{ secret: string | null; previous_secret_valid_until: string }>(
        'POST',
        accountPath(`/webhooks/${webhook.id}/rotate-secret`),
      );
      setSecret(body.secret);
      setGraceUntil(body.previous_secret_valid_until);
    });
  return (
    <section class="card" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      {secret === undefined ? (
        <p>
          {webhook.signed
            ? 'Requests are signed. The secret stays hidden until you reveal it.'
            : 'No secret: requests are not signed.'}
        </p>
      ) : secret === null ? (
        <p>No secret: requests are not signed.</p>
      ) : (
        <p class="secret-row">
          <code class="secret" data-testid="secret">
            {secret}
          </code>
          <CopyButton text={secret} />
        </p>
      )}
      {graceUntil ? (
        <p role="status">
          Rotated. The previous secret stays valid until{' '}
          <span title={exactTime(Date.parse(graceUntil))}>{exactTime(Date.parse(graceUntil))}</span>.
        </p>
      ) : null}
      <div class="actions">
        {webhook.signed && secret === undefined ? (
          <button type="button" class="secondary" onClick={reveal} disabled={action.busy}>
            Reveal secret
          </button>
        ) : null}
        {canEdit.value ? (
          <button type="button" class="secondary" onClick={() => setConfirming(true)} disabled={action.busy}>
            {webhook.signed ? 'Rotate secret' : 'Add a secret'}
          </button>
        ) : null}
      </div>
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Confirm
        open={confirming}
        title="Rotate the secret?"
        confirmLabel="Rotate"
        onConfirm={rotate}
        onCancel={() => setConfirming(false)}
      >
        <p>
          A new secret is generated. The current one keeps working for a grace period, so receivers can
          switch.
        </p>
      </Confirm>
    </section>
  );
}

function TestPanel({ webhook, sent }: { webhook: Webhook; sent: () => void }) {
  const types = useLoad(loadEventTypes, []);
  const [type, setType] = useState('');
  const action = useAction();
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const chosen =
    type ||
    (webhook.events.find((name) => types.data?.some((t) => t.id === name)) ?? types.data?.[0]?.id ?? '');
  const send = async (event: Event) => {
    event.preventDefault();
    const result = await action.run(() =>
      api<Delivery>('POST', accountPath(`/webhooks/${webhook.id}/test`), { event_type: chosen }),
    );
    if (result) {
      setDelivery(result);
      sent();
    }
  };
  return (
    <form class="card" onSubmit={send} aria-labelledby="test-title">
      <h2 id="test-title">Send a test event</h2>
      <Field label="Event type" hint="Sends the catalog's sample of this type to this webhook only.">
        {(props) => (
          <select {...props} value={chosen} onChange={(e) => setType(e.currentTarget.value)}>
            {(types.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={action.busy || !chosen}>
        Send test event
      </button>
      {delivery ? (
        <p role="status">
          Sent: <Link href={`/deliveries/${delivery.id}`}>see the delivery and its attempt</Link>.
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
    </form>
  );
}

const hoursAgo = (hours: number) => {
  const at = new Date(Date.now() - hours * 3_600_000);
  at.setSeconds(0, 0);
  // datetime-local wants local time without a zone.
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function RecoverPanel({ webhook, recovered }: { webhook: Webhook; recovered: () => void }) {
  const [since, setSince] = useState(hoursAgo(24));
  const action = useAction();
  // First a dry run counts what would be queued again; the dialog shows the count before anything changes.
  const [wouldRecover, setWouldRecover] = useState<number | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const recover = (dryRun: boolean) =>
    action.run(() =>
      api<{ recovered: number }>('POST', accountPath(`/webhooks/${webhook.id}/recover`), {
        since: new Date(since).toISOString(),
        ...(dryRun ? { dry_run: true } : {}),
      }),
    );
  const check = async (event: Event) => {
    event.preventDefault();
    setCount(null);
    const result = await recover(true);
    if (result) setWouldRecover(result.recovered);
  };
  const confirm = async () => {
    setWouldRecover(null);
    const result = await recover(false);
    if (result) {
      setCount(result.recovered);
      recovered();
    }
  };
  const plural = (n: number) => `${n} failed ${n === 1 ? 'delivery' : 'deliveries'}`;
  return (
    <form class="card" onSubmit={check} aria-labelledby="recover-title">
      <h2 id="recover-title">Recover failed deliveries</h2>
      <Field
        label="Failed since"
        hint="Counts the failed deliveries created since then, then asks before queuing them again."
      >
        {(props) => (
          <input
            {...props}
            type="datetime-local"
            required
            value={since}
            onInput={(e) => setSince(e.currentTarget.value)}
          />
        )}
      </Field>
      <button type="submit" class="secondary" disabled={action.busy || !since}>
        Recover
      </button>
      {count !== null ? (
        <p role="status">
          {count === 0
            ? 'No failed delivery since then.'
            : `${count} ${count === 1 ? 'delivery' : 'deliveries'} queued again.`}
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Confirm
        open={wouldRecover !== null}
        title={wouldRecover === 0 ? 'Nothing to recover' : `Recover ${plural(wouldRecover ?? 0)}?`}
        confirmLabel={wouldRecover === 0 ? 'Close' : 'Queue them again'}
        onConfirm={wouldRecover === 0 ? () => setWouldRecover(null) : confirm}
        onCancel={() => setWouldRecover(null)}
      >
        <p data-testid="recover-count">
          {wouldRecover === 0
            ? 'No failed delivery was created since then.'
            : `${plural(wouldRecover ?? 0)} created since ${exactTime(Date.parse(new Date(since).toISOString()))} will be attempted again.`}
        </p>
      </Confirm>
    </form>
  );
}

export function WebhookScreen({ id }: { id: string }) {
  const state = useLoad(() => api<Webhook>('GET', accountPath(`/webhooks/${id}`)), [id]);
  const [listKey, setListKey] = useState(0);
  const [deleting, setDeleting] = useState(false);
  const action = useAction();
  const refreshDeliveries = () => setListKey((n) => n + 1);

  const setEnabled = (webhook: Webhook, enabled: boolean) =>
    action.run(async () => {
      await api('PATCH', accountPath(`/webhooks/${webhook.id}`), { enabled });
      state.reload();
    });
  const remove = (webhook: Webhook) =>
    action.run(async () => {
      setDeleting(false);
      await api('DELETE', accountPath(`/webhooks/${webhook.id}`));
      navigate('/webhooks');
    });

  return (
    <Loadable state={state}>
      {(webhook) => (
        <>
          <div class="title-row">
            <h1 tabIndex={-1}>{webhook.name}</h1>
            {canEdit.value ? (
              <div class="actions">
                <Link class="button secondary" href={`/webhooks/${webhook.id}/edit`}>
                  Edit
                </Link>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => setEnabled(webhook, !webhook.enabled)}
                  disabled={action.busy}
                >
                  {webhook.enabled ? 'Disable' : 'Enable'}
                </button>
                <button type="button" class="danger" onClick={() => setDeleting(true)} disabled={action.busy}>
                  Delete
                </button>
              </div>
            ) : null}
          </div>
          {action.error ? <ErrorNote error={action.error} /> : null}
          <dl class="facts card">
            <dt>Status</dt>
            <dd>
              <WebhookStatus webhook={webhook} />
            </dd>
            <dt>URL</dt>
            <dd class="url">{webhook.url}</dd>
            <dt>Events</dt>
            <dd>{webhook.events.includes('*') ? 'All events' : webhook.events.join(', ')}</dd>
            <dt>Content ids</dt>
            <dd>{webhook.filters.content_ids?.join(', ') ?? 'any'}</dd>
            <dt>Payload filter</dt>
            <dd>
              {webhook.filters.match === undefined ? (
                'none: every event of these types'
              ) : (
                <Code label="Payload filter">{JSON.stringify(webhook.filters.match, null, 2)}</Code>
              )}
            </dd>
            <dt>Format</dt>
            <dd>
              {webhook.format}
              {webhook.format === 'usetiful' ? ` (batch window ${webhook.batch_window_ms} ms)` : ''}
              {webhook.template ? (
                <>
                  {webhook.template.content_type ? ` (${webhook.template.content_type})` : ''}
                  <Code label="Template body">{JSON.stringify(webhook.template.body, null, 2)}</Code>
                </>
              ) : null}
            </dd>
            <dt>Static headers</dt>
            <dd>
              {Object.keys(webhook.headers).length === 0
                ? 'none'
                : Object.entries(webhook.headers).map(([name, value]) => (
                    <div key={name}>
                      <code>{name}</code>:{' '}
                      {canReadSecrets.value ? <code>{value}</code> : <span class="muted">hidden</span>}
                    </div>
                  ))}
            </dd>
            <dt>Signed</dt>
            <dd>{webhook.signed ? 'yes' : 'no'}</dd>
            <dt>Id</dt>
            <dd>
              <code>{webhook.id}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time at={webhook.created_at} />
            </dd>
          </dl>
          {canReadSecrets.value || canEdit.value || canRetry.value ? (
            <div class="grid-3">
              {canReadSecrets.value ? <SecretPanel webhook={webhook} /> : null}
              {canEdit.value ? <TestPanel webhook={webhook} sent={refreshDeliveries} /> : null}
              {canRetry.value ? <RecoverPanel webhook={webhook} recovered={refreshDeliveries} /> : null}
            </div>
          ) : null}
          <h2>Deliveries</h2>
          <DeliveryList
            key={listKey}
            filter={{ webhook_id: webhook.id }}
            empty="No deliveries to this webhook yet."
          />
          <Confirm
            open={deleting}
            title={`Delete ${webhook.name}?`}
            confirmLabel="Delete webhook"
            danger
            onConfirm={() => remove(webhook)}
            onCancel={() => setDeleting(false)}
          >
            <p>Its pending deliveries are cancelled. This cannot be undone.</p>
          </Confirm>
        </>
      )}
    </Loadable>
  );
}
