import type { Webhook } from './model.ts';
import { TRIGGER_PREFIX } from './publishable.ts';

/** What fan-out needs to know of an event. */
export interface EventKey {
  readonly name: string;
  readonly typeId: string | null;
  readonly contentId: string | null;
}

/**
 * Whether a webhook wants an event: `*`, its catalog type id, or its exact name; then the
 * optional content-id filter (an event without a content id never passes a filter).
 */
export function webhookWants(
  webhook: Pick<Webhook, 'events' | 'filters' | 'trigger'>,
  event: EventKey,
): boolean {
  // A trigger goes to the webhook that is its target and to no other, whatever they list.
  if (event.name.startsWith(TRIGGER_PREFIX)) {
    return webhook.trigger?.name === event.name.slice(TRIGGER_PREFIX.length);
  }
  const { events } = webhook;
  const listed =
    events.includes('*') ||
    events.includes(event.name) ||
    (event.typeId !== null && events.includes(event.typeId));
  if (!listed) return false;
  const contentIds = webhook.filters.contentIds;
  if (contentIds === null || contentIds.length === 0) return true;
  return event.contentId !== null && contentIds.includes(event.contentId);
}

/** The webhooks an event fans out to: enabled ones that want it. */
export function webhooksFor<W extends Pick<Webhook, 'enabled' | 'events' | 'filters' | 'trigger'>>(
  webhooks: readonly W[],
  event: EventKey,
): W[] {
  return webhooks.filter((webhook) => webhook.enabled && webhookWants(webhook, event));
}

/** A usetiful webhook with a batch window collects a user's events into one delivery. */
export function isBatched(webhook: Pick<Webhook, 'format' | 'batchWindowMs'>): boolean {
  return webhook.format === 'usetiful' && webhook.batchWindowMs > 0;
}
