import { OPERATIONAL_PREFIX } from './catalog.ts';
import type { Webhook } from './model.ts';

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
export function webhookWants(webhook: Pick<Webhook, 'events' | 'filters'>, event: EventKey): boolean {
  const { events } = webhook;
  // Hooklane's own events go only to webhooks that name them: `*` means the product's events.
  const listed =
    (events.includes('*') && !event.name.startsWith(OPERATIONAL_PREFIX)) ||
    events.includes(event.name) ||
    (event.typeId !== null && events.includes(event.typeId));
  if (!listed) return false;
  const contentIds = webhook.filters.contentIds;
  if (contentIds === null || contentIds.length === 0) return true;
  return event.contentId !== null && contentIds.includes(event.contentId);
}

/** The webhooks an event fans out to: enabled ones that want it. */
export function webhooksFor<W extends Pick<Webhook, 'enabled' | 'events' | 'filters'>>(
  webhooks: readonly W[],
  event: EventKey,
): W[] {
  return webhooks.filter((webhook) => webhook.enabled && webhookWants(webhook, event));
}

/** A usetiful webhook with a batch window collects a user's events into one delivery. */
export function isBatched(webhook: Pick<Webhook, 'format' | 'batchWindowMs'>): boolean {
  return webhook.format === 'usetiful' && webhook.batchWindowMs > 0;
}
