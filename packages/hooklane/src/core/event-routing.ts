import { type NotRouted, notRoutedBecause } from './matching.ts';
import type { Delivery, StoredEvent, Webhook } from './model.ts';

/**
 * Why an event has no delivery for a webhook: fan-out's own reason (`NotRouted`: the webhook
 * is disabled, does not subscribe to the type, or its content filter leaves the event out);
 * `created_after_event` (fan-out never saw the webhook); or `no_delivery` when the webhook
 * would take the event today (its settings changed since, or the delivery was pruned).
 */
export type RoutingReason = NotRouted | 'created_after_event' | 'no_delivery';

export interface WebhookRouting {
  readonly webhook: Webhook;
  /** The event's delivery to this webhook (the latest, if several), or null. */
  readonly delivery: Delivery | null;
  /** Null when delivered. */
  readonly reason: RoutingReason | null;
  /** The webhook was edited after the event arrived: the reason reads its settings of today. */
  readonly changedSinceEvent: boolean;
}

/**
 * For each webhook of the event's account, the event's delivery to it or why it has none,
 * decided by the rule fan-out applies (`notRoutedBecause`), never a copy of it.
 *
 * @example
 * eventRouting(event, webhooks, deliveriesOfTheEvent).filter((r) => r.reason === 'content_filter')
 */
export function eventRouting(
  event: StoredEvent,
  webhooks: readonly Webhook[],
  deliveries: readonly Delivery[],
): WebhookRouting[] {
  const deliveryOf = new Map<string, Delivery>();
  for (const delivery of deliveries) {
    const kept = deliveryOf.get(delivery.webhookId);
    if (!kept || delivery.id > kept.id) deliveryOf.set(delivery.webhookId, delivery);
  }
  return webhooks.map((webhook) => {
    const delivery = deliveryOf.get(webhook.id) ?? null;
    const changedSinceEvent = webhook.updatedAt > event.ingestedAt;
    if (delivery) return { webhook, delivery, reason: null, changedSinceEvent };
    const reason: RoutingReason =
      webhook.createdAt > event.ingestedAt
        ? 'created_after_event'
        : (notRoutedBecause(webhook, event) ?? 'no_delivery');
    return { webhook, delivery: null, reason, changedSinceEvent };
  });
}
