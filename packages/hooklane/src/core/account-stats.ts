import type { Delivery, Webhook } from './model.ts';

/** How deliveries stand in stats: `retrying` is a pending delivery already attempted. */
export const OUTCOMES = ['succeeded', 'failed', 'retrying', 'pending', 'cancelled'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type OutcomeCounts = Record<Outcome, number>;

export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKET_MS;
/** Most buckets one stats request covers (31 days of hours). */
export const MAX_STATS_BUCKETS = 744;

export interface StatsInput {
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
  readonly webhooks: readonly Webhook[];
  /** Deliveries by webhook, bucket (its index from `since`) and outcome. */
  readonly counts: readonly { webhookId: string; bucket: number; outcome: Outcome; count: number }[];
  readonly lastDeliveryAt: ReadonlyMap<string, number>;
  readonly oldestPending: Delivery | null;
}

export interface WebhookStats {
  readonly webhook: Webhook;
  readonly totals: OutcomeCounts;
  readonly successRate: number | null;
  /** One entry per bucket: deliveries created in it and the success rate of those settled. */
  readonly buckets: readonly { start: number; count: number; successRate: number | null }[];
  readonly lastDeliveryAt: number | null;
}

export interface AccountStats {
  readonly since: number;
  readonly until: number;
  readonly bucketMs: number;
  readonly totals: OutcomeCounts;
  readonly successRate: number | null;
  readonly buckets: readonly ({ start: number } & OutcomeCounts)[];
  readonly webhooks: readonly WebhookStats[];
  /** Webhooks whose latest attempts failed (a streak is running), or that were disabled for it. */
  readonly failing: readonly Webhook[];
  readonly oldestPending: Delivery | null;
}

const zero = (): OutcomeCounts => ({ succeeded: 0, failed: 0, retrying: 0, pending: 0, cancelled: 0 });

/** Succeeded among settled (succeeded or failed) deliveries, or null when none settled. */
export function successRate(counts: Pick<OutcomeCounts, 'succeeded' | 'failed'>): number | null {
  const settled = counts.succeeded + counts.failed;
  return settled === 0 ? null : counts.succeeded / settled;
}

/** The default window: the last 24 whole hours, the current hour included. */
export function defaultStatsWindow(now: number): { since: number; until: number } {
  const until = Math.floor(now / BUCKET_MS.hour) * BUCKET_MS.hour + BUCKET_MS.hour;
  return { since: until - 24 * BUCKET_MS.hour, until };
}

/**
 * An account's stats from its delivery counts: totals, one entry per bucket (every bucket of
 * the window, empty ones too, so a chart needs no filling), the same per webhook, and the
 * webhooks failing now.
 */
export function accountStats(input: StatsInput): AccountStats {
  const bucketCount = Math.ceil((input.until - input.since) / input.bucketMs);
  const startOf = (i: number) => input.since + i * input.bucketMs;
  const totals = zero();
  const buckets = Array.from({ length: bucketCount }, zero);
  const byWebhook = new Map<string, { totals: OutcomeCounts; buckets: OutcomeCounts[] }>();
  for (const webhook of input.webhooks) {
    byWebhook.set(webhook.id, { totals: zero(), buckets: Array.from({ length: bucketCount }, zero) });
  }
  for (const { webhookId, bucket, outcome, count } of input.counts) {
    const inBucket = buckets[bucket];
    if (!inBucket) continue;
    totals[outcome] += count;
    inBucket[outcome] += count;
    const own = byWebhook.get(webhookId);
    if (own) {
      own.totals[outcome] += count;
      const ownBucket = own.buckets[bucket];
      if (ownBucket) ownBucket[outcome] += count;
    }
  }
  const sum = (counts: OutcomeCounts) => OUTCOMES.reduce((n, outcome) => n + counts[outcome], 0);
  return {
    since: input.since,
    until: input.until,
    bucketMs: input.bucketMs,
    totals,
    successRate: successRate(totals),
    buckets: buckets.map((counts, i) => ({ start: startOf(i), ...counts })),
    webhooks: input.webhooks.map((webhook) => {
      const own = byWebhook.get(webhook.id) ?? { totals: zero(), buckets: [] };
      return {
        webhook,
        totals: own.totals,
        successRate: successRate(own.totals),
        buckets: own.buckets.map((counts, i) => ({
          start: startOf(i),
          count: sum(counts),
          successRate: successRate(counts),
        })),
        lastDeliveryAt: input.lastDeliveryAt.get(webhook.id) ?? null,
      };
    }),
    failing: input.webhooks.filter((webhook) => webhook.failingSince !== null),
    oldestPending: input.oldestPending,
  };
}
