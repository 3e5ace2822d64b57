import { api, type EventType } from './api.ts';

let catalog: Promise<EventType[]> | null = null;

/** The event catalog (GET /v1/event-types), fetched once per page load. */
export function loadEventTypes(): Promise<EventType[]> {
  catalog ??= api<{ data: EventType[] }>('GET', '/v1/event-types').then(
    (body) => body.data,
    (error) => {
      catalog = null;
      throw error;
    },
  );
  return catalog;
}

export const SOURCE_LABEL: Record<string, string> = { appcues: 'Appcues', usetiful: 'Usetiful' };

/** Catalog types grouped by the product whose webhooks name them, in catalog order. */
export function groupBySource(types: EventType[]): [string, EventType[]][] {
  const groups = new Map<string, EventType[]>();
  for (const type of types) {
    const label = SOURCE_LABEL[type.source] ?? type.source;
    groups.set(label, [...(groups.get(label) ?? []), type]);
  }
  return [...groups];
}
