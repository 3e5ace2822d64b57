/**
 * The rules of publishable keys (`hlp_...`), the keys made to be put in a web page: which
 * origins may use them, which events they may send, how their events are dated, and their
 * limits. Pure: the HTTP layer and the browser service apply these.
 */
import { recognise } from './catalog.ts';
import type { BucketRate } from './token-bucket.ts';

/** A publishable key's rate limits: requests per second and burst, per key and per client address. */
export interface PublishableRateLimit {
  readonly perKey: BucketRate;
  readonly perClient: BucketRate;
}

/** What a publishable key may do, as its admin set it. */
export interface PublishablePolicy {
  /** Exact origins (`https://app.example.com`), normalised by `normaliseOrigin`. */
  readonly origins: readonly string[];
  /** Event names or catalog type ids it may send, `trigger:<name>` or `trigger:*` for triggers; null: the catalog's types, no triggers. */
  readonly events: readonly string[] | null;
  readonly rateLimit: PublishableRateLimit;
}

export const DEFAULT_RATE_LIMIT: PublishableRateLimit = Object.freeze({
  perKey: Object.freeze({ perSecond: 50, burst: 100 }),
  perClient: Object.freeze({ perSecond: 2, burst: 20 }),
});

/** A request with a publishable key carries at most this many bytes: the browsers' keepalive budget. */
export const PUBLISHABLE_MAX_BODY_BYTES = 65_536;
/** ...and at most this many events. */
export const PUBLISHABLE_MAX_EVENTS = 100;
/** The oldest an event from a browser may say it is; an older age is clamped to this. */
export const MAX_EVENT_AGE_MS = 7 * 24 * 3_600_000;
/** Names of the events a trigger is stored as: `trigger:<name>`. */
export const TRIGGER_PREFIX = 'trigger:';

/**
 * An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, no default
 * port, no path. Undefined for anything else (a path, credentials, a scheme other than http(s)).
 */
export function normaliseOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]+\/./i.test(text)) return undefined;
  return url.origin;
}

/** Whether a request's `Origin` header is one the key lists (compared exactly, after normalising). */
export function originAllowed(
  policy: Pick<PublishablePolicy, 'origins'>,
  origin: string | undefined,
): boolean {
  if (origin === undefined) return false;
  const normal = normaliseOrigin(origin);
  return normal !== undefined && normal === origin.toLowerCase() && policy.origins.includes(normal);
}

/**
 * Why a publishable key may not send this event, or undefined when it may. Trigger events come
 * only through the trigger endpoint, where their fields are filtered.
 */
export function eventRefusal(
  policy: Pick<PublishablePolicy, 'events'>,
  event: { readonly name: string; readonly attributes?: unknown },
): string | undefined {
  if (event.name.startsWith(TRIGGER_PREFIX)) return 'trigger events are sent to the trigger endpoint';
  const type = recognise(event);
  if (policy.events === null) {
    return type === undefined ? "this key sends only the catalog's event types" : undefined;
  }
  const listed =
    policy.events.includes('*') ||
    policy.events.includes(event.name) ||
    (type !== undefined && policy.events.includes(type.id));
  return listed ? undefined : 'this key may not send this event';
}

/** Whether a publishable key may run the trigger `name`: its events list `trigger:<name>` or `trigger:*`. */
export function triggerAllowed(policy: Pick<PublishablePolicy, 'events'>, name: string): boolean {
  return (
    policy.events !== null &&
    (policy.events.includes(`${TRIGGER_PREFIX}*`) || policy.events.includes(TRIGGER_PREFIX + name))
  );
}

/**
 * When a browser's event happened: the server's clock minus the age it was sent with. A negative
 * age counts as 0 and an age over MAX_EVENT_AGE_MS as that much, so an event is never dated in
 * the future nor before the week its page could have kept it.
 */
export function browserEventTime(receivedAt: number, ageMs: number): number {
  return receivedAt - Math.min(Math.max(0, Math.round(ageMs)), MAX_EVENT_AGE_MS);
}

/** The trigger data the webhook takes: only the listed top-level fields, in the listed order. */
export function allowedFields(
  data: Readonly<Record<string, unknown>>,
  fields: readonly string[],
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of fields) if (Object.hasOwn(data, field)) kept[field] = data[field];
  return kept;
}

/**
 * The client a per-client bucket counts, from the connection's address: an IPv4 address as it
 * is (an IPv4-mapped IPv6 one too), and an IPv6 address by its /64, the network one host or one
 * home is given, whose addresses it changes at will: counted one by one, each new address would
 * bring a full bucket.
 *
 * @example
 * clientOf('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 * clientOf('::ffff:203.0.113.9') // '203.0.113.9'
 */
export function clientOf(address: string): string {
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0] ?? address;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = '', tail] = bare.split('::');
  const groups = (text: string | undefined) => (text ? text.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  const full =
    tail === undefined ? left : [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  const network = full.slice(0, 4).map((group) => (Number.parseInt(group, 16) || 0).toString(16));
  return `${network.join(':')}::/64`;
}
