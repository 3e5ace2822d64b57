import { OPERATIONAL_PREFIX } from './catalog.ts';
import { type EventKey, isBatched, webhooksFor } from './matching.ts';
import type { Webhook, WebhookFilters } from './model.ts';
import { type Filter, matches, parseFilter } from './payload-filter.ts';

/** The most events one batched delivery collects; a busier user's events start a new one. */
export const MAX_BATCH_EVENTS = 1000;

/** What fan-out needs to know of a newly stored event. */
export interface FanOutEvent extends EventKey {
  readonly id: string;
  readonly userId: string;
  /** The event's JSON, read only when a webhook has a payload filter (`filters.match`). */
  readonly body?: string;
}

/** The webhook fields fan-out reads. */
export type FanOutWebhook = Pick<
  Webhook,
  'id' | 'enabled' | 'events' | 'filters' | 'format' | 'batchWindowMs' | 'trigger'
>;

/** A delivery an event gets, as the store is to write it. */
export interface PlannedDelivery<W extends FanOutWebhook = Webhook> {
  readonly webhook: W;
  readonly eventId: string;
  /**
   * Null: a delivery of this event alone. Otherwise the user whose events the webhook collects:
   * the event joins that user's open batch (one not yet attempted, whose window is still open,
   * with room: `batchHasRoom`), or starts a new one with this window.
   */
  readonly batch: { readonly userId: string; readonly windowEndsAt: number } | null;
  /** When a delivery created for it is due: now, or when a new batch's window ends. */
  readonly dueAt: number;
}

/**
 * Which webhooks a new event (stored at `now`) fans out to, and how: the account's enabled
 * webhooks that want it, each with a delivery of its own or a place in its user's batch.
 *
 * @example
 * fanOut(webhooksOfTheAccount, event, now).map((d) => d.webhook.id)
 */
export function fanOut<W extends FanOutWebhook>(
  webhooks: readonly W[],
  event: FanOutEvent,
  now: number,
): PlannedDelivery<W>[] {
  let parsed: { value: unknown } | undefined;
  const json = (): unknown => {
    parsed ??= { value: event.body === undefined ? undefined : JSON.parse(event.body) };
    return parsed.value;
  };
  // An operational event's content id is the webhook it is about, which never receives it: a
  // broken endpoint cannot feed its own loop.
  const about = event.name.startsWith(OPERATIONAL_PREFIX) ? event.contentId : null;
  const wanted = webhooksFor(webhooks, event).filter((webhook) => {
    if (webhook.id === about) return false;
    const filter = payloadFilterOf(webhook.filters);
    return filter === null || (filter !== undefined && matches(filter, json()));
  });
  return wanted.map((webhook) => {
    if (!isBatched(webhook)) return { webhook, eventId: event.id, batch: null, dueAt: now };
    const windowEndsAt = now + webhook.batchWindowMs;
    return { webhook, eventId: event.id, batch: { userId: event.userId, windowEndsAt }, dueAt: windowEndsAt };
  });
}

/** Whether an open batch holding `size` events takes one more. */
export function batchHasRoom(size: number): boolean {
  return size < MAX_BATCH_EVENTS;
}

/** Whether any of these webhooks collects events into batches (their writes need row locks). */
export function anyBatches(webhooks: Iterable<readonly FanOutWebhook[]>): boolean {
  for (const list of webhooks) if (list.some(isBatched)) return true;
  return false;
}

/** Parsed payload filters, per webhook filters object: a store that keeps its webhooks parses each once. */
const parsedFilters = new WeakMap<WebhookFilters, Filter | null | undefined>();

/**
 * A webhook's payload filter, parsed: null when it has none, undefined when the stored one no
 * longer parses (it matches nothing, rather than everything).
 */
export function payloadFilterOf(filters: WebhookFilters): Filter | null | undefined {
  if (filters.match === undefined || filters.match === null) return null;
  if (parsedFilters.has(filters)) return parsedFilters.get(filters);
  const parsed = parseFilter(filters.match);
  const filter = parsed.ok ? parsed.filter : undefined;
  parsedFilters.set(filters, filter);
  return filter;
}
