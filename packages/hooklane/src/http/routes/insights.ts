import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type AccountStats, BUCKET_MS, OUTCOMES, type OutcomeCounts } from '../../core/account-stats.ts';
import type { WebhookRouting } from '../../core/event-routing.ts';
import type { StoredEvent } from '../../core/model.ts';
import {
  AccountParams,
  EventParams,
  LatestEventsQuery,
  LatestEventsResponse,
  RoutingResponse,
  StatsQuery,
  StatsResponse,
} from '../schemas.ts';
import { ERROR_RESPONSES, type RouteDeps } from './deps.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const withTotal = (counts: OutcomeCounts) => ({
  ...counts,
  total: OUTCOMES.reduce((n, outcome) => n + counts[outcome], 0),
});

function presentStats(stats: AccountStats, bucket: string) {
  return {
    since: iso(stats.since),
    until: iso(stats.until),
    bucket,
    totals: withTotal(stats.totals),
    success_rate: stats.successRate,
    buckets: stats.buckets.map(({ start, ...counts }) => ({ start: iso(start), ...counts })),
    webhooks: stats.webhooks.map((own) => ({
      id: own.webhook.id,
      name: own.webhook.name,
      enabled: own.webhook.enabled,
      disabled_reason: own.webhook.disabledReason,
      failing_since: isoOrNull(own.webhook.failingSince),
      last_delivery_at: isoOrNull(own.lastDeliveryAt),
      totals: withTotal(own.totals),
      success_rate: own.successRate,
      buckets: own.buckets.map((b) => ({ start: iso(b.start), count: b.count, success_rate: b.successRate })),
    })),
    failing: stats.failing.map((webhook) => ({
      id: webhook.id,
      name: webhook.name,
      failing_since: iso(webhook.failingSince ?? 0),
      enabled: webhook.enabled,
      disabled_reason: webhook.disabledReason,
    })),
    oldest_pending: stats.oldestPending && {
      id: stats.oldestPending.id,
      webhook_id: stats.oldestPending.webhookId,
      created_at: iso(stats.oldestPending.createdAt),
      attempt_count: stats.oldestPending.attemptCount,
      next_attempt_at: isoOrNull(stats.oldestPending.nextAttemptAt),
    },
  };
}

function presentEvent(event: StoredEvent) {
  return {
    id: event.id,
    name: event.name,
    type: event.typeId,
    user_id: event.userId,
    content_id: event.contentId,
    occurred_at: iso(event.occurredAt),
    ingested_at: iso(event.ingestedAt),
    event: parsedOr(event.body),
  };
}

/** The stored body is the event's JSON; a body that is not (none is written so) is shown as text. */
function parsedOr(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function presentRouting(event: StoredEvent, routes: readonly WebhookRouting[]) {
  return {
    event_id: event.id,
    event_name: event.name,
    ingested_at: iso(event.ingestedAt),
    webhooks: routes.map((route) => ({
      webhook_id: route.webhook.id,
      name: route.webhook.name,
      delivered: route.delivery !== null,
      delivery: route.delivery && { id: route.delivery.id, status: route.delivery.status },
      reason: route.reason,
      changed_since_event: route.changedSinceEvent,
    })),
  };
}

/** What the console's overview and an event's detail read: account stats and an event's routing. */
export function insightRoutes(app: FastifyInstance, { insights }: RouteDeps): void {
  app.get(
    '/v1/accounts/:acc/stats',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['deliveries'],
        summary:
          "The account's deliveries by hour (or day) and outcome, per webhook too (default: the last 24 h)",
        description:
          'Counts deliveries created in [since, until) by their status now (`retrying`: pending after a failed attempt). Without `since` and `until`, the last 24 whole hours, the current one included. At most 744 buckets.',
        params: AccountParams,
        querystring: StatsQuery,
        response: { 200: StatsResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const { since, until, bucket = 'hour' } = request.query as Static<typeof StatsQuery>;
      const stats = await insights.stats(acc, {
        since: since === undefined ? undefined : Date.parse(since),
        until: until === undefined ? undefined : Date.parse(until),
        bucketMs: BUCKET_MS[bucket],
      });
      return presentStats(stats, bucket);
    },
  );

  app.get(
    '/v1/accounts/:acc/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: "The account's latest events, newest first; one user's with user_id",
        description:
          'Events as stored: retention removes old events whose deliveries are gone. The console offers the flow, checklist and experience ids of these events in its content filter picker.',
        params: AccountParams,
        querystring: LatestEventsQuery,
        response: { 200: LatestEventsResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc } = request.params as Static<typeof AccountParams>;
      const { limit = 50, user_id } = request.query as Static<typeof LatestEventsQuery>;
      const events = await insights.latestEvents(acc, { limit, userId: user_id });
      return { data: events.map(presentEvent) };
    },
  );

  app.get(
    '/v1/accounts/:acc/events/:id/routing',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'For each webhook of the account: the delivery this event got, or why it got none',
        params: EventParams,
        response: { 200: RoutingResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { acc, id } = request.params as Static<typeof EventParams>;
      const { event, routes } = await insights.routing(acc, id);
      return presentRouting(event, routes);
    },
  );
}
