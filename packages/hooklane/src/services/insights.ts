import {
  type AccountStats,
  accountStats,
  defaultStatsWindow,
  MAX_STATS_BUCKETS,
} from '../core/account-stats.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import { eventRouting, type WebhookRouting } from '../core/event-routing.ts';
import type { StoredEvent, Webhook } from '../core/model.ts';
import type { Page, Store } from '../store/store.ts';
import type { ServiceContext } from './context.ts';

/** Every item of a paged list (ids sort by creation time), newest first, 250 at a time. */
async function allPages<T extends { id: string }>(list: (page: Page) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let before: string | null = null; ; ) {
    const page = await list({ before, limit: 250 });
    all.push(...page);
    const last = page.at(-1);
    if (page.length < 250 || !last) return all;
    before = last.id;
  }
}

const allWebhooks = (store: Store, accountId: string): Promise<Webhook[]> =>
  allPages((page) => store.listWebhooks(accountId, page));

/** What the console's overview and an event's detail show: account stats, an event's routing. */
export function createInsightService({ store, now }: ServiceContext) {
  return {
    /**
     * The account's deliveries created in [since, until) by bucket and outcome, per webhook too;
     * by default the last 24 hours by hour.
     */
    async stats(
      accountId: string,
      query: { since?: number | undefined; until?: number | undefined; bucketMs: number },
    ): Promise<AccountStats> {
      const fallback = defaultStatsWindow(now());
      const until = query.until ?? (query.since === undefined ? fallback.until : now());
      const since = query.since ?? until - 24 * 3_600_000;
      if (since >= until) {
        throw new HooklaneError('validation_failed', '"since" must be before "until".', [
          { path: 'querystring/since', message: 'must be before until' },
        ]);
      }
      if (Math.ceil((until - since) / query.bucketMs) > MAX_STATS_BUCKETS) {
        throw new HooklaneError(
          'validation_failed',
          `The window holds more than ${MAX_STATS_BUCKETS} buckets: shorten it or use bigger buckets.`,
          [{ path: 'querystring/since', message: `at most ${MAX_STATS_BUCKETS} buckets` }],
        );
      }
      const window = { since, until, bucketMs: query.bucketMs };
      const [webhooks, activity] = await Promise.all([
        allWebhooks(store, accountId),
        store.accountActivity(accountId, window),
      ]);
      return accountStats({ ...window, webhooks, ...activity });
    },

    /** The account's latest events, newest first (the console's content picker, a user's events). */
    latestEvents(
      accountId: string,
      query: { limit: number; userId?: string | undefined },
    ): Promise<StoredEvent[]> {
      return store.latestEvents(accountId, query);
    },

    /** For each webhook of the account: the event's delivery to it, or why there is none. */
    async routing(
      accountId: string,
      eventId: string,
    ): Promise<{ event: StoredEvent; routes: WebhookRouting[] }> {
      const [event] = await store.getEvents(accountId, [eventId]);
      if (!event) throw notFound('Event');
      const [webhooks, deliveries] = await Promise.all([
        allWebhooks(store, accountId),
        allPages((page) => store.listDeliveries(accountId, { eventId }, page)),
      ]);
      return { event, routes: eventRouting(event, webhooks, deliveries) };
    },
  };
}

export type InsightService = ReturnType<typeof createInsightService>;
