import type { Client } from './client.ts';

/** The part of the Appcues web SDK the bridge uses. */
export interface AppcuesLike {
  on(eventName: 'all', callback: (name: string, event: Record<string, unknown>) => void): void;
}

/**
 * The Appcues SDK events that are catalog types, by the names `Appcues.on('all')` gives them;
 * they travel as `appcues:<name>`. The SDK's other events (step_started, form_field_submitted,
 * ...) are its internals and are not forwarded.
 */
export const APPCUES_EVENTS: readonly string[] = [
  'nps_score',
  'nps_feedback',
  'flow_started',
  'flow_completed',
  'flow_skipped',
  'step_interacted',
  'form_submitted',
  'checklist_item_completed',
  'checklist_completed',
  'checklist_skipped',
  'checklist_shown',
  'v2:step_interaction',
  'v2:experience_started',
];

/**
 * Forwards the Appcues SDK's events (`Appcues.on('all', ...)`) as the catalog's `appcues:*`
 * events. Their fields become `attributes`, as in Appcues' own webhooks, except `id` and `name`
 * (the event's code and label, already in the event name) and `timestamp` (the browser's
 * clock, which the server replaces).
 *
 * @example
 * bridgeAppcues(window.Appcues, client);
 */
export function bridgeAppcues(appcues: AppcuesLike, client: Client, events = APPCUES_EVENTS): void {
  appcues.on('all', (name, event) => {
    const short = String(name).replace(/^appcues:/, '');
    if (!events.includes(short)) return;
    const { id: _id, name: _name, timestamp: _timestamp, ...attributes } = event ?? {};
    client.track(`appcues:${short}`, attributes);
  });
}
