/**
 * `@hooklane/browser`: send product-adoption events from a web page to Hooklane.
 *
 * The functions below act on the page's one client, made by {@link init}. The `<script>` build
 * puts them on `window.hooklane`.
 *
 * @example
 * import { init, identify, track } from '@hooklane/browser';
 * init({ url: 'https://hooks.example.com', account: 'acc_1', key: 'hlp_...' });
 * identify('user-5821');
 * track('banner_closed', { bannerId: 'b1' });
 *
 * @module
 */
import { type AppcuesLike, bridgeAppcues as bridge } from './appcues.ts';
import { type Client, createClient, type Options } from './client.ts';

export { APPCUES_EVENTS, type AppcuesLike } from './appcues.ts';
export {
  browserEnv,
  type Client,
  createClient,
  type Env,
  type Options,
  type OutgoingEvent,
  type RequestOptions,
  type ResponseLike,
  type StorageLike,
} from './client.ts';

let client: Client | undefined;

const current = (): Client => {
  if (!client) throw new Error('hooklane: call init() first');
  return client;
};

/** Starts the page's client; call it once, before the other functions. */
export function init(options: Options): Client {
  client = createClient(options);
  return client;
}

/** Names the user (before it, events carry a random `anon:` id kept in localStorage). */
export function identify(userId: string, traits?: Record<string, unknown>): void {
  current().identify(userId, traits);
}

/** Sets the `group_id` of the events that follow (the user's company or team). */
export function group(groupId: string | null): void {
  current().group(groupId);
}

/** Queues an event; it is sent within `flushInterval` ms, or at once when a batch is full. */
export function track(name: string, attributes?: Record<string, unknown>): void {
  current().track(name, attributes);
}

/** Asks the server to run the webhook trigger `name` with `data`; resolves to the HTTP status. */
export function trigger(name: string, data?: Record<string, unknown>): Promise<number> {
  return current().trigger(name, data);
}

/** Sends the waiting events now. */
export function flush(): Promise<void> {
  return current().flush();
}

/** Forgets the user, e.g. at logout. */
export function reset(): void {
  current().reset();
}

/** Forwards the Appcues SDK's events as the catalog's `appcues:*` events. */
export function bridgeAppcues(appcues: AppcuesLike, events?: readonly string[]): void {
  bridge(appcues, current(), events);
}
