import { useEffect, useRef } from 'preact/hooks';
import { api, type Stats } from '../api.ts';
import { Link } from '../router.tsx';
import { accountPath } from '../session.ts';
import { Time } from '../time.tsx';
import { Loadable, useLoad } from '../ui.tsx';
import { WebhookStatus } from './webhooks.tsx';

interface Summary {
  stats: Stats;
  hours: number[];
  perHour: Record<'succeeded' | 'failed' | 'pending', number[]>;
}

/** The last 24 hours from GET /stats, counted by the server (every delivery, not a page of them). */
async function loadSummary(): Promise<Summary> {
  const stats = await api<Stats>('GET', accountPath('/stats'));
  return {
    stats,
    hours: stats.buckets.map((bucket) => Date.parse(bucket.start) / 1000),
    perHour: {
      succeeded: stats.buckets.map((bucket) => bucket.succeeded),
      failed: stats.buckets.map((bucket) => bucket.failed),
      // Waiting for a first attempt or for a retry: both are still on their way.
      pending: stats.buckets.map((bucket) => bucket.pending + bucket.retrying),
    },
  };
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
          const { stats } = summary;
          const oldest = stats.oldest_pending;
          const failing = stats.failing;
          const rate = stats.success_rate === null ? null : stats.success_rate * 100;
          return (
            <>
              <div class="stats">
                <div class="card stat">
                  <span class="stat-label">Deliveries, 24 h</span>
                  <span class="stat-value">{stats.totals.total}</span>
                </div>
                <div class="card stat">
                  <span class="stat-label">Success rate</span>
                  <span class="stat-value">
                    {rate === null ? '—' : `${rate.toFixed(rate === 100 ? 0 : 1)} %`}
                  </span>
                </div>
                <div class="card stat">
                  <span class="stat-label">Failed</span>
                  <span class="stat-value">{stats.totals.failed}</span>
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
              <h2>Failing now</h2>
              {stats.webhooks.length === 0 ? (
                <p class="empty">
                  No webhooks yet. <Link href="/webhooks">Go to webhooks</Link>.
                </p>
              ) : failing.length === 0 ? (
                <p class="empty">
                  {stats.webhooks.length === 1
                    ? 'The webhook is delivering.'
                    : `All ${stats.webhooks.length} webhooks are delivering.`}
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
