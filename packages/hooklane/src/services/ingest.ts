import { randomUUID } from 'node:crypto';
import { OPERATIONAL_PREFIX, reservedFieldOf } from '../core/catalog.ts';
import { HooklaneError } from '../core/errors.ts';
import { finaliseEvent } from '../core/event-envelope.ts';
import { createEventChecker } from '../core/event-validation.ts';
import type { StoredEvent } from '../core/model.ts';
import type { NewEvent } from '../store/store.ts';
import type { ServiceContext } from './context.ts';

/** The most events one request may carry. */
export const MAX_EVENTS_PER_REQUEST = 1000;

/**
 * Accepts one event, an array, or `{events: [...]}`. Every event is checked before any is
 * stored: one bad event refuses the whole request, naming its index. Resolves once the
 * events and their deliveries are durably committed.
 */
export function createIngestService({ store, config, metrics, bus, now }: ServiceContext) {
  const checker = createEventChecker();

  const unwrap = (body: unknown): unknown[] => {
    if (Array.isArray(body)) return body;
    if (body !== null && typeof body === 'object' && !('name' in body) && 'events' in body) {
      const { events } = body as { events: unknown };
      if (!Array.isArray(events)) {
        throw new HooklaneError('invalid_event', '`events` must be an array of events.', { path: '/events' });
      }
      return events;
    }
    return [body];
  };

  return {
    async ingest(accountId: string, body: unknown): Promise<{ ids: string[] }> {
      const raw = unwrap(body);
      if (raw.length === 0) throw new HooklaneError('invalid_event', 'Send at least one event.');
      if (raw.length > MAX_EVENTS_PER_REQUEST) {
        throw new HooklaneError(
          'validation_failed',
          `Send at most ${MAX_EVENTS_PER_REQUEST} events per request.`,
        );
      }
      const at = now();
      const events: NewEvent[] = raw.map((candidate, index) => {
        const checked = checker.check(candidate);
        if (!checked.ok) {
          const first = checked.problems[0];
          throw new HooklaneError(
            'invalid_event',
            `Event ${index} is invalid${first ? ` at ${first.path || '/'}: ${first.message}` : ''}.`,
            { index, problems: checked.problems },
          );
        }
        const event = candidate as Record<string, unknown>;
        const reserved = reservedFieldOf(event);
        if (reserved !== undefined) {
          const what = reserved === '/name' ? 'names' : 'ids';
          throw new HooklaneError(
            'invalid_event',
            `Event ${index} is invalid at ${reserved}: ${what} starting with "${OPERATIONAL_PREFIX}" are Hooklane's own.`,
            { index, problems: [{ path: reserved, message: 'reserved prefix' }] },
          );
        }
        const final = finaliseEvent(event, accountId, at, randomUUID);
        if (Buffer.byteLength(final.body) > config.maxEventBytes) {
          throw new HooklaneError(
            'event_too_large',
            `Event ${index} is larger than ${config.maxEventBytes} bytes.`,
            { index },
          );
        }
        return {
          id: final.id,
          name: event.name as string,
          typeId: checked.type?.id ?? null,
          userId: event.user_id as string,
          contentId: checked.contentId,
          occurredAt: final.occurredAt,
          body: final.body,
        };
      });
      const outcome = await store.ingest(accountId, events, at);
      metrics.eventsIngested.inc(outcome.inserted);
      if (outcome.deliveriesCreated > 0) bus.workAvailable();
      bus.ingested(accountId, () =>
        events.map((event): StoredEvent => ({ ...event, accountId, ingestedAt: at })),
      );
      return { ids: events.map((event) => event.id) };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
