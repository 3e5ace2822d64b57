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

function LastDelivery({ webhookId }: { webhookId: string }) {
  const last = useLoad(
    () => api<Page<Delivery>>('GET', accountPath(`/deliveries${query({ webhook_id: webhookId, limit: 1 })}`)),
    [webhookId],
  );
  const delivery = last.data?.data[0];
  if (last.loading && !last.data) return <span class="muted">…</span>;
  if (!delivery) return <span class="muted">none yet</span>;
  return (
    <Link href={`/deliveries/${delivery.id}`}>
      <Badge tone={STATUS_TONE[delivery.status] ?? 'muted'}>{delivery.status}</Badge>{' '}
      <Time at={delivery.created_at} />
    </Link>
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
                <th scope="col">Last delivery</th>
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
                  <td data-label="Last delivery">
                    <LastDelivery webhookId={webhook.id} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </>
  );
}
