import { reservedFieldOf } from '../core/catalog.ts';
import { HooklaneError, notFound } from '../core/errors.ts';
import { createEventChecker } from '../core/event-validation.ts';
import { isPlainObject } from '../core/json.ts';
import {
  allowedFields,
  browserEventTime,
  eventRefusal,
  PUBLISHABLE_MAX_EVENTS,
  type PublishablePolicy,
  TRIGGER_PREFIX,
  triggerAllowed,
} from '../core/publishable.ts';
import type { ServiceContext } from './context.ts';
import type { IngestService } from './ingest.ts';
import { triggerTarget } from './webhooks.ts';

/** An event of a browser's batch that was not accepted, and why. */
export interface RefusedEvent {
  readonly index: number;
  readonly id: string | null;
  readonly name: string | null;
  readonly reason: string;
}

/**
 * What publishable keys (web pages) send: batches of events and triggers. A browser cannot fix
 * a refused event, and the SDK drops a whole batch on a 4xx, so an event this key may not send,
 * or an invalid one, is left out and reported while the rest of the batch is accepted.
 */
export function createBrowserService({ store, now }: ServiceContext, ingest: IngestService) {
  const checker = createEventChecker();

  const unwrap = (body: unknown): unknown[] => {
    const events = Array.isArray(body)
      ? body
      : isPlainObject(body) && 'events' in body
        ? body.events
        : [body];
    if (!Array.isArray(events)) {
      throw new HooklaneError('invalid_event', '`events` must be an array of events.', { path: '/events' });
    }
    if (events.length === 0) throw new HooklaneError('invalid_event', 'Send at least one event.');
    if (events.length > PUBLISHABLE_MAX_EVENTS) {
      throw new HooklaneError(
        'validation_failed',
        `A publishable key sends at most ${PUBLISHABLE_MAX_EVENTS} events per request.`,
      );
    }
    return events;
  };

  return {
    /**
     * Accepts a page's events: dated by the server's clock minus their `age_ms` (a `timestamp`
     * from the browser is replaced), marked `"source": "browser"`.
     */
    async ingest(
      accountId: string,
      policy: PublishablePolicy,
      body: unknown,
    ): Promise<{ ids: string[]; refused: RefusedEvent[] }> {
      const receivedAt = now();
      /** The event as it is to be stored, or why it is left out. */
      const refusalOf = (candidate: unknown): Record<string, unknown> | string => {
        if (!isPlainObject(candidate)) return 'an event is a JSON object';
        const { age_ms: age, timestamp: _sent, account_id: _account, ...rest } = candidate;
        if (age !== undefined && (typeof age !== 'number' || !Number.isFinite(age))) {
          return 'age_ms must be a number of milliseconds';
        }
        const event = { ...rest, source: 'browser', timestamp: browserEventTime(receivedAt, age ?? 0) };
        const reserved = reservedFieldOf(candidate);
        if (reserved !== undefined) return `invalid at ${reserved}: a prefix of Hooklane's own`;
        const checked = checker.check(event);
        if (!checked.ok) {
          const first = checked.problems[0];
          return `invalid${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`;
        }
        return eventRefusal(policy, event as unknown as { name: string; attributes?: unknown }) ?? event;
      };
      const accepted: Record<string, unknown>[] = [];
      const refused: RefusedEvent[] = [];
      for (const [index, candidate] of unwrap(body).entries()) {
        const refusal = refusalOf(candidate);
        if (typeof refusal === 'string') {
          const event = isPlainObject(candidate) ? candidate : {};
          const id = typeof event.id === 'string' ? event.id : null;
          const name = typeof event.name === 'string' ? event.name : null;
          refused.push({ index, id, name, reason: refusal });
        } else accepted.push(refusal);
      }
      if (accepted.length === 0) return { ids: [], refused };
      const { ids } = await ingest.ingest(accountId, accepted);
      return { ids, refused };
    },

    /**
     * Runs a trigger: stored as the event `trigger:<name>` holding only the data fields its
     * webhook takes, which fan-out sends to that webhook alone. The request's `id` makes a
     * retried trigger one event.
     */
    async trigger(
      accountId: string,
      policy: PublishablePolicy,
      name: string,
      body: { id: string; user_id: string; data?: Record<string, unknown> | undefined },
    ): Promise<{ id: string }> {
      if (!triggerAllowed(policy, name)) {
        throw new HooklaneError(
          'forbidden',
          `This key may not run the trigger "${name}": its events must list trigger:${name} or trigger:*.`,
        );
      }
      const target = await triggerTarget(store, accountId, name);
      if (!target?.trigger) throw notFound('Trigger');
      const event = {
        id: body.id,
        name: TRIGGER_PREFIX + name,
        user_id: body.user_id,
        attributes: allowedFields(body.data ?? {}, target.trigger.fields),
        source: 'browser',
      };
      const { ids } = await ingest.ingest(accountId, [event]);
      return { id: ids[0] ?? body.id };
    },
  };
}

export type BrowserService = ReturnType<typeof createBrowserService>;
