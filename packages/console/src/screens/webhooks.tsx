import { api, type Delivery, type Page, query, type Webhook } from '../api.ts';
import { Link } from '../router.tsx';
import { accountPath, canEdit } from '../session.ts';
import { Time } from '../time.tsx';
import { Badge, Loadable, STATUS_TONE, useLoad } from '../ui.tsx';

/** All the account's webhooks (following the cursor). */
export async function loadWebhooks(): Promise<Webhook[]> {
  const all: Webhook[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Webhook> = await api<Page<Webhook>>(
      'GET',
      accountPath(`/webhooks${query({ limit: 250, cursor })}`),
    );
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && all.length < 2000);
  return all;
}

export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (!webhook.enabled) {
    return (
      <span>
        <Badge tone="muted">disabled</Badge>
        {webhook.disabled_reason ? <span class="muted small-text"> {webhook.disabled_reason}</span> : null}
      </span>
    );
  }
  if (webhook.failing_since) {
    return (
      <span>
        <Badge tone="bad">failing</Badge>{' '}
        <span class="small-text">
          since <Time at={webhook.failing_since} />
        </span>
      </span>
    );
  }
  return <Badge tone="ok">enabled</Badge>;
}

const HOUR = 3_600_000;

/** The webhook's last 24 hours (up to 250 deliveries): the newest delivery, the success rate and a sparkline. */
function Recent({ webhookId }: { webhookId: string }) {
  const recent = useLoad(
    () =>
      api<Page<Delivery>>(
        'GET',
        accountPath(
          `/deliveries${query({ webhook_id: webhookId, since: new Date(Date.now() - 24 * HOUR).toISOString(), limit: 250 })}`,
        ),
      ),
    [webhookId],
  );
  if (!recent.data)
    return <td data-label="Last 24 h">{recent.error ? '—' : <span class="muted">…</span>}</td>;
  const deliveries = recent.data.data;
  const last = deliveries[0];
  const done = deliveries.filter((d) => d.status === 'succeeded' || d.status === 'failed');
  const ok = done.filter((d) => d.status === 'succeeded').length;
  const rate = done.length === 0 ? null : Math.round((ok / done.length) * 100);
  const now = Date.now();
  const perHour = Array.from({ length: 24 }, () => ({ ok: 0, bad: 0 }));
  for (const delivery of deliveries) {
    const slot = 23 - Math.floor((now - Date.parse(delivery.created_at)) / HOUR);
    const bucket = perHour[slot];
    if (!bucket) continue;
    if (delivery.status === 'failed') bucket.bad++;
    else bucket.ok++;
  }
  const top = Math.max(1, ...perHour.map((h) => h.ok + h.bad));
  const label = `Last 24 hours: ${deliveries.length}${recent.data.next_cursor ? '+' : ''} deliveries${rate === null ? '' : `, ${rate} % succeeded`}`;
  return (
    <td data-label="Last 24 h">
      <span class="recent">
        <svg class="spark" viewBox="0 0 96 20" width="96" height="20" role="img" aria-label={label}>
          {perHour.map((h, i) => {
            const okHeight = (h.ok / top) * 20;
            const badHeight = (h.bad / top) * 20;
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: the hour is the identity
              <g key={i}>
                <rect x={i * 4} y={20 - okHeight} width="3" height={okHeight} fill="#1a7f37" />
                <rect x={i * 4} y={20 - okHeight - badHeight} width="3" height={badHeight} fill="#cf222e" />
              </g>
            );
          })}
        </svg>
        <span>{rate === null ? '—' : `${rate} %`}</span>
        {last ? (
          <Link href={`/deliveries/${last.id}`}>
            <Badge tone={STATUS_TONE[last.status] ?? 'muted'}>{last.status}</Badge>{' '}
            <Time at={last.created_at} />
          </Link>
        ) : (
          <span class="muted">no delivery</span>
        )}
      </span>
    </td>
  );
}

export function WebhooksScreen() {
  const state = useLoad(loadWebhooks, []);
  return (
    <>
      <div class="title-row">
        <h1 tabIndex={-1}>Webhooks</h1>
        {canEdit.value ? (
          <Link class="button" href="/webhooks/new">
            New webhook
          </Link>
        ) : null}
      </div>
      <Loadable
        state={state}
        isEmpty={(list) => list.length === 0}
        empty={canEdit.value ? 'No webhooks yet. Create one to start receiving events.' : 'No webhooks yet.'}
      >
        {(list) => (
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Last 24 h</th>
              </tr>
            </thead>
            <tbody>
              {list.map((webhook) => (
                <tr key={webhook.id}>
                  <td data-label="Name">
                    <Link href={`/webhooks/${webhook.id}`}>{webhook.name}</Link>
                  </td>
                  <td data-label="URL" class="url">
                    {webhook.url}
                  </td>
                  <td data-label="Events">
                    {webhook.events.includes('*') ? 'all events' : webhook.events.join(', ')}
                  </td>
                  <td data-label="Status">
                    <WebhookStatus webhook={webhook} />
                  </td>
                  <Recent webhookId={webhook.id} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </>
  );
}
