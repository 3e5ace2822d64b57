import type { PayloadFormat, StoredEvent } from './model.ts';

/**
 * Builds the request body of a delivery from its stored events: a pure function of
 * stored data, so every retry sends byte-identical bodies.
 */
export function buildPayload(
  format: PayloadFormat,
  webhookName: string,
  events: readonly StoredEvent[],
): string {
  const first = events[0];
  if (!first) throw new Error('a delivery has at least one event');
  switch (format) {
    case 'appcues':
      return first.body;
    case 'standard':
      return `{"type":${JSON.stringify(first.typeId ?? first.name)},"timestamp":${JSON.stringify(
        new Date(first.occurredAt).toISOString(),
      )},"data":${first.body}}`;
    case 'usetiful':
      return JSON.stringify({
        name: webhookName,
        userId: first.userId,
        events: events.map((event) => ({ name: event.typeId ?? event.name, contentId: event.contentId })),
      });
  }
}
