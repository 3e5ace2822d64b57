import type { PayloadFormat, StoredEvent } from './model.ts';
import { TRIGGER_PREFIX } from './publishable.ts';

/** A browser trigger in the shape of Usetiful's *Trigger event* step: the data beside the events. */
function usetifulTrigger(webhookName: string, event: StoredEvent): string {
  const { attributes } = JSON.parse(event.body) as { attributes?: unknown };
  return JSON.stringify({
    name: webhookName,
    userId: event.userId,
    events: [{ name: 'trigger', trigger: event.name.slice(TRIGGER_PREFIX.length), contentId: null }],
    data: attributes ?? {},
  });
}

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
      if (first.name.startsWith(TRIGGER_PREFIX)) return usetifulTrigger(webhookName, first);
      return JSON.stringify({
        name: webhookName,
        userId: first.userId,
        events: events.map((event) => ({ name: event.typeId ?? event.name, contentId: event.contentId })),
      });
  }
}
