import { useEffect, useRef } from 'preact/hooks';
import { api, type Delivery, type Page, query, type Webhook } from '../api.ts';
import { Link } from '../router.tsx';
import { accountPath } from '../session.ts';
import { Time } from '../time.tsx';
import { Loadable, useLoad } from '../ui.tsx';
import { loadWebhooks, WebhookStatus } from './webhooks.tsx';

const HOUR = 3_600_000;
const MAX_PAGES = 8;

interface Summary {
  deliveries: Delivery[];
  complete: boolean;
  webhooks: Webhook[];
  hours: number[];
  perHour: Record<'succeeded' | 'failed' | 'pending', number[]>;
}

/** The last 24 hours, from the deliveries list (up to MAX_PAGES pages of 250). */
async function loadSummary(): Promise<Summary> {
  const now = Date.now();
  const start = Math.floor((now - 23 * HOUR) / HOUR) * HOUR;
  const since = new Date(start).toISOString();
  const deliveries: Delivery[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<Delivery> = await api<Page<Delivery>>(
      'GET',
      accountPath(`/deliveries${query({ since, limit: 250, cursor })}`),
    );
    deliveries.push(...page.data);
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < MAX_PAGES);
  const hours = Array.from({ length: 24 }, (_, i) => (start + i * HOUR) / 1000);
  const perHour = { succeeded: Array(24).fill(0), failed: Array(24).fill(0), pending: Array(24).fill(0) };
  for (const delivery of deliveries) {
    const slot = Math.floor((Date.parse(delivery.created_at) - start) / HOUR);
    const series = perHour[delivery.status as keyof typeof perHour];
    if (series && slot >= 0 && slot < 24) series[slot]++;
  }
  return { deliveries, complete: cursor === null, webhooks: await loadWebhooks(), hours, perHour };
}

/** Deliveries per hour by outcome; uPlot is loaded only when this chart is shown. */
function HourlyChart({ summary }: { summary: Summary }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | undefined;
    let gone = false;
    import('./hourly-chart.ts').then(({ drawHourlyChart }) => {
      if (gone || !box.current) return;
      chart = drawHourlyChart(box.current, summary.hours, summary.perHour);
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [summary]);
  const total = (name: keyof Summary['perHour']) => summary.perHour[name].reduce((a, b) => a + b, 0);
  return (
    <figure class="card chart">
      <div
        ref={box}
        role="img"
        aria-label={`Deliveries per hour over the last 24 hours: ${total('succeeded')} succeeded, ${total('failed')} failed, ${total('pending')} pending.`}
      />
      <figcaption class="muted small-text">
        Deliveries created per hour, last 24 hours, by their current status.
      </figcaption>
    </figure>
  );
}

export function OverviewScreen() {
  const state = useLoad(loadSummary, []);
  return (
    <>
      <div class="title-row">
        <h1 tabIndex={-1}>Overview</h1>
        <button type="button" class="secondary small" onClick={state.reload}>
          Refresh
        </button>
      </div>
      <Loadable state={state}>
        {(summary) => {
          const count = (status: string) => summary.deliveries.filter((d) => d.status === status).length;
          const succeeded = count('succeeded');
          const failed = count('failed');
          const pending = summary.deliveries.filter((d) => d.status === 'pending');
          const oldest = pending.at(-1);
          const failing = summary.webhooks.filter((w) => w.failing_since || !w.enabled);
          const rate = succeeded + failed === 0 ? null : (succeeded / (succeeded + failed)) * 100;
          return (
            <>
              <div class="stats">
                <div class="card stat">
                  <span class="stat-label">Deliveries, 24 h</span>
                  <span class="stat-value">
                    {summary.deliveries.length}
                    {summary.complete ? '' : '+'}
                  </span>
                </div>
                <div class="card stat">
                  <span class="stat-label">Success rate</span>
                  <span class="stat-value">
                    {rate === null ? '—' : `${rate.toFixed(rate === 100 ? 0 : 1)} %`}
                  </span>
                </div>
                <div class="card stat">
                  <span class="stat-label">Failed</span>
                  <span class="stat-value">{failed}</span>
                </div>
                <div class="card stat">
                  <span class="stat-label">Oldest pending</span>
                  <span class="stat-value small">
                    {oldest ? (
                      <Link href={`/deliveries/${oldest.id}`}>
                        <Time at={oldest.created_at} />
                      </Link>
                    ) : (
                      'none'
                    )}
                  </span>
                </div>
              </div>
              <HourlyChart summary={summary} />
              <h2>Webhooks needing attention</h2>
              {summary.webhooks.length === 0 ? (
                <p class="empty">
                  No webhooks yet. <Link href="/webhooks">Go to webhooks</Link>.
                </p>
              ) : failing.length === 0 ? (
                <p class="empty">
                  {summary.webhooks.length === 1
                    ? 'The webhook is enabled and delivering.'
                    : `All ${summary.webhooks.length} webhooks are enabled and delivering.`}
                </p>
              ) : (
                <ul class="plain">
                  {failing.map((webhook) => (
                    <li key={webhook.id}>
                      <Link href={`/webhooks/${webhook.id}`}>{webhook.name}</Link>{' '}
                      <WebhookStatus webhook={webhook} />
                    </li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Loadable>
    </>
  );
}
