import { useEffect, useState } from 'preact/hooks';
import { type Attempt, api, type Delivery, type Page, query, type Webhook } from '../api.ts';
import { Link, route, setQuery } from '../router.tsx';
import { accountPath, canReadSecrets, canRetry } from '../session.ts';
import { Time } from '../time.tsx';
import {
  Badge,
  Body,
  ErrorNote,
  Field,
  HeaderTable,
  Loadable,
  Loading,
  STATUS_TONE,
  useAction,
  useLoad,
} from '../ui.tsx';
import { loadWebhooks } from './webhooks.tsx';

const STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'];

function Outcome({ delivery }: { delivery: Delivery }) {
  if (delivery.last_status !== null) return <code>HTTP {delivery.last_status}</code>;
  if (delivery.last_error) return <span class="muted">{delivery.last_error}</span>;
  return <span class="muted">—</span>;
}

/** A page of deliveries, with the webhook's name when `webhooks` is given. */
export function DeliveryTable({
  deliveries,
  webhooks,
}: {
  deliveries: Delivery[];
  webhooks?: Map<string, Webhook>;
}) {
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th scope="col">Delivery</th>
          <th scope="col">Status</th>
          {webhooks ? <th scope="col">Webhook</th> : null}
          <th scope="col">Event</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last response</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => (
          <tr key={delivery.id}>
            <td data-label="Delivery">
              <Link href={`/deliveries/${delivery.id}`}>
                <code>{delivery.id}</code>
              </Link>
            </td>
            <td data-label="Status">
              <Badge tone={STATUS_TONE[delivery.status] ?? 'muted'}>{delivery.status}</Badge>
            </td>
            {webhooks ? (
              <td data-label="Webhook">
                <Link href={`/webhooks/${delivery.webhook_id}`}>
                  {webhooks.get(delivery.webhook_id)?.name ?? delivery.webhook_id}
                </Link>
              </td>
            ) : null}
            <td data-label="Event">
              <code class="small-text">{delivery.event_id}</code>
            </td>
            <td data-label="Attempts">{delivery.attempt_count}</td>
            <td data-label="Last response">
              <Outcome delivery={delivery} />
            </td>
            <td data-label="Created">
              <Time at={delivery.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Deliveries matching `filter`, a page at a time ("Load more" follows the cursor). */
export function DeliveryList({
  filter,
  webhooks,
  empty,
}: {
  filter: Record<string, string | undefined>;
  webhooks?: Map<string, Webhook>;
  empty: string;
}) {
  const [more, setMore] = useState<{ items: Delivery[]; cursor: string | null } | null>(null);
  const key = JSON.stringify(filter);
  const first = useLoad(async () => {
    setMore(null);
    return api<Page<Delivery>>('GET', accountPath(`/deliveries${query({ ...filter, limit: 50 })}`));
  }, [key]);
  const loadMore = useAction();
  const items = [...(first.data?.data ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (first.data?.next_cursor ?? null);
  // Keep the first page fresh while it is on screen (a test event's attempt shows up by itself).
  const reload = first.reload;
  const paged = more !== null;
  useEffect(() => {
    if (paged) return;
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [reload, paged]);
  return (
    <>
      <div class="title-row">
        <span class="muted" role="status">
          {first.data ? `${items.length} shown` : ''}
          {first.loading && first.data ? ' · refreshing…' : ''}
        </span>
        <button type="button" class="secondary small" onClick={first.reload}>
          Refresh
        </button>
      </div>
      <Loadable state={first} isEmpty={() => items.length === 0} empty={empty}>
        {() => (
          <>
            <DeliveryTable deliveries={items} webhooks={webhooks} />
            {cursor ? (
              <button
                type="button"
                class="secondary"
                disabled={loadMore.busy}
                onClick={() =>
                  loadMore.run(async () => {
                    const page = await api<Page<Delivery>>(
                      'GET',
                      accountPath(`/deliveries${query({ ...filter, limit: 50, cursor })}`),
                    );
                    setMore({ items: [...(more?.items ?? []), ...page.data], cursor: page.next_cursor });
                  })
                }
              >
                Load more
              </button>
            ) : null}
            {loadMore.error ? <ErrorNote error={loadMore.error} /> : null}
          </>
        )}
      </Loadable>
    </>
  );
}

export function DeliveriesScreen() {
  const search = route.value.search;
  const filter = {
    webhook_id: search.get('webhook_id') ?? '',
    status: search.get('status') ?? '',
    event_id: search.get('event_id') ?? '',
    event_type: search.get('event_type') ?? '',
    since: search.get('since') ?? '',
  };
  const webhooks = useLoad(loadWebhooks, []);
  const byId = new Map((webhooks.data ?? []).map((webhook) => [webhook.id, webhook]));
  const update = (patch: Partial<typeof filter>) => setQuery({ ...filter, ...patch });
  const [eventId, setEventId] = useState(filter.event_id);
  const [eventType, setEventType] = useState(filter.event_type);
  const apiFilter = {
    webhook_id: filter.webhook_id || undefined,
    status: filter.status || undefined,
    event_id: filter.event_id || undefined,
    event_type: filter.event_type || undefined,
    since: filter.since ? new Date(filter.since).toISOString() : undefined,
  };
  return (
    <>
      <h1 tabIndex={-1}>Deliveries</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          update({ event_id: eventId.trim(), event_type: eventType.trim() });
        }}
      >
        <Field label="Webhook">
          {(props) => (
            <select
              {...props}
              value={filter.webhook_id}
              onChange={(e) => update({ webhook_id: e.currentTarget.value })}
            >
              <option value="">All webhooks</option>
              {(webhooks.data ?? []).map((webhook) => (
                <option key={webhook.id} value={webhook.id}>
                  {webhook.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(props) => (
            <select
              {...props}
              value={filter.status}
              onChange={(e) => update({ status: e.currentTarget.value })}
            >
              <option value="">Any status</option>
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Created since">
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              value={filter.since}
              onChange={(e) => update({ since: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field label="Event type">
          {(props) => (
            <input
              {...props}
              value={eventType}
              placeholder="nps_score"
              onInput={(e) => setEventType(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Event id">
          {(props) => <input {...props} value={eventId} onInput={(e) => setEventId(e.currentTarget.value)} />}
        </Field>
        <button type="submit" class="secondary">
          Apply
        </button>
      </form>
      <DeliveryList filter={apiFilter} webhooks={byId} empty="No deliveries match these filters." />
    </>
  );
}

function AttemptView({ attempt, hidden }: { attempt: Attempt; hidden: ReadonlySet<string> }) {
  const response = attempt.response;
  const ok = response !== null && response.status >= 200 && response.status < 300;
  return (
    <section class="card attempt" aria-labelledby={`attempt-${attempt.id}`}>
      <h3 id={`attempt-${attempt.id}`}>
        Attempt {attempt.number}{' '}
        <Badge tone={ok ? 'ok' : 'bad'}>{response ? `HTTP ${response.status}` : 'no response'}</Badge>
      </h3>
      <dl class="facts">
        <dt>Started</dt>
        <dd>
          <Time at={attempt.started_at} />
        </dd>
        <dt>Duration</dt>
        <dd>{attempt.duration_ms} ms</dd>
        <dt>URL</dt>
        <dd class="url">{attempt.url}</dd>
        {attempt.error ? (
          <>
            <dt>Error</dt>
            <dd class="error-text">{attempt.error}</dd>
          </>
        ) : null}
        <dt>Next attempt</dt>
        <dd>{attempt.next_attempt_at ? <Time at={attempt.next_attempt_at} /> : 'none'}</dd>
      </dl>
      <div class="grid-2">
        <div>
          <h4>Request headers</h4>
          <HeaderTable
            headers={attempt.request.headers}
            label={`Attempt ${attempt.number} request headers`}
            hidden={hidden}
          />
          <h4>Request body</h4>
          <Body text={attempt.request.body} label={`Attempt ${attempt.number} request body`} />
        </div>
        <div>
          <h4>Response headers</h4>
          {response ? (
            <HeaderTable headers={response.headers} label={`Attempt ${attempt.number} response headers`} />
          ) : (
            <p class="muted">No response.</p>
          )}
          <h4>Response body</h4>
          <Body text={response?.body} label={`Attempt ${attempt.number} response body`} />
        </div>
      </div>
    </section>
  );
}

export function DeliveryScreen({ id }: { id: string }) {
  const state = useLoad(() => api<Delivery>('GET', accountPath(`/deliveries/${id}`)), [id]);
  const webhookId = state.data?.webhook_id;
  const webhook = useLoad(
    async () => (webhookId ? api<Webhook>('GET', accountPath(`/webhooks/${webhookId}`)) : undefined),
    [webhookId],
  );
  // A viewer never sees the values of the webhook's static headers (they are often credentials).
  const hidden = new Set(
    canReadSecrets.value ? [] : Object.keys(webhook.data?.headers ?? {}).map((n) => n.toLowerCase()),
  );
  const retry = useAction();
  const [retried, setRetried] = useState(false);
  const onRetry = async () => {
    const done = await retry.run(() => api<Delivery>('POST', accountPath(`/deliveries/${id}/retry`)));
    if (done) {
      setRetried(true);
      state.reload();
      // The attempt lands within moments: read the delivery again to show it.
      setTimeout(state.reload, 1500);
    }
  };
  return (
    <>
      <div class="title-row">
        <h1 tabIndex={-1}>Delivery</h1>
        <button type="button" class="secondary small" onClick={state.reload}>
          Refresh
        </button>
      </div>
      <Loadable state={state}>
        {(delivery) => (
          <>
            <dl class="facts card">
              <dt>Id</dt>
              <dd>
                <code>{delivery.id}</code>
              </dd>
              <dt>Status</dt>
              <dd>
                <Badge tone={STATUS_TONE[delivery.status] ?? 'muted'}>{delivery.status}</Badge>
              </dd>
              <dt>Webhook</dt>
              <dd>
                <Link href={`/webhooks/${delivery.webhook_id}`}>
                  {webhook.data?.name ?? <code>{delivery.webhook_id}</code>}
                </Link>
              </dd>
              <dt>{(delivery.event_ids?.length ?? 1) > 1 ? 'Events' : 'Event'}</dt>
              <dd>
                <code>{(delivery.event_ids ?? [delivery.event_id]).join(', ')}</code>
              </dd>
              <dt>Format</dt>
              <dd>{delivery.format}</dd>
              <dt>Created</dt>
              <dd>
                <Time at={delivery.created_at} />
              </dd>
              <dt>Next attempt</dt>
              <dd>{delivery.next_attempt_at ? <Time at={delivery.next_attempt_at} /> : 'none'}</dd>
            </dl>
            {canRetry.value ? (
              <div class="actions">
                <button type="button" onClick={onRetry} disabled={retry.busy}>
                  {retry.busy ? 'Retrying…' : 'Retry now'}
                </button>
                {retried ? <span role="status">Queued for a new attempt.</span> : null}
              </div>
            ) : null}
            {retry.error ? <ErrorNote error={retry.error} /> : null}
            <h2>Attempts ({delivery.attempts?.length ?? 0})</h2>
            {!canReadSecrets.value && webhook.data === undefined && !webhook.error ? (
              <Loading />
            ) : (delivery.attempts ?? []).length === 0 ? (
              <p class="empty">No attempt yet.</p>
            ) : (
              [...(delivery.attempts ?? [])]
                .reverse()
                .map((attempt) => <AttemptView key={attempt.id} attempt={attempt} hidden={hidden} />)
            )}
          </>
        )}
      </Loadable>
    </>
  );
}
