import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process's Prometheus metrics, on a registry of its own (no global state). */
export interface Metrics {
  readonly registry: Registry;
  readonly eventsIngested: Counter;
  readonly deliveryOutcomes: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
}

/** `queueStats` feeds the pending gauges at scrape time, so they cost nothing between scrapes. */
export function createMetrics(
  queueStats: () => Promise<{ pending: number; oldestPendingAt: number | null }>,
): Metrics {
  const registry = new Registry();
  const eventsIngested = new Counter({
    name: 'hooklane_events_ingested_total',
    help: 'Events accepted and durably stored (duplicates excluded).',
    registers: [registry],
  });
  const deliveryOutcomes = new Counter({
    name: 'hooklane_delivery_attempts_total',
    help: 'Delivery attempts by outcome: succeeded, retry, failed (attempts exhausted), gone (410).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'hooklane_attempt_duration_seconds',
    help: 'Duration of delivery attempts, from request start to response end.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [registry],
  });
  let cached: Promise<{ pending: number; oldestPendingAt: number | null }> | null = null;
  // Both gauges read one query per scrape.
  const stats = () => {
    cached ??= queueStats().finally(() => setTimeout(() => (cached = null), 100).unref());
    return cached;
  };
  new Gauge({
    name: 'hooklane_deliveries_pending',
    help: 'Deliveries waiting for an attempt (due or scheduled).',
    registers: [registry],
    async collect() {
      this.set((await stats()).pending);
    },
  });
  new Gauge({
    name: 'hooklane_oldest_pending_delivery_age_seconds',
    help: 'Age of the oldest pending delivery; 0 when none is pending.',
    registers: [registry],
    async collect() {
      const { oldestPendingAt } = await stats();
      this.set(oldestPendingAt === null ? 0 : Math.max(0, (Date.now() - oldestPendingAt) / 1000));
    },
  });
  return { registry, eventsIngested, deliveryOutcomes, attemptDuration };
}
