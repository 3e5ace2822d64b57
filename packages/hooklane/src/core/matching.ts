import { OPERATIONAL_PREFIX } from './catalog.ts';
import type { Webhook } from './model.ts';
import { TRIGGER_PREFIX } from './publishable.ts';

/** What fan-out needs to know of an event. */
export interface EventKey {
  readonly name: string;
  readonly typeId: string | null;
  readonly contentId: string | null;
}

/** Why a webhook does not take an event: the first test of fan-out's rule it fails. */
export type NotRouted = 'disabled' | 'type_not_subscribed' | 'content_filter';

/**
 * Why a webhook wants no event of this kind: its event list names neither `*`, the event's
 * catalog type id, nor its exact name; or its optional content-id filter leaves the event out
 * (an event without a content id never passes a filter). Null: it wants the event.
 */
function unwantedBecause(
  webhook: Pick<Webhook, 'events' | 'filters' | 'trigger'>,
  event: EventKey,
): Exclude<NotRouted, 'disabled'> | null {
  // A trigger goes to the webhook that is its target and to no other, whatever they list.
  if (event.name.startsWith(TRIGGER_PREFIX)) {
    return webhook.trigger?.name === event.name.slice(TRIGGER_PREFIX.length) ? null : 'type_not_subscribed';
  }
  const { events } = webhook;
  // Hooklane's own events go only to webhooks that name them: `*` means the product's events.
  const listed =
    (events.includes('*') && !event.name.startsWith(OPERATIONAL_PREFIX)) ||
    events.includes(event.name) ||
    (event.typeId !== null && events.includes(event.typeId));
  if (!listed) return 'type_not_subscribed';
  const contentIds = webhook.filters.contentIds;
  if (contentIds === null || contentIds.length === 0) return null;
  return event.contentId !== null && contentIds.includes(event.contentId) ? null : 'content_filter';
}

/** Whether a webhook wants an event (see `unwantedBecause`), enabled or not. */
export function webhookWants(
  webhook: Pick<Webhook, 'events' | 'filters' | 'trigger'>,
  event: EventKey,
): boolean {
  return unwantedBecause(webhook, event) === null;
}

/**
 * Why fan-out leaves this webhook out for this event, or null when it fans out to it: the one
 * rule both `webhooksFor` and an event's routing report (`GET .../events/{id}/routing`) read.
 */
export function notRoutedBecause(
  webhook: Pick<Webhook, 'enabled' | 'events' | 'filters' | 'trigger'>,
  event: EventKey,
): NotRouted | null {
  if (!webhook.enabled) return 'disabled';
  return unwantedBecause(webhook, event);
}

/** The webhooks an event fans out to: enabled ones that want it. */
export function webhooksFor<W extends Pick<Webhook, 'enabled' | 'events' | 'filters' | 'trigger'>>(
  webhooks: readonly W[],
  event: EventKey,
): W[] {
  return webhooks.filter((webhook) => notRoutedBecause(webhook, event) === null);
}

/** A usetiful webhook with a batch window collects a user's events into one delivery. */
export function isBatched(webhook: Pick<Webhook, 'format' | 'batchWindowMs'>): boolean {
  return webhook.format === 'usetiful' && webhook.batchWindowMs > 0;
}
