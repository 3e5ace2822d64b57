import { api, type Page, query, type Stats, type Webhook } from '../api.ts';
import { Link } from '../router.tsx';
import { accountPath, canEdit } from '../session.ts';
import { Time } from '../time.tsx';
import { Badge, Loadable, useLoad } from '../ui.tsx';

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

export function WebhookStatus({
  webhook,
}: {
  webhook: Pick<Webhook, 'enabled' | 'disabled_reason' | 'failing_since'>;
}) {
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

type WebhookStats = Stats['webhooks'][number];

/** The webhook's last 24 hours from GET /stats: the latest delivery, the success rate and a sparkline. */
function Recent({ webhookId, stats }: { webhookId: string; stats: WebhookStats | undefined }) {
  if (!stats) return <td data-label="Last 24 h">—</td>;
  const rate = stats.success_rate === null ? null : Math.round(stats.success_rate * 100);
  const perHour = stats.buckets.map((bucket) => {
    const bad = Math.round(bucket.count * (1 - (bucket.success_rate ?? 1)));
    return { ok: bucket.count - bad, bad };
  });
  const top = Math.max(1, ...perHour.map((h) => h.ok + h.bad));
  const label = `Last 24 hours: ${stats.totals.total} deliveries${rate === null ? '' : `, ${rate} % succeeded`}`;
  return (
    <td data-label="Last 24 h">
      <span class="recent">
        <svg class="spark" viewBox="0 0 96 20" width="96" height="20" role="img" aria-label={label}>
          {perHour.map((h, i) => {
            const okHeight = (h.ok / top) * 20;
            const badHeight = (h.bad / top) * 20;
            return (
              <g key={stats.buckets[i]?.start}>
                <rect x={i * 4} y={20 - okHeight} width="3" height={okHeight} fill="#1a7f37" />
                <rect x={i * 4} y={20 - okHeight - badHeight} width="3" height={badHeight} fill="#cf222e" />
              </g>
            );
          })}
        </svg>
        <span>{rate === null ? '—' : `${rate} %`}</span>
        {stats.last_delivery_at ? (
          <Link href={`/deliveries?webhook_id=${webhookId}`}>
            last <Time at={stats.last_delivery_at} />
          </Link>
        ) : (
          <span class="muted">no delivery</span>
        )}
      </span>
    </td>
  );
}

/** The webhooks, with their last 24 hours from GET /stats (one call for all of them). */
async function loadList(): Promise<{ webhooks: Webhook[]; stats: Map<string, WebhookStats> }> {
  const [webhooks, stats] = await Promise.all([loadWebhooks(), api<Stats>('GET', accountPath('/stats'))]);
  return { webhooks, stats: new Map(stats.webhooks.map((own) => [own.id, own])) };
}

export function WebhooksScreen() {
  const state = useLoad(loadList, []);
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
        isEmpty={(list) => list.webhooks.length === 0}
        empty={canEdit.value ? 'No webhooks yet. Create one to start receiving events.' : 'No webhooks yet.'}
      >
        {({ webhooks, stats }) => (
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
              {webhooks.map((webhook) => (
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
                  <Recent webhookId={webhook.id} stats={stats.get(webhook.id)} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </>
  );
}
